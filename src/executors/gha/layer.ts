import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { copyFile, link, lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { cacheInfoText } from '../../format/cache-info.js'
import { FileBackend } from '../binary-cache/file.js'
import { parseNarInfo, type NarInfo } from '../../format/narinfo.js'
import type { PathInfo } from '../../format/path-info.js'
import { parseHash } from '../../format/nix32.js'
import type { SigningKey } from '../../format/signing.js'
import { limiter } from '../../runtime/limiter.js'
import { uploadPaths } from '../binary-cache/upload.js'
import type { Pushed, UploadOutcome } from '../../plan/result.js'
import { LAYER_FORMAT, type PathFact } from './manifest.js'
import { hashPart } from '../../format/store-path.js'

/**
 * A layer is a plain binary-cache directory (nix-cache-info, <hash>.narinfo, nar/<narhash>.nar).
 * NARs are stored uncompressed: @actions/cache zstd-compresses the whole archive, and compressing
 * twice costs time for nothing. Uncompressed NARs also let a restore check every NAR against the
 * NarHash Nix recorded, with no decompression.
 *
 * The layer names its format in LAYER_FORMAT_FILE (the manifest's record of it does too, and is
 * what restores go by, before downloading). Layers saved before 1.0.0 have no such file; they are
 * format 1 all the same.
 */
export const LAYER_FORMAT_FILE = 'nix-buildtime-cache-layer.json'
export const layerFormatText = (): string => `${JSON.stringify({ format: LAYER_FORMAT })}\n`


export function pathFact(info: { storePath: string; narSize: number; references: readonly string[] }): PathFact {
  const self = hashPart(info.storePath)
  return { hash: self, narSize: info.narSize, references: info.references.map(hashPart).filter((h) => h !== self) }
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p)
    return true
  } catch {
    return false
  }
}

/** Hard links where possible: a compacted layer reuses the restored NARs without copying them. */
async function linkOrCopy(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true })
  try {
    await link(from, to)
  } catch {
    await copyFile(from, to)
  }
}

export interface WriteLayerOptions {
  dir: string
  storeDir: string
  realStoreDir: string
  /** New paths, read from the store. */
  fresh: readonly PathInfo[]
  /** Hash parts of paths to take from `from` (a compaction carries the live restored paths over). */
  copy: readonly string[]
  from: string
  signer?: SigningKey
  parallelism: number
  /**
   * A binary-cache directory the background agent wrote during the build (same format: NARs
   * uncompressed, narinfos signed with the same key). Fresh paths found there are linked into the
   * layer instead of being serialised again.
   */
  prepared?: string
}

export interface WrittenLayer {
  /** The upload outcome for the fresh paths. */
  outcome: UploadOutcome
  /** Every path the layer holds. */
  paths: PathFact[]
  narBytes: number
  /** Identifies the content: the same paths give the same layer key. */
  contentHash: string
}

export async function writeLayer(opts: WriteLayerOptions): Promise<WrittenLayer> {
  await rm(opts.dir, { recursive: true, force: true })
  const backend = new FileBackend(opts.dir)
  await backend.prepare(opts.storeDir)
  for (const hash of opts.copy) {
    const name = `${hash}.narinfo`
    const info = parseNarInfo(await readFile(join(opts.from, name), 'utf8'), opts.storeDir)
    await linkOrCopy(join(opts.from, info.url), join(opts.dir, info.url))
    await linkOrCopy(join(opts.from, name), join(opts.dir, name))
  }
  const adopted = opts.prepared ? await adoptPrepared(opts.fresh, opts.prepared, opts.dir, opts.storeDir) : []
  const done = new Set(adopted.map((p) => p.path))
  const outcome = await uploadPaths(opts.fresh.filter((i) => !done.has(i.path)), {
    backend,
    signer: opts.signer,
    compression: 'none',
    parallelism: opts.parallelism,
    realStoreDir: opts.realStoreDir
  })
  outcome.pushed.unshift(...adopted)
  // In the content hash: a layer of another format never gets the key of this one.
  await writeFile(join(opts.dir, LAYER_FORMAT_FILE), layerFormatText())
  const content = createHash('sha256').update(layerFormatText())
  const paths: PathFact[] = []
  for (const name of (await readdir(opts.dir)).filter((n) => n.endsWith('.narinfo')).sort()) {
    const text = await readFile(join(opts.dir, name), 'utf8')
    content.update(`${name}\n${text}\n`)
    paths.push(pathFact(parseNarInfo(text, opts.storeDir)))
  }
  return { outcome, paths, narBytes: paths.reduce((a, p) => a + p.narSize, 0), contentHash: content.digest('hex').slice(0, 32) }
}

/**
 * Links the paths the agent prepared into the layer, narinfos after NARs. A prepared narinfo is
 * taken only if it describes exactly the path the store has now; anything else is written anew.
 */
async function adoptPrepared(fresh: readonly PathInfo[], prepared: string, dir: string, storeDir: string): Promise<Pushed[]> {
  const adopted: Pushed[] = []
  for (const info of fresh) {
    const name = `${hashPart(info.path)}.narinfo`
    let ni: NarInfo
    try {
      ni = parseNarInfo(await readFile(join(prepared, name), 'utf8'), storeDir)
    } catch {
      continue
    }
    if (ni.storePath !== info.path || ni.narHash !== info.narHash || ni.narSize !== info.narSize || ni.compression !== 'none') continue
    if (!(await exists(join(prepared, ni.url)))) continue
    if (!(await exists(join(dir, ni.url)))) await linkOrCopy(join(prepared, ni.url), join(dir, ni.url))
    await linkOrCopy(join(prepared, name), join(dir, name))
    adopted.push({ path: info.path, narSize: info.narSize, fileSize: ni.fileSize })
  }
  return adopted
}

/** What a NAR file in a restored layer actually is, or why it cannot be read. */
type NarFacts = { size: number; hash: Buffer } | { problem: string }

async function narFacts(nar: string): Promise<NarFacts> {
  let size: number
  try {
    size = (await lstat(nar)).size
  } catch {
    return { problem: 'NAR missing' }
  }
  const digest = createHash('sha256')
  await pipeline(createReadStream(nar), digest)
  return { size, hash: digest.digest() }
}

/** Why a restored path cannot be used, or undefined when its NAR is exactly what its narinfo says. */
function problemWith(info: NarInfo, nar: NarFacts): string | undefined {
  if (info.compression !== 'none') return `unexpected compression ${info.compression}`
  if ('problem' in nar) return nar.problem
  if (nar.size !== info.narSize) return `NAR is ${nar.size} bytes, narinfo says ${info.narSize}`
  if (!nar.hash.equals(parseHash(info.narHash))) return 'NAR hash mismatch'
  return undefined
}

export interface Absorbed {
  paths: PathFact[]
  /** Paths dropped because their narinfo or NAR is damaged. */
  corrupt: string[]
  narBytes: number
}

/**
 * Checks a restored layer path by path and moves the good ones into the merged binary cache.
 * Nix would refuse a damaged NAR too, but by failing the build (unless `fallback` is set), so a
 * damaged path must never reach the cache Nix reads: it is dropped here and rebuilt instead.
 *
 * Paths with identical contents share one NAR file (`nar/<NarHash>`), so NARs are checked and
 * moved once each, and every narinfo naming one is judged against what that file is.
 */
export async function absorbLayer(layerDir: string, cacheDir: string, storeDir: string): Promise<Absorbed> {
  const names = (await readdir(layerDir).catch(() => [] as string[])).filter((n) => n.endsWith('.narinfo'))
  const result: Absorbed = { paths: [], corrupt: [], narBytes: 0 }
  const limit = limiter(4)
  await mkdir(join(cacheDir, 'nar'), { recursive: true })
  const byNar = new Map<string, Array<{ name: string; info: NarInfo }>>()
  await Promise.all(
    names.map((name) =>
      limit(async () => {
        let info: NarInfo
        try {
          info = parseNarInfo(await readFile(join(layerDir, name), 'utf8'), storeDir)
        } catch (e) {
          result.corrupt.push(`${name}: ${(e as Error).message}`)
          return
        }
        if (name !== `${hashPart(info.storePath)}.narinfo`) result.corrupt.push(`${info.storePath}: narinfo under the wrong name`)
        // A URL leaving the layer (`../x`) would read or move files outside it.
        else if (!/^nar\/[^/]+$/.test(info.url)) result.corrupt.push(`${info.storePath}: unexpected NAR location ${info.url}`)
        else byNar.set(info.url, [...(byNar.get(info.url) ?? []), { name, info }])
      })
    )
  )
  await Promise.all(
    [...byNar].map(([url, users]) =>
      limit(async () => {
        const facts = await narFacts(join(layerDir, url))
        const good = users.filter(({ info }) => {
          const problem = problemWith(info, facts)
          if (problem) result.corrupt.push(`${info.storePath}: ${problem}`)
          return !problem
        })
        if (good.length === 0) return
        // Two layers can hold the same NAR (concurrent jobs, shared contents); the first one in wins.
        const narTarget = join(cacheDir, url)
        if (!(await exists(narTarget))) await rename(join(layerDir, url), narTarget)
        for (const { name, info } of good) {
          const infoTarget = join(cacheDir, name)
          if (!(await exists(infoTarget))) await rename(join(layerDir, name), infoTarget)
          result.paths.push(pathFact(info))
          result.narBytes += info.narSize
        }
      })
    )
  )
  await rm(layerDir, { recursive: true, force: true })
  return result
}

/** Makes `dir` a binary cache Nix accepts even when no layer could be restored. */
export async function prepareBinaryCache(dir: string, storeDir: string): Promise<void> {
  await mkdir(join(dir, 'nar'), { recursive: true })
  // Priority 30: a local directory answers instantly, so it is asked before any network cache.
  await writeFile(join(dir, 'nix-cache-info'), cacheInfoText(storeDir).replace(/^Priority: \d+$/m, 'Priority: 30'))
}
