import { spawn } from 'node:child_process'
import { Duplex, PassThrough, Transform, type TransformCallback } from 'node:stream'
import * as zlib from 'node:zlib'
import { FramedZstd } from './zstd-frames.js'
import { ZstdFrameReader } from './zstd-reader.js'

/** File name extension that Nix uses for each compression. */
/** How a NAR is stored in the cache; `Compression:` in its narinfo. */
export type Compression = 'zstd' | 'xz' | 'none'

export const NAR_EXTENSION: Record<Compression, string> = { zstd: '.nar.zst', xz: '.nar.xz', none: '.nar' }

const CHUNK = 1 << 20
/** NARs up to this size are compressed in one synchronous call (about a millisecond at most). */
export const SMALL_NAR = 256 * 1024

const zstdOneShot = (input: Buffer): Buffer =>
  zlib.zstdCompressSync(input, { pledgedSrcSize: input.length, params: { [zlib.constants.ZSTD_c_compressionLevel]: 3 } })

/**
 * A whole small NAR compressed in one call, on the main thread; undefined for a kind that has no
 * such call (xz runs as a tool), which then goes through `compressor`.
 */
export function compressSmall(kind: Compression, nar: Buffer): Buffer | undefined {
  if (!compressesInOneCall(kind)) return undefined
  return kind === 'zstd' ? zstdOneShot(nar) : nar
}

/** Whether `compressSmall` takes this kind (xz runs as a tool, so it does not). */
export function compressesInOneCall(kind: Compression): boolean {
  return kind === 'zstd' || kind === 'none'
}

/**
 * zstd for a small NAR: gathered, then compressed in one call on the main thread. A streaming
 * compressor hands each write and the final flush to the thread pool, and on a busy 2-core
 * runner those round trips cost more than compressing a few kilobytes.
 */
class SmallZstd extends Transform {
  private readonly chunks: Buffer[] = []
  private size = 0

  constructor(private readonly narSize: number) {
    super()
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length
    // A path that grew since Nix recorded it must not be gathered without bound.
    if (this.size > this.narSize) return done(new Error(`the NAR is longer than the ${this.narSize} bytes Nix recorded`))
    this.chunks.push(chunk)
    done()
  }

  override _flush(done: TransformCallback): void {
    try {
      const input = Buffer.concat(this.chunks)
      if (input.length !== this.narSize) return done(new Error(`the NAR is ${input.length} bytes, not the ${this.narSize} Nix recorded`))
      done(null, zstdOneShot(input))
    } catch (e) {
      done(e as Error)
    }
  }
}

/**
 * A stream that compresses a NAR. zstd is in Node's zlib from Node 22.15 (the action runs on 24).
 * Small NARs are compressed in one call; larger ones are cut into independent zstd frames (see
 * `FramedZstd`). zstd's own worker threads are not used because Node's binding mishandles them
 * with large output chunks.
 *
 * `narSize`, when known, decides the path: a small NAR gets a one-shot compressor sized to the
 * input instead of setting up (and zeroing) megabytes of tables for every small path, which makes
 * a job's thousands of small paths compress about 7 times faster. A small NAR must then be
 * exactly that long, or compression fails, as the hash check would anyway.
 */
export function compressor(kind: Compression, narSize?: number): Transform | Duplex {
  if (kind === 'none') return new PassThrough({ highWaterMark: CHUNK })
  if (kind === 'zstd' && narSize !== undefined && narSize <= SMALL_NAR) return new SmallZstd(narSize)
  if (kind === 'zstd') return new FramedZstd()
  // Node has no xz; the xz tool is on every GitHub runner image and in Debian.
  return xz(['-c', '-T0', '-6'])
}

/** The xz tool as a stream; it is killed when the stream is torn down before xz has finished. */
function xz(args: readonly string[]): Duplex {
  const child = spawn('xz', args, { stdio: ['pipe', 'pipe', 'ignore'] })
  const duplex = Duplex.from({ writable: child.stdin, readable: child.stdout })
  child.on('error', (e) => duplex.destroy(e))
  child.on('close', (code) => {
    if (code !== 0) duplex.destroy(new Error(`xz ${args.join(' ')} exited with ${code}`))
  })
  duplex.on('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill()
  })
  return duplex
}

/** The compression a NAR's file name says it has (`nar/<hash>.nar.zst`), or undefined for a name we never write. */
export function compressionOfNarFile(name: string): Compression | undefined {
  const found = (Object.entries(NAR_EXTENSION) as Array<[Compression, string]>).find(([, ext]) => name.endsWith(ext))
  return found?.[0]
}

/** The reverse of `compressor`: reads back what it wrote, every zstd frame of it (zstd-reader.ts). */
export function decompressor(kind: Compression): Transform | Duplex {
  if (kind === 'none') return new PassThrough({ highWaterMark: CHUNK })
  if (kind === 'zstd') return new ZstdFrameReader()
  return xz(['-dc'])
}
