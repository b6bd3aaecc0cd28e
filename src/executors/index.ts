import { jobBudget } from '../runtime/budget.js'
import { log } from '../runtime/host.js'
import type { CacheTarget } from '../config/inputs.js'
import type { BinaryCacheBackend } from './binary-cache/backend.js'
import { FileBackend } from './binary-cache/file.js'
import { HttpBackend } from './binary-cache/http.js'
import { jobRecordId } from './binary-cache/job-record.js'
import { FileCollectable } from './binary-cache/file-listing.js'
import type { CollectableCache } from './binary-cache/listing.js'

/** The caches our own binary-cache writer serves; any other Nix store is written with `nix copy`. */
export type BinaryCacheTarget = Extract<CacheTarget, { kind: 'file' | 'http' | 's3' }>

/** How requests to an HTTP cache authenticate (the `auth-header` and `netrc-file` inputs). */
export interface CacheAccess {
  authHeader?: { name: string; value: string }
  netrcFile?: string
  /**
   * A job that will not write (dry-run, pull-only): what it finds is not touched for the
   * retention GC either, since it will not rely on it (docs/gc.md).
   */
  readOnly?: boolean
}

/** The binary-cache writer for `cache`. */
export async function binaryCacheBackend(cache: BinaryCacheTarget, access: CacheAccess): Promise<BinaryCacheBackend> {
  if (cache.kind === 'file') return new FileBackend(cache.dir, { touchFound: !access.readOnly })
  if (cache.kind === 'http') {
    return new HttpBackend({
      url: cache.url,
      authHeader: access.authHeader,
      netrcFile: access.netrcFile,
      budget: jobBudget(),
      warn: (m) => log.warning(m)
    })
  }
  // The AWS SDK is loaded only for S3 caches; it would double every other post step's start-up.
  const { S3Backend } = await import('./binary-cache/s3.js')
  return new S3Backend({ location: cache.s3, budget: jobBudget(), warn: (m) => log.warning(m), touchFound: !access.readOnly })
}

/**
 * The job record's id for a job (its snapshot file) and cache; undefined for caches that get no
 * record: only file:// and s3:// caches are collected by `gc` (HTTP caches cannot be listed).
 */
export function recordIdFor(cache: BinaryCacheTarget, snapshotFile: string): string | undefined {
  if (cache.kind === 'http') return undefined
  // A file:// cache's URL may be rewritten to its read alias during the job; its directory is not.
  return jobRecordId(snapshotFile, cache.kind === 'file' ? `file://${cache.dir}` : cache.url)
}

/**
 * The cache as the retention GC sees it. HTTP caches cannot be listed, and Nix stores written
 * with `nix copy` (and the GitHub Actions cache, which compacts itself) are not ours to collect.
 */
export async function collectableCache(cache: CacheTarget): Promise<CollectableCache> {
  if (cache.kind === 'file') return new FileCollectable(cache.dir)
  if (cache.kind === 's3') {
    const { S3Collectable } = await import('./binary-cache/s3-listing.js')
    return new S3Collectable({ location: cache.s3, budget: jobBudget() })
  }
  if (cache.kind === 'http') {
    throw new NotCollectable(`${cache.url}: an HTTP cache cannot be listed, so gc cannot collect it; run the GC where the files are (a file:// path or the s3:// bucket behind it)`)
  }
  if (cache.kind === 'github-actions') {
    throw new NotCollectable('the GitHub Actions cache compacts itself (max-size, and GitHub evicts entries unused for 7 days); gc collects file:// and s3:// caches')
  }
  throw new NotCollectable(`${cache.url}: a Nix store written with \`nix copy\` is not ours to collect (use its own \`nix store gc\` or its server's retention); gc collects file:// and s3:// caches`)
}

/** A cache gc cannot collect: one clear error. */
export class NotCollectable extends Error {}
