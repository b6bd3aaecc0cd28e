import { Transform, type TransformCallback } from 'node:stream'
import { zstdDecompressSync } from 'node:zlib'

/**
 * Reads back what `FramedZstd` wrote, one frame at a time. Node's own streaming decompressor stops
 * after the second frame of some multi-frame files that the zstd CLI and libarchive (Nix) read in
 * full, so a reader that must see every byte splits the file into its frames (RFC 8878 frame and
 * block headers) and decompresses each on its own.
 */

const ZSTD_MAGIC = 0xfd2fb528
/** A frame we wrote holds at most 4 MiB of NAR; one this large compressed is not ours to read whole. */
export const MAX_FRAME_BYTES = 16 << 20

/**
 * The length of the zstd frame that starts at `at`, or undefined when `buf` ends before it does.
 * Throws when no zstd frame starts there.
 */
export function zstdFrameLength(buf: Buffer, at: number): number | undefined {
  if (buf.length < at + 6) return undefined
  if (buf.readUInt32LE(at) !== ZSTD_MAGIC) throw new Error(`no zstd frame at byte ${at}`)
  const fhd = buf[at + 4]!
  const singleSegment = (fhd >> 5) & 1
  const dictIdSize = [0, 1, 2, 4][fhd & 3]!
  const fcsSize = [singleSegment ? 1 : 0, 2, 4, 8][fhd >> 6]!
  let end = at + 5 + (singleSegment ? 0 : 1) + dictIdSize + fcsSize
  for (;;) {
    if (buf.length < end + 3) return undefined
    const header = buf.readUIntLE(end, 3)
    const type = (header >> 1) & 3
    // An RLE block stores one byte however long it decodes; the others store their size.
    end += 3 + (type === 1 ? 1 : header >> 3)
    if (header & 1) break
  }
  if ((fhd >> 2) & 1) end += 4
  return buf.length < end ? undefined : end - at
}

/** Decompresses a stream of zstd frames frame by frame; fails on anything else, or on input that ends mid-frame. */
export class ZstdFrameReader extends Transform {
  private pending: Buffer[] = []
  private pendingBytes = 0

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.pending.push(chunk)
    this.pendingBytes += chunk.length
    try {
      this.drain()
      done()
    } catch (e) {
      done(e as Error)
    }
  }

  override _flush(done: TransformCallback): void {
    done(this.pendingBytes === 0 ? null : new Error('the zstd data ends in the middle of a frame'))
  }

  private drain(): void {
    let buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending)
    let at = 0
    for (;;) {
      const length = zstdFrameLength(buf, at)
      if (length === undefined) break
      if (length > MAX_FRAME_BYTES) throw new Error(`a zstd frame of ${length} bytes`)
      this.push(zstdDecompressSync(buf.subarray(at, at + length)))
      at += length
    }
    if (buf.length - at > MAX_FRAME_BYTES) throw new Error('a zstd frame larger than any this action writes')
    buf = buf.subarray(at)
    this.pending = buf.length > 0 ? [buf] : []
    this.pendingBytes = buf.length
  }
}
