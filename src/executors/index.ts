import { jobBudget } from '../runtime/budget.js'
import { log } from '../runtime/host.js'
import type { CacheTarget } from '../config/inputs.js'
import type { BinaryCacheBackend } from './binary-cache/backend.js'
import { FileBackend } from './binary-cache/file.js'
import { HttpBackend } from './binary-cache/http.js'

/** The caches our own binary-cache writer serves; any other Nix store is written with `nix copy`. */
export type BinaryCacheTarget = Extract<CacheTarget, { kind: 'file' | 'http' | 's3' }>

/** How requests to an HTTP cache authenticate (the `auth-header` and `netrc-file` inputs). */
export interface CacheAccess {
  authHeader?: { name: string; value: string }
  netrcFile?: string
}

/** The binary-cache writer for `cache`. */
export async function binaryCacheBackend(cache: BinaryCacheTarget, access: CacheAccess): Promise<BinaryCacheBackend> {
  if (cache.kind === 'file') return new FileBackend(cache.dir)
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
  return new S3Backend({ location: cache.s3, budget: jobBudget(), warn: (m) => log.warning(m) })
}
