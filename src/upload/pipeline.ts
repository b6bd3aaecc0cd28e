import { lstatSync } from 'node:fs'
import { join } from 'node:path'
import { Readable, pipeline } from 'node:stream'
import type { BinaryCacheBackend } from '../backends/backend.js'
import { CONTENT_TYPES } from '../backends/backend.js'
import { compressor, NAR_EXTENSION } from '../compression.js'
import type { Compression } from '../inputs.js'
import { narStream } from '../nar.js'
import { narInfoKey, renderNarInfo } from '../narinfo.js'
import type { PathInfo } from '../nix/path-info-types.js'
import { formatNix32Hash, parseHash } from '../nix32.js'
import { fingerprint, type SigningKey } from '../signing.js'
import { limiter } from './limiter.js'
import { Meter } from './meter.js'

export interface UploadOptions {
  backend: BinaryCacheBackend
  /**
   * Signs every narinfo. Optional because a cache Nix is told to trust by URL (the restored
   * GitHub Actions cache, `?trusted=1`) needs no signatures.
   */
  signer?: SigningKey
  compression: Compression
  parallelism: number
  realStoreDir: string
}

export interface Pushed {
  path: string
  narSize: number
  fileSize: number
}

export interface UploadOutcome {
  pushed: Pushed[]
  failed: Array<{ path: string; reason: string }>
  /** Paths that disappeared (garbage-collected) before they could be read. */
  vanished: string[]
}

interface NarFile {
  url: string
  fileHash: string
  fileSize: number
}

class NarMismatch extends Error {}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/** References before referrers, so a referrer's narinfo is never written before theirs. */
export function topologicalOrder(infos: readonly PathInfo[]): PathInfo[] {
  const byPath = new Map(infos.map((i) => [i.path, i]))
  const seen = new Set<string>()
  const out: PathInfo[] = []
  const visit = (info: PathInfo): void => {
    // An explicit stack would avoid deep recursion, but reference chains are shallow in practice
    // and at worst a few thousand long, well within the default stack.
    if (seen.has(info.path)) return
    seen.add(info.path)
    for (const r of info.references) {
      const dep = byPath.get(r)
      if (dep) visit(dep)
    }
    out.push(info)
  }
  for (const info of infos) visit(info)
  return out
}

// Synchronous: an lstat is microseconds, a thread-pool round trip per path is not (see nar.ts).
async function exists(p: string): Promise<boolean> {
  try {
    lstatSync(p)
    return true
  } catch {
    return false
  }
}

/**
 * Streams one path's NAR through a hash check and the compressor into the cache. The NAR's name
 * comes from its NarHash, which is known before compression, so nothing is buffered to learn
 * the FileHash first.
 */
async function uploadNar(info: PathInfo, opts: UploadOptions): Promise<NarFile> {
  const expected = parseHash(info.narHash)
  const url = `nar/${formatNix32Hash(expected).slice('sha256:'.length)}${NAR_EXTENSION[opts.compression]}`
  const source = join(opts.realStoreDir, info.path.slice(info.path.lastIndexOf('/') + 1))
  let meters: { nar: Meter; file: Meter } | undefined
  await opts.backend.put(
    url,
    () => {
      const nar = new Meter()
      const file = new Meter()
      meters = { nar, file }
      return pipeline(narStream(source), nar, compressor(opts.compression, info.narSize), file, () => undefined)
    },
    CONTENT_TYPES.nar
  )
  if (!meters) throw new Error('the cache backend did not read the NAR')
  // Verified after streaming to avoid reading every path twice; a mismatch means no narinfo.
  if (meters.nar.bytes !== info.narSize || !meters.nar.digest().equals(expected)) {
    throw new NarMismatch(`its contents do not match the hash Nix recorded (store corruption?)`)
  }
  return { url, fileHash: formatNix32Hash(meters.file.digest()), fileSize: meters.file.bytes }
}

function narInfoText(info: PathInfo, nar: NarFile, opts: UploadOptions): string {
  // Keep signatures the path already has (as `nix copy` does), but replace any by our key name.
  let sigs = info.signatures
  if (opts.signer) {
    const ours = opts.signer.sign(fingerprint(info.path, info.narHash, info.narSize, info.references))
    const keyName = ours.slice(0, ours.indexOf(':'))
    sigs = [...info.signatures.filter((s) => !s.startsWith(`${keyName}:`)), ours]
  }
  return renderNarInfo({
    storePath: info.path,
    url: nar.url,
    compression: opts.compression,
    fileHash: nar.fileHash,
    fileSize: nar.fileSize,
    narHash: info.narHash,
    narSize: info.narSize,
    references: info.references,
    deriver: info.deriver,
    sigs,
    ca: info.ca
  })
}

/** Uploads every path: NARs in parallel, each narinfo last and only after its references'. */
export async function uploadPaths(infos: readonly PathInfo[], opts: UploadOptions): Promise<UploadOutcome> {
  const outcome: UploadOutcome = { pushed: [], failed: [], vanished: [] }
  const limit = limiter(opts.parallelism)
  const committed = new Map<string, Promise<boolean>>()
  const one = async (info: PathInfo): Promise<boolean> => {
    const source = join(opts.realStoreDir, info.path.slice(info.path.lastIndexOf('/') + 1))
    let nar: NarFile
    try {
      nar = await limit(async () => {
        if (!(await exists(source))) throw new Vanished()
        return uploadNar(info, opts)
      })
    } catch (e) {
      if (e instanceof Vanished || !(await exists(source))) outcome.vanished.push(info.path)
      else outcome.failed.push({ path: info.path, reason: message(e) })
      return false
    }
    const refs = info.references.filter((r) => r !== info.path && committed.has(r))
    const refsOk = (await Promise.all(refs.map((r) => committed.get(r)))).every(Boolean)
    if (!refsOk) {
      outcome.failed.push({ path: info.path, reason: 'a path it references could not be uploaded' })
      return false
    }
    try {
      const text = narInfoText(info, nar, opts)
      await opts.backend.put(narInfoKey(info.path), () => Readable.from([text]), CONTENT_TYPES.narinfo)
    } catch (e) {
      outcome.failed.push({ path: info.path, reason: message(e) })
      return false
    }
    outcome.pushed.push({ path: info.path, narSize: info.narSize, fileSize: nar.fileSize })
    return true
  }
  for (const info of topologicalOrder(infos)) committed.set(info.path, one(info))
  await Promise.all(committed.values())
  return outcome
}

class Vanished extends Error {}
