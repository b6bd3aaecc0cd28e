import { Transform, type TransformCallback } from 'node:stream'
import * as zlib from 'node:zlib'

/**
 * Large NARs are compressed as a sequence of independent zstd frames of this size. A zstd file
 * may hold any number of frames, and decoders concatenate their contents; Nix reads such NARs
 * (see README, "Compression"). Frames let several cores work on one NAR, and cost about 0.3% in
 * size at this length.
 */
export const FRAME_SIZE = 4 << 20
/**
 * 2^22 = 4 MiB, one frame: every match stays inside the window, so zstd never switches to its
 * `extDict` match finder, which took a third of the CPU when streaming past level 3's 2 MiB window.
 */
const WINDOW_LOG = 22
/** Compressors that run at once, each on a thread of libuv's pool (4 threads by default). */
const COMPRESSORS = 3
/**
 * Frames handed over but not yet compressed, across all NARs. More would only hold memory while
 * the compressors are busy; fewer would leave a compressor idle while NARs are being read.
 */
const MAX_QUEUED = 2 * COMPRESSORS
/** Spare frame buffers kept for reuse; each is FRAME_SIZE bytes. */
const SPARE_BUFFERS = MAX_QUEUED + 2

interface Job {
  input: Buffer
  done(err: Error | null, out?: Buffer[]): void
}

/**
 * A few long-lived zstd compressors shared by every NAR. Each compresses one frame at a time and
 * ends it with `ZSTD_e_end`, which resets the stream for the next frame but keeps the context:
 * no per-frame allocation and zeroing of tables, as a one-shot call or a new stream would do.
 */
class FramePool {
  private readonly idle: zlib.ZstdCompress[] = []
  private readonly jobs: Job[] = []
  private readonly roomWaiters: Array<() => void> = []
  private readonly spare: Buffer[] = []
  private live = 0
  /** Jobs queued or running. */
  private inFlight = 0

  buffer(): Buffer {
    return this.spare.pop() ?? Buffer.allocUnsafe(FRAME_SIZE)
  }

  /** Compresses `frame` (a prefix of a buffer from `buffer()`, which goes back to the spares). */
  compress(frame: Buffer, whole: Buffer): Promise<Buffer[]> {
    this.inFlight++
    return new Promise<Buffer[]>((resolve, reject) => {
      this.jobs.push({
        input: frame,
        done: (err, out) => {
          if (this.spare.length < SPARE_BUFFERS) this.spare.push(whole)
          this.inFlight--
          this.roomWaiters.shift()?.()
          if (err) reject(err)
          else resolve(out ?? [])
        }
      })
      this.run()
    })
  }

  /** Resolves when another frame may be queued: the brake that keeps memory bounded. */
  room(): Promise<void> {
    if (this.inFlight < MAX_QUEUED) return Promise.resolve()
    return new Promise((resolve) => this.roomWaiters.push(resolve))
  }

  private run(): void {
    while (this.jobs.length > 0) {
      const z = this.idle.pop() ?? (this.live < COMPRESSORS ? this.create() : undefined)
      if (!z) return
      this.start(z, this.jobs.shift()!)
    }
  }

  private create(): zlib.ZstdCompress {
    this.live++
    return zlib.createZstdCompress({
      // One output chunk per frame when it does not compress; the frame's slices share it.
      chunkSize: FRAME_SIZE + (FRAME_SIZE >> 7),
      params: { [zlib.constants.ZSTD_c_compressionLevel]: 3, [zlib.constants.ZSTD_c_windowLog]: WINDOW_LOG }
    })
  }

  private start(z: zlib.ZstdCompress, job: Job): void {
    const out: Buffer[] = []
    const onData = (b: Buffer): void => {
      out.push(b)
    }
    const onError = (e: Error): void => {
      // The compressor is unusable after an error; a fresh one replaces it on demand.
      z.off('data', onData)
      this.live--
      job.done(e)
      this.run()
    }
    z.on('data', onData)
    z.once('error', onError)
    z.write(job.input)
    // The flush callback runs after the frame's last output was emitted as 'data'.
    z.flush(zlib.constants.ZSTD_e_end, () => {
      z.off('data', onData)
      z.off('error', onError)
      this.idle.push(z)
      job.done(null, out)
      this.run()
    })
  }
}

const pool = new FramePool()

/**
 * zstd for a large NAR: cut into FRAME_SIZE frames that the shared compressors work on at once,
 * while the output keeps the frames in order. Bytes are copied once, into a reused frame buffer,
 * so the garbage collector sees a few long-lived buffers instead of a new one per read.
 */
export class FramedZstd extends Transform {
  private frame: Buffer | undefined
  private filled = 0
  /** Output in NAR order: each frame's bytes are pushed only after every earlier frame's. */
  private tail: Promise<void> = Promise.resolve()

  constructor() {
    super({ readableHighWaterMark: FRAME_SIZE })
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let at = 0
    while (at < chunk.length) {
      this.frame ??= pool.buffer()
      const n = chunk.copy(this.frame, this.filled, at)
      at += n
      this.filled += n
      if (this.filled === FRAME_SIZE) this.submit()
    }
    pool.room().then(() => done(), done)
  }

  override _flush(done: TransformCallback): void {
    if (this.filled > 0) this.submit()
    this.tail.then(() => done(), done)
  }

  override _destroy(err: Error | null, done: (error: Error | null) => void): void {
    // Frames already handed over finish on their own and return their buffers; only the
    // partly filled one is dropped.
    this.frame = undefined
    done(err)
  }

  private submit(): void {
    const whole = this.frame!
    const compressed = pool.compress(whole.subarray(0, this.filled), whole)
    // Handled here so that a frame failing while an earlier one is pending is no unhandled rejection.
    compressed.catch(() => undefined)
    this.frame = undefined
    this.filled = 0
    this.tail = this.tail.then(async () => {
      for (const b of await compressed) this.push(b)
    })
    // A failed frame fails the stream now; the chain then stays rejected, so _flush reports it too.
    this.tail.catch((e: Error) => this.destroy(e))
  }
}
