import { jobBudget } from '../runtime/budget.js'
import { log } from '../runtime/host.js'
import type { Inputs } from '../config/inputs.js'
import type { BinaryCacheBackend } from './binary-cache/backend.js'
import { FileBackend } from './binary-cache/file.js'
import { HttpBackend } from './binary-cache/http.js'

/** The binary-cache writer for the `cache` input, or undefined for stores pushed with `nix copy`. */
export async function binaryCacheBackend(inputs: Inputs): Promise<BinaryCacheBackend | undefined> {
  const { cache } = inputs
  if (cache.kind === 'file') return new FileBackend(cache.dir)
  if (cache.kind === 'http') {
    return new HttpBackend({
      url: cache.url,
      authHeader: inputs.authHeader,
      netrcFile: inputs.netrcFile,
      budget: jobBudget(),
      warn: (m) => log.warning(m)
    })
  }
  if (cache.kind === 's3') {
    // The AWS SDK is loaded only for S3 caches; it would double every other post step's start-up.
    const { S3Backend } = await import('./binary-cache/s3.js')
    return new S3Backend({ location: cache.s3, budget: jobBudget(), warn: (m) => log.warning(m) })
  }
  return undefined
}
