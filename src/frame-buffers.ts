/**
 * Reused 4 MiB buffers that carry a large NAR from the file system to the zstd compressor.
 *
 * The NAR serialiser (nar.ts) reads file contents straight into a frame, and the compressor
 * (zstd-frames.ts) compresses that frame in place and then returns it here. So large NARs cost
 * no copy and no fresh buffer per read, which otherwise kept V8's garbage collector busy with
 * hundreds of megabytes of short-lived external memory.
 *
 * Only the compressor (after compressing it) and `narHashOf` (after hashing it) recycle a frame;
 * any other consumer (the `none` or `xz` compressions, a test) simply drops it and the garbage
 * collector takes it. A stream between the serialiser and the compressor (the NarHash meter)
 * must therefore pass a frame's pieces on and keep no reference to them.
 */
export const FRAME_SIZE = 4 << 20

/** Spare frames kept: enough for the frames in flight (see zstd-frames.ts) and a few NARs being read. */
const SPARES = 12

const spare: Buffer[] = []
/** A lent view's whole frame, so the compressor can recognise a frame and give it back. */
const lent = new WeakMap<Buffer, Buffer>()

/** A FRAME_SIZE buffer, reused if one is spare. Its contents are garbage. */
export function takeFrame(): Buffer {
  return spare.pop() ?? Buffer.allocUnsafe(FRAME_SIZE)
}

/** Marks `view` (a prefix of `frame`) as the frame's bytes, to be handed to a consumer. */
export function lend(view: Buffer, frame: Buffer): Buffer {
  lent.set(view, frame)
  return view
}

/** The frame `chunk` was lent from, if it is a lent view. */
export function frameOf(chunk: Buffer): Buffer | undefined {
  return lent.get(chunk)
}

/** Returns a frame that nothing references any more. */
export function recycleFrame(frame: Buffer): void {
  if (spare.length < SPARES) spare.push(frame)
}
