import { log } from '../runtime/host.js'
import { jobBudget } from '../runtime/budget.js'
import { Niks3Api } from '../executors/niks3/api.js'
import type { ServerSubstituter } from '../pull/configure.js'
import type { Niks3Target } from './executor-choice.js'

/**
 * Where the job's Nix pulls from a niks3 server: `GET /api/cache-config` (no auth) names the
 * substituter (the bucket's CDN, or the server's read proxy) and the keys it signs with
 * (server/cache_config.go, api/types.go:80-92 @ 780939a). A read proxy that needs a token gets it
 * through the 0600 netrc. Undefined, with one warning, when the config cannot be read.
 */
export async function niks3Substituter(cache: Niks3Target, token: string | undefined): Promise<ServerSubstituter | undefined> {
  const api = new Niks3Api({ endpoint: cache.endpoint, token, budget: jobBudget() })
  try {
    const config = await api.cacheConfig()
    if (!config.substituter_url) {
      log.warning(`The niks3 server ${cache.endpoint} names no substituter (it runs without --cache-url): later steps do not substitute from it.`)
      return undefined
    }
    // Only to the server's own host, where its read proxy is: a CDN in front of the bucket needs none.
    const sameHost = new URL(config.substituter_url).host === new URL(cache.endpoint).host
    const credentials = token && sameHost ? { machine: new URL(config.substituter_url).hostname, password: token } : undefined
    return { url: config.substituter_url.replace(/\/+$/, ''), keys: config.public_keys ?? [], credentials }
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e)
    log.warning(`Could not read the cache config of the niks3 server ${cache.endpoint} (${why}): later steps do not substitute from it.`)
    return undefined
  }
}
