import { lstatSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import type { BinaryCacheBackend } from './backend.js'
import { CONTENT_TYPES } from './backend.js'
import type { Compression } from '../../format/compression.js'
import { NAR_MAX_DEPTH, NarTooDeep } from '../../format/nar.js'
import { narInfoKey, renderNarInfo } from '../../format/narinfo.js'
import type { PathInfo } from '../../format/path-info.js'
import { makeSpoolDir } from './spool-dir.js'
import { host } from '../../runtime/host.js'
import { fingerprint, type SigningKey } from '../../format/signing.js'
import { limiter } from '../../runtime/limiter.js'
import { emptyOutcome, type Pushed, type UploadOutcome } from '../../plan/result.js'
import { narUrl, verifyPath, writeVerifiedNar, writtenInOneCall, type NarFile } from './nar-writer.js'
import { UploadProgress } from './progress.js'

export interface UploadOptions {
  backend: BinaryCacheBackend
  /**
   * Signs every narinfo. Optional because the GitHub Actions cache's layers need none of their
   * own: the local substituter signs them for each job as it serves them (gha/serving-key.ts).
   */
  signer?: SigningKey
  compression: Compression
  parallelism: number
  realStoreDir: string
  /** Where NARs are spooled for backends that have no place of their own (default: the host's temp dir). */
  spoolDir?: string
  /** How often a long upload logs its progress (default 10 s). */
  progressIntervalMs?: number
  /** Told of each path as soon as its narinfo is written (the agent records it at once: it may be killed). */
  onPushed?: (pushed: Pushed) => void
  /**
   * Upload and verify the NARs only, writing no narinfo (the agent, for paths whose selection is
   * not certain yet): each path counts as pushed once its NAR is there.
   */
  narsOnly?: boolean
  /** Told of each NAR this run wrote itself, whole and verified (the agent records it for the post step). */
  onNarWritten?: (nar: NarFile) => void
  /**
   * NARs already in the cache that this job wrote itself (the agent's staged NARs): a path with
   * one is hashed again, but its NAR is not asked about nor uploaded, and its narinfo names it.
   */
  written?: readonly NarFile[]
}

/** Enough NARs in flight to keep the shared compressors (3, zstd-frames.ts) and the network busy. */
const STREAMS = 3

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
function exists(p: string): boolean {
  try {
    lstatSync(p)
    return true
  } catch {
    return false
  }
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

/**
 * Uploads every path: NARs in parallel, each narinfo last and only after its references'. Every
 * path is hashed before its narinfo is published, also when its NAR is already there, so a path
 * whose contents do not match its NarHash is never published, nor anything that references it.
 */
export async function uploadPaths(infos: readonly PathInfo[], opts: UploadOptions): Promise<UploadOutcome> {
  const outcome = emptyOutcome()
  if (infos.length === 0) return outcome
  const limit = limiter(opts.parallelism)
  /** NARs compressed straight into their requests at once (nar-writer.ts): what bounds a push's memory. */
  // A backend that holds much of a push's memory itself (S3) gets one large NAR fewer at once: its
  // post step peaked at 215-234 MB with 2 (five runs), 225-263 MB with 3.
  const streams = limiter(Math.min(opts.parallelism, opts.backend.memoryTight ? STREAMS - 1 : STREAMS))
  const committed = new Map<string, Promise<boolean>>()
  /** Paths not pushed because current Nix could not substitute them, or something they reference. */
  const unsubstitutable = new Set<string>()
  const skip = (path: string, reason: string): false => {
    unsubstitutable.add(path)
    ;(outcome.unsubstitutable ??= []).push({ path, reason })
    return false
  }
  /** Per NAR name, the NAR this job has published (or found) under it: paths with equal contents share one. */
  const nars = new Map<string, Promise<NarFile | undefined>>()
  for (const nar of opts.written ?? []) nars.set(nar.url, Promise.resolve(nar))
  const ownSpool = opts.backend.spoolFile || opts.spoolDir ? undefined : await makeSpoolDir(host().tempDir)
  const spoolDir = opts.spoolDir ?? ownSpool ?? tmpdir()
  const progress = new UploadProgress(
    infos.length,
    infos.reduce((a, i) => a + i.narSize, 0),
    opts.backend.displayUrl,
    opts.progressIntervalMs
  )

  const publishNar = async (info: PathInfo, source: string, known: NarFile | undefined): Promise<{ nar: NarFile; uploaded: number }> => {
    if (!exists(source)) throw new Vanished()
    if (known) {
      await verifyPath(info, source)
      return { nar: known, uploaded: 0 }
    }
    const url = narUrl(info, opts.compression)
    // A small NAR compressed in memory costs less to write than to ask about, where the write
    // cannot replace one (not one compressed by the xz tool: a process per path already there).
    const ask = !(opts.backend.publishesExclusively && writtenInOneCall(info, opts.compression))
    if (ask && (await opts.backend.has(url))) {
      await verifyPath(info, source)
      return { nar: { url, fileHash: '', fileSize: 0 }, uploaded: 0 }
    }
    const nar = await writeVerifiedNar(info, source, { backend: opts.backend, compression: opts.compression, spoolDir, progress, streams })
    if (nar.fileHash !== '') opts.onNarWritten?.(nar)
    return { nar, uploaded: nar.fileSize }
  }

  /** Whether a GC deleted `key` after this push found and touched it (S3; BinaryCacheBackend.settle). */
  const lostToGc = async (keys: readonly string[]): Promise<string[]> => [...((await opts.backend.settle?.(keys)) ?? [])]

  const one = async (info: PathInfo): Promise<boolean> => {
    const source = join(opts.realStoreDir, info.path.slice(info.path.lastIndexOf('/') + 1))
    // Registered synchronously, in order, so a later path with the same contents waits for this one.
    const url = narUrl(info, opts.compression)
    const before = nars.get(url)
    let settle: (nar: NarFile | undefined) => void = () => undefined
    nars.set(url, new Promise((resolve) => (settle = resolve)))
    // Waited for outside the limiter: a waiter holding a slot could starve the path it waits for.
    const known = await before
    let nar: NarFile
    let uploaded: number
    try {
      ;({ nar, uploaded } = await limit(() => publishNar(info, source, known)))
      // A NAR found may have gone to a GC deleting at that very moment: written again before any
      // narinfo names it (the writer's own NARs are not at risk, so once is enough).
      if ((await lostToGc([nar.url])).length > 0) {
        ;({ nar, uploaded } = await limit(() => publishNar(info, source, undefined)))
        if ((await lostToGc([nar.url])).length > 0) throw new Error(`its NAR ${nar.url} was deleted by a retention GC as this job wrote it`)
      }
      settle(nar)
    } catch (e) {
      settle(known)
      if (e instanceof NarTooDeep) return skip(info.path, `nested deeper than ${NAR_MAX_DEPTH} levels (${e.fsPath}), which Nix 2.34 and later refuse`)
      if (e instanceof Vanished || !exists(source)) outcome.vanished.push(info.path)
      else outcome.failed.push({ path: info.path, reason: message(e) })
      return false
    } finally {
      progress.finished(info.narSize)
    }
    if (opts.narsOnly) {
      outcome.pushed.push({ path: info.path, narSize: info.narSize, fileSize: uploaded })
      return true
    }
    const refs = info.references.filter((r) => r !== info.path && committed.has(r))
    const refsOk = (await Promise.all(refs.map((r) => committed.get(r)))).every(Boolean)
    if (!refsOk) {
      const deep = refs.find((r) => unsubstitutable.has(r))
      if (deep) return skip(info.path, `references ${deep}, which is not pushed`)
      outcome.failed.push({ path: info.path, reason: 'a path it references could not be uploaded' })
      return false
    }
    // A reference this push found in the cache may have gone to a GC deleting at that moment; its
    // referrer is then not published (the cache stays closed), and the next push uploads both.
    const lost = await lostToGc(info.references.filter((r) => r !== info.path).map(narInfoKey))
    if (lost.length > 0) {
      outcome.failed.push({ path: info.path, reason: `a path it references (${info.references.find((r) => narInfoKey(r) === lost[0]) ?? lost[0]}) was deleted by a retention GC as this job pushed` })
      return false
    }
    try {
      const text = narInfoText(info, nar, opts)
      const key = narInfoKey(info.path)
      if (opts.backend.putBytes) await opts.backend.putBytes(key, Buffer.from(text), CONTENT_TYPES.narinfo)
      else await opts.backend.put(key, () => Readable.from([text]), CONTENT_TYPES.narinfo)
    } catch (e) {
      outcome.failed.push({ path: info.path, reason: message(e) })
      return false
    }
    const pushed = { path: info.path, narSize: info.narSize, fileSize: uploaded }
    outcome.pushed.push(pushed)
    opts.onPushed?.(pushed)
    return true
  }

  progress.start()
  try {
    for (const info of topologicalOrder(infos)) committed.set(info.path, one(info))
    await Promise.all(committed.values())
  } finally {
    progress.stop()
    if (ownSpool) await rm(ownSpool, { recursive: true, force: true })
  }
  return outcome
}

class Vanished extends Error {}
