import { log } from '../runtime/host.js'
import { jobBudget } from '../runtime/budget.js'
import { AtticApi } from '../executors/attic/api.js'
import type { ServerSubstituter } from '../pull/configure.js'
import type { AtticTarget } from './executor-choice.js'

/**
 * Where the job's Nix pulls from an Attic cache, from the server's cache config: its substituter
 * endpoint plus the cache name, and the key it signs with at serve time (server/src/lib.rs,
 * server/src/api/binary_cache.rs @ b7c9056). Undefined, with one warning, when the config cannot
 * be read: the job then only pushes.
 */
export async function atticSubstituter(cache: AtticTarget, token: string | undefined): Promise<ServerSubstituter | undefined> {
  const api = new AtticApi({ endpoint: cache.endpoint, cacheName: cache.cacheName, token, budget: jobBudget() })
  try {
    const config = await api.cacheConfig()
    const base = config.substituter_endpoint ?? cache.endpoint
    const url = `${base.endsWith('/') ? base : `${base}/`}${cache.cacheName}`
    const keys = config.public_key ? [config.public_key] : []
    // A public cache needs no credentials; Nix's netrc gets the token only for a private one.
    const credentials = token && config.is_public === false ? { machine: new URL(url).hostname, password: token } : undefined
    return { url, keys, credentials }
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e)
    log.warning(`Could not read the config of Attic cache ${cache.cacheName} (${why}): later steps do not substitute from it.${token ? '' : ' A private cache needs the auth-token input.'}`)
    return undefined
  }
}
