import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { jobDir } from '../../runtime/job-dir.js'
import { MANIFEST_FORMAT, READABLE_MANIFEST_FORMATS } from './manifest.js'

/**
 * Where the GitHub Actions cache backend keeps things on disk, and how its entries are named.
 *
 * An entry's version is a hash of the path strings it was saved from, and it is found only by a
 * restore that passes byte-identical paths. So @actions/cache is given each entry's name alone
 * (`manifest.json`, `layer-<slot>`), never a path of this machine (entry-paths.ts): a runner with
 * another RUNNER_TEMP, HOME or workspace finds the same entries. Layers are restored
 * in parallel, each into its own directory, so each layer records a *slot* number and is saved
 * from and restored to `layer-<slot>`: a layer's slot is part of its identity, and two live layers
 * never share one.
 */
export interface GhaLayout {
  root: string
  /** The manifest, saved and restored as this one file. */
  manifestFile: string
  /** Where the layer in `slot` is written, saved from and restored to. */
  slotDir(slot: number): string
  /** The binary cache the restored layers are merged into; Nix substitutes from it. */
  binaryCache: string
  /** The eagerly restored cache as Nix reads it: `binaryCache` with narinfos signed for the job (signed-view.ts). */
  served: string
  /** What the main step restored, for the post step. */
  restoredFile: string
  /** Where the agent writes NARs and narinfos during the build, for the post step's layer. */
  prepared: string
}

export function ghaLayout(runnerTemp: string): GhaLayout {
  const root = jobDir(runnerTemp).gha
  return {
    root,
    manifestFile: join(root, 'manifest.json'),
    slotDir: (slot) => join(root, `layer-${slot}`),
    binaryCache: join(root, 'binary-cache'),
    served: join(root, 'served'),
    restoredFile: join(root, 'restored.json'),
    prepared: join(root, 'prepared')
  }
}

/** Where to look for the manifests of one format. */
export interface ManifestPrefixes {
  format: number
  /** Restoring by this prefix finds the newest manifest in the job's scope (or, failing that, its base branch's). */
  manifestPrefix: string
  /** For a pull request: the prefix of its base branch's manifests, which only the base branch's scope holds. */
  baseManifestPrefix?: string
}

export interface KeyScheme extends ManifestPrefixes {
  /** Older formats' prefixes, newest first: read while the current format has no manifest yet. */
  older: ManifestPrefixes[]
  /** A new, unique manifest key. */
  manifestKey(at: number): string
  layerKey(contentHash: string): string
}

/**
 * A fixed-length tag for a ref, so that one ref's prefix can never be a prefix of another's
 * (`main` and `main-old` as names would be).
 */
export function refTag(ref: string): string {
  return `r${createHash('sha256').update(ref).digest('hex').slice(0, 10)}`
}

/**
 * The manifest key prefixes of one format. From format 2 on the prefix names the format
 * (`-manifest-f2-`): a restore by prefix finds the newest entry, so an older release, which looks
 * only under its own format's prefix, never finds a newer release's manifest and never saves one
 * that a newer release's restore would find first. Format 1 (before 1.0.0) had no tag.
 */
function manifestPrefixes(format: number, prefix: string, os: string, arch: string, env: NodeJS.ProcessEnv): ManifestPrefixes {
  const manifestPrefix = `${prefix}-manifest-${format === 1 ? '' : `f${format}-`}${os}-${arch}-`
  const p: ManifestPrefixes = { format, manifestPrefix }
  if (env.GITHUB_BASE_REF) p.baseManifestPrefix = `${manifestPrefix}${refTag(`refs/heads/${env.GITHUB_BASE_REF}`)}-`
  return p
}

/**
 * Keys carry the OS and architecture (a layer's store paths are only valid on one platform), and
 * manifests their format and the ref that wrote them, so that a pull request can ask for its base
 * branch's.
 */
export function keyScheme(prefix: string, env: NodeJS.ProcessEnv = process.env): KeyScheme {
  const os = (env.RUNNER_OS || process.platform).toLowerCase()
  const arch = (env.RUNNER_ARCH || process.arch).toLowerCase()
  const runId = env.GITHUB_RUN_ID || '0'
  const attempt = env.GITHUB_RUN_ATTEMPT || '1'
  const current = manifestPrefixes(MANIFEST_FORMAT, prefix, os, arch, env)
  const own = refTag(env.GITHUB_REF || 'unknown')
  return {
    ...current,
    older: READABLE_MANIFEST_FORMATS.filter((f) => f < MANIFEST_FORMAT)
      .sort((a, b) => b - a)
      .map((f) => manifestPrefixes(f, prefix, os, arch, env)),
    manifestKey: (at) => `${current.manifestPrefix}${own}-${runId}-${attempt}-${at}`,
    layerKey: (hash) => `${prefix}-layer-${os}-${arch}-${hash}`
  }
}
