import { log } from '../runtime/host.js'
import { jobBudget } from '../runtime/budget.js'
import { CachixApi } from '../executors/cachix/api.js'
import type { ServerSubstituter } from '../pull/configure.js'
import type { CachixTarget } from './executor-choice.js'

/**
 * Where the job's Nix pulls from a Cachix cache: its `uri` and `publicSigningKeys`
 * (cachix-api/src/Cachix/Types/BinaryCache.hs:12-24 @ e1d8f8c). A private cache is read with
 * netrc `machine <host>`, an empty login and the token as password, as `cachix use` writes it
 * (cachix/src/Cachix/Client/NetRc.hs:46-55). Undefined, with one warning, when the cache cannot
 * be read: the job then only pushes.
 */
export async function cachixSubstituter(cache: CachixTarget, token: string | undefined): Promise<ServerSubstituter | undefined> {
  const api = new CachixApi({ apiBase: cache.apiBase, cacheName: cache.cacheName, token, budget: jobBudget() })
  try {
    const info = await api.cache()
    const credentials = token && !info.isPublic ? { machine: new URL(info.uri).hostname, login: '', password: token } : undefined
    return { url: info.uri, keys: info.publicSigningKeys, credentials }
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e)
    log.warning(`Could not read Cachix cache ${cache.cacheName} (${why}): later steps do not substitute from it.${token ? '' : ' A private cache needs the auth-token input.'}`)
    return undefined
  }
}
