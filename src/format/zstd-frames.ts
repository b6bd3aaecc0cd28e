import { Transform, type TransformCallback } from 'node:stream'
import * as zlib from 'node:zlib'
import { FRAME_SIZE, frameOf, recycleFrame } from './frame-buffers.js'

// Large NARs are compressed as a sequence of independent zstd frames of at most FRAME_SIZE. A zstd
// file may hold any number of frames, and decoders concatenate their contents; Nix reads such
// NARs (see README, "Compression"). Frames let several cores work on one NAR, and cost about
// 0.3% in size at this length.

/**
 * 2^22 = 4 MiB, one frame: every match stays inside the window, so zstd never switches to its
 * `extDict` match finder, which took a third of the CPU when streaming past level 3's 2 MiB window.
 */
const WINDOW_LOG = 22
/** Size of the compressors' output buffers. */
const OUTPUT_CHUNK = 1 << 20

/** How much the shared compressors may hold at once: throughput for a step, a small footprint for the agent. */
export interface FramingLimits {
  /** Compressors that run at once, each on a thread of libuv's pool (4 threads by default). */
  compressors: number
  /**
   * Frames handed over but not yet compressed, across all NARs. More would only hold memory while
   * the compressors are busy; fewer would leave a compressor idle while NARs are being read.
   */
  queuedFrames: number
}

export const THROUGHPUT_FRAMING: FramingLimits = { compressors: 3, queuedFrames: 4 }

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
  limits: FramingLimits = THROUGHPUT_FRAMING
  private readonly idle: zlib.ZstdCompress[] = []
  private readonly jobs: Job[] = []
  private readonly roomWaiters: Array<() => void> = []
  private live = 0
  /** Jobs queued or running. */
  private inFlight = 0

  /** Compresses `frame`; `whole`, a lent frame that `frame` is a view of, is recycled afterwards. */
  compress(frame: Buffer, whole?: Buffer): Promise<Buffer[]> {
    this.inFlight++
    return new Promise<Buffer[]>((resolve, reject) => {
      this.jobs.push({
        input: frame,
        done: (err, out) => {
          if (whole) recycleFrame(whole)
          this.inFlight--
          this.next()
          if (err) reject(err)
          else resolve(out ?? [])
        }
      })
      this.run()
    })
  }

  /**
   * Resolves when another frame may be queued: the brake that keeps memory bounded. The caller
   * calls `next` once it has had its turn.
   */
  room(): Promise<void> {
    if (this.inFlight < this.limits.queuedFrames) return Promise.resolve()
    return new Promise((resolve) => this.roomWaiters.push(resolve))
  }

  /**
   * Wakes the next waiter if there is room. Called when a frame is done, and after every turn:
   * a woken stream may queue nothing (its chunk only extends a frame), and its wake must then
   * pass on, or the other streams would wait for a frame that never comes.
   */
  next(): void {
    if (this.inFlight < this.limits.queuedFrames) this.roomWaiters.shift()?.()
  }

  private run(): void {
    while (this.jobs.length > 0) {
      const z = this.idle.pop() ?? (this.live < this.limits.compressors ? this.create() : undefined)
      if (!z) return
      this.start(z, this.jobs.shift()!)
    }
  }

  private create(): zlib.ZstdCompress {
    this.live++
    return zlib.createZstdCompress({
      // Output slices pin the buffer they are cut from until sent; 1 MiB buffers pin less than
      // frame-sized ones did (about 20 MB less at the peak of a push over HTTP).
      chunkSize: OUTPUT_CHUNK,
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
 * Sets what every later frame may use. Compressors beyond a lower limit are left idle, not
 * closed: it is set once, before any NAR is compressed.
 */
export function limitFraming(limits: FramingLimits): void {
  pool.limits = limits
}

/**
 * zstd for a large NAR: cut into frames that the shared compressors work on at once, while the
 * output keeps the frames in order. A frame lent by the NAR serialiser (frame-buffers.ts) is
 * compressed in place, its pieces reassembled; other input is gathered into frames of FRAME_SIZE.
 */
export class FramedZstd extends Transform {
  /** The lent frame whose pieces are arriving, and the range of it received so far. */
  private lent: Buffer | undefined
  private lentStart = 0
  private lentEnd = 0
  /** Input that did not come in a lent frame (a NAR's first bytes, or any other source). */
  private gathered: Buffer[] = []
  private gatheredSize = 0
  /** Output in NAR order: each frame's bytes are pushed only after every earlier frame's. */
  private tail: Promise<void> = Promise.resolve()

  constructor() {
    // Output waits in at most about a megabyte before this stream stops taking input.
    super({ readableHighWaterMark: OUTPUT_CHUNK })
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    // Waiting before taking the chunk, not after, keeps at most `queuedFrames` frames handed over.
    pool.room().then(() => {
      try {
        const frame = frameOf(chunk)
        const offset = frame ? chunk.byteOffset - frame.byteOffset : 0
        if (frame && frame === this.lent && offset === this.lentEnd) {
          this.lentEnd += chunk.length
        } else if (frame) {
          // Frames may have any length, so what came before becomes a frame of its own.
          this.submitLent()
          this.submitGathered()
          this.lent = frame
          this.lentStart = offset
          this.lentEnd = offset + chunk.length
        } else {
          this.submitLent()
          this.gathered.push(chunk)
          this.gatheredSize += chunk.length
          this.submitGathered(false)
        }
        if (this.lent && this.lentEnd === this.lent.length) this.submitLent()
      } finally {
        pool.next()
      }
    }).then(() => done(), done)
  }

  override _flush(done: TransformCallback): void {
    this.submitLent()
    this.submitGathered()
    this.tail.then(() => done(), done)
  }

  private submitLent(): void {
    if (!this.lent) return
    // Recycled only if this stream saw the frame from its start, as the NAR serialiser lends it.
    this.submitFrame(this.lent.subarray(this.lentStart, this.lentEnd), this.lentStart === 0 ? this.lent : undefined)
    this.lent = undefined
  }

  /**
   * Gathered bytes as frames of FRAME_SIZE, so that each fits the window; the rest stays
   * gathered for the next frame unless `all` (a lent frame follows, or the end).
   */
  private submitGathered(all = true): void {
    if (this.gatheredSize === 0 || (!all && this.gatheredSize < FRAME_SIZE)) return
    const bytes = this.gathered.length === 1 ? this.gathered[0]! : Buffer.concat(this.gathered, this.gatheredSize)
    let at = 0
    for (; bytes.length - at >= FRAME_SIZE; at += FRAME_SIZE) this.submitFrame(bytes.subarray(at, at + FRAME_SIZE))
    if (all && at < bytes.length) {
      this.submitFrame(bytes.subarray(at))
      at = bytes.length
    }
    this.gathered = at < bytes.length ? [bytes.subarray(at)] : []
    this.gatheredSize = bytes.length - at
  }

  /** `whole`: the lent frame `bytes` is a view of, recycled once compressed. */
  private submitFrame(bytes: Buffer, whole?: Buffer): void {
    const compressed = pool.compress(bytes, whole)
    // Handled here so that a frame failing while an earlier one is pending is no unhandled rejection.
    compressed.catch(() => undefined)
    this.tail = this.tail.then(async () => {
      for (const b of await compressed) this.push(b)
    })
    // A failed frame fails the stream now; the chain then stays rejected, so _flush reports it too.
    this.tail.catch((e: Error) => this.destroy(e))
  }
}
