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

/** How frames are reused, and when the garbage they leave is collected. */
export interface FrameReuse {
  /** Spare frames kept: enough for the frames in flight (see zstd-frames.ts) and the NARs being read. */
  spares: number
  /**
   * Run after every `everyFrames` frames taken. A frame's bytes leave garbage behind (the
   * compressor's fresh output buffers, or the frame itself when nothing recycles it), and V8
   * starts a collection for such external memory only past 64 MiB of it: a process that must
   * stay small collects earlier itself.
   */
  collect?: { everyFrames: number; run: () => void }
}

/** For a step: enough spares for several NARs read at once (see pipeline.ts), and V8's own collections. */
export const THROUGHPUT_REUSE: FrameReuse = { spares: 12 }

let reuse = THROUGHPUT_REUSE
let taken = 0
const spare: Buffer[] = []

/** Sets how later frames are reused (set once, before any NAR is read). */
export function reuseFrames(r: FrameReuse): void {
  reuse = r
  spare.length = Math.min(spare.length, r.spares)
}
/** A lent view's whole frame, so the compressor can recognise a frame and give it back. */
const lent = new WeakMap<Buffer, Buffer>()

/** A FRAME_SIZE buffer, reused if one is spare. Its contents are garbage. */
export function takeFrame(): Buffer {
  if (reuse.collect && ++taken % reuse.collect.everyFrames === 0) reuse.collect.run()
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
  if (spare.length < reuse.spares) spare.push(frame)
}
