import { createWriteStream } from 'node:fs'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createHash, randomBytes } from 'node:crypto'
import { pipeline } from 'node:stream/promises'
import { pipeline as pipelineCb, Transform, type Readable, type TransformCallback } from 'node:stream'
import type { BinaryCacheBackend, Published } from './backend.js'
import { CONTENT_TYPES } from './backend.js'
import { compressesInOneCall, compressor, compressSmall, NAR_EXTENSION, SMALL_NAR } from '../../format/compression.js'
import type { Compression } from '../../format/compression.js'
import { narBytes, narHashOf, narStream } from '../../format/nar.js'
import { FRAME_SIZE } from '../../format/frame-buffers.js'
import type { PathInfo } from '../../format/path-info.js'
import { formatNix32Hash, parseHash } from '../../format/nix32.js'
import { Meter } from './meter.js'

/**
 * The one place a NAR gets its final name, for every binary-cache writer (file://, HTTP, S3 and
 * the GitHub Actions layer). A NAR is named by the NarHash Nix recorded, so bytes written under
 * that name before they are checked could replace a good NAR of another path with the same
 * contents. Hence: serialise, hash and compress into a spool file; give it its name only when
 * NarHash and NarSize match; never overwrite a NAR that is already there.
 *
 * A backend that sends over the network (HTTP, S3) takes the NAR straight from the store instead
 * (`publishStream`), so compression overlaps with the transfer: a first pass hashes the path
 * (cheap next to compressing it), and the second compresses it into the request while hashing
 * it again, and fails before the body's last byte if what it read then differs. The backend
 * abandons such a write, so the server never completes it (docs/streamed-uploads.md). Where the
 * server stores no body that failed (S3; nginx, which keeps nothing of a cut PUT), the first pass
 * is left out.
 */

/** What a narinfo says about its NAR file. FileHash and FileSize only when this job wrote that file. */
export interface NarFile {
  url: string
  /** `sha256:…`, or '' when the file under `url` was written by someone else (Nix reads FileHash as optional). */
  fileHash: string
  fileSize: number
}

/** A store path whose contents are not what Nix recorded (tampering, a damaged disk). */
export class NarMismatch extends Error {
  constructor() {
    super('its contents do not match the hash Nix recorded (store corruption?)')
  }
}

export function narUrl(info: Pick<PathInfo, 'narHash'>, compression: Compression): string {
  return `nar/${formatNix32Hash(parseHash(info.narHash)).slice('sha256:'.length)}${NAR_EXTENSION[compression]}`
}

function check(info: PathInfo, size: number, hash: Buffer): void {
  if (size !== info.narSize || !hash.equals(parseHash(info.narHash))) throw new NarMismatch()
}

/** The hash-only pass, for a path whose NAR is already in the cache: its narinfo still needs proof. */
export async function verifyPath(info: PathInfo, source: string): Promise<void> {
  const { hash, size } = await narHashOf(source)
  check(info, size, hash)
}

export interface WriteNarOptions {
  backend: BinaryCacheBackend
  compression: Compression
  /** Where spool files go when the backend has no place of its own. */
  spoolDir: string
  /** Counts the NAR bytes read while the write is under way. */
  progress?: { readonly inflight: Set<{ readonly bytes: number }> }
  /**
   * Bounds the NARs of more than one frame (4 MiB) streamed at once (`publishStream`): each holds
   * frames and compressed output that its request has not taken yet (eight at once peaked 40 to
   * 90 MB higher than three), and the shared compressors (zstd-frames.ts) are kept busy by fewer.
   * All at once when not given.
   */
  streams?: <T>(task: () => Promise<T>) => Promise<T>
}

/** Whether the NAR is written from memory in one call (writeSmallNar), not streamed or spooled. */
export function writtenInOneCall(info: Pick<PathInfo, 'narSize'>, compression: Compression): boolean {
  return info.narSize <= SMALL_NAR && compressesInOneCall(compression)
}

/** Writes the NAR of `source` under its NarHash name, verified; throws NarMismatch (nothing published) when it does not match. */
export async function writeVerifiedNar(info: PathInfo, source: string, opts: WriteNarOptions): Promise<NarFile> {
  if (writtenInOneCall(info, opts.compression)) {
    const small = await writeSmallNar(info, source, opts)
    if (small) return small
  }
  if (opts.backend.publishStream) return await streamVerifiedNar(info, source, opts)
  const url = narUrl(info, opts.compression)
  const spool = (await opts.backend.spoolFile?.(url)) ?? join(opts.spoolDir, `${randomBytes(8).toString('hex')}.spool`)
  const nar = new Meter()
  const file = new Meter()
  opts.progress?.inflight.add(nar)
  try {
    await pipeline(narStream(source), nar, compressor(opts.compression, info.narSize), file, createWriteStream(spool))
    check(info, nar.bytes, nar.digest())
    const published = await opts.backend.publish(url, spool, CONTENT_TYPES.nar)
    if (published === 'existed') return { url, fileHash: '', fileSize: 0 }
    return { url, fileHash: formatNix32Hash(file.digest()), fileSize: file.bytes }
  } finally {
    opts.progress?.inflight.delete(nar)
    await rm(spool, { force: true })
  }
}

/**
 * A small NAR (most store paths) in memory: serialised, checked and compressed in one go, with
 * no stream stages, then written under its name in one call, or spooled in one write where the
 * backend names only files. Checked before any byte leaves the process, as the streamed path is.
 * Undefined when the path is not small after all, or the compression has no one-shot call.
 */
async function writeSmallNar(info: PathInfo, source: string, opts: WriteNarOptions): Promise<NarFile | undefined> {
  const nar = await narBytes(source, info.narSize)
  // Longer than Nix recorded: it cannot match, and the streamed path says so with its hash.
  if (!nar) return undefined
  check(info, nar.length, createHash('sha256').update(nar).digest())
  const compressed = compressSmall(opts.compression, nar)
  if (!compressed) return undefined
  const url = narUrl(info, opts.compression)
  const { backend } = opts
  let published: Published
  if (backend.publishBytes) {
    published = await backend.publishBytes(url, compressed, CONTENT_TYPES.nar)
  } else {
    const spool = (await backend.spoolFile?.(url)) ?? join(opts.spoolDir, `${randomBytes(8).toString('hex')}.spool`)
    try {
      await writeFile(spool, compressed, { flag: 'wx' })
      published = await backend.publish(url, spool, CONTENT_TYPES.nar)
    } finally {
      await rm(spool, { force: true })
    }
  }
  if (published === 'existed') return { url, fileHash: '', fileSize: 0 }
  return { url, fileHash: formatNix32Hash(createHash('sha256').update(compressed).digest()), fileSize: compressed.length }
}

/**
 * Passes the NAR on while hashing it, and fails instead of ending when it is longer than Nix
 * recorded or its hash differs: placed before the compressor, it keeps the compressed body from
 * ever ending with bytes that are not the NAR its name promises.
 */
class NarGate extends Transform {
  private readonly hash = createHash('sha256')
  bytes = 0

  constructor(private readonly info: PathInfo) {
    // Hashing is synchronous: a buffer here would only hold chunks back (see meter.ts).
    super({ highWaterMark: 0 })
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length
    if (this.bytes > this.info.narSize) return done(new NarMismatch())
    this.hash.update(chunk)
    done(null, chunk)
  }

  override _flush(done: TransformCallback): void {
    try {
      check(this.info, this.bytes, this.hash.digest())
      done()
    } catch (e) {
      done(e as Error)
    }
  }
}

/** The streamed write (see the top of this file): checked first, then compressed into the request under the gate. */
async function streamVerifiedNar(info: PathInfo, source: string, opts: WriteNarOptions): Promise<NarFile> {
  const publishStream = opts.backend.publishStream
  if (!publishStream) throw new Error('the backend cannot publish a stream')
  const url = narUrl(info, opts.compression)
  const gates = new Set<NarGate>()
  let file: Meter | undefined
  // Each attempt re-reads the path: a stream cannot be replayed.
  const body = (): Readable => {
    for (const g of gates) opts.progress?.inflight.delete(g)
    const gate = new NarGate(info)
    gates.add(gate)
    opts.progress?.inflight.add(gate)
    file = new Meter()
    // The last stage is what the backend reads; any stage's error (NarMismatch) destroys it.
    return pipelineCb(narStream(source), gate, compressor(opts.compression, info.narSize), file, () => undefined)
  }
  const both = async (): Promise<Published> => {
    // The first pass: a path that does not match costs a hash, never a started upload. Skipped
    // where a body that fails is never stored (S3, nginx): the gate is then the check, in one read.
    if (!opts.backend.dropsCutBodies?.()) await verifyPath(info, source)
    return await publishStream.call(opts.backend, url, body, CONTENT_TYPES.nar)
  }
  try {
    // Both passes under the bound, so a large NAR is read twice in quick succession (the page
    // cache still holds it) and no more large NARs are read at once. A NAR of one frame holds
    // little for long; many of them at once keep a distant server's round trips overlapped.
    const published = await (opts.streams && info.narSize > FRAME_SIZE ? opts.streams(both) : both())
    if (published === 'existed' || !file) return { url, fileHash: '', fileSize: 0 }
    return { url, fileHash: formatNix32Hash(file.digest()), fileSize: file.bytes }
  } finally {
    for (const g of gates) opts.progress?.inflight.delete(g)
  }
}
