import { createHash, type Hash } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'

/** Passes bytes through while hashing and counting them, so one pass yields NarHash or FileHash. */
export class Meter extends Transform {
  private readonly hash: Hash = createHash('sha256')
  bytes = 0

  constructor() {
    // Hashing is synchronous, so a buffer here would only hold chunks back: with 4 MiB NAR
    // frames (frame-buffers.ts) it held two per path, 64 MiB across 8 parallel uploads.
    super({ highWaterMark: 0 })
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk)
    this.bytes += chunk.length
    done(null, chunk)
  }

  digest(): Buffer {
    return this.hash.digest()
  }
}
