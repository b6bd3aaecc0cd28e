import { log } from '../runtime/host.js'
import { jobBudget } from '../runtime/budget.js'
import { AtticApi } from '../executors/attic/api.js'
import { CachixApi } from '../executors/cachix/api.js'
import { Niks3Api } from '../executors/niks3/api.js'
import type { ServerTarget } from '../executors/server-sink.js'
import type { ServerSubstituter } from '../pull/configure.js'
import type { AtticTarget, CachixTarget, Niks3Target } from './executor-choice.js'

/** How the substituter is read from one kind of server, and what to call it when that fails. */
interface Reading {
  /** For the warning: what could not be read. */
  what: string
  /** Whether a missing token may be why (a private cache): the warning then says so. */
  mayNeedToken: boolean
  read: () => Promise<ServerSubstituter | undefined>
}

/**
 * Where the job's Nix pulls from a cache server, as its API names it. Undefined, with one warning,
 * when that cannot be read: the job then only pushes.
 */
export async function serverSubstituter(cache: ServerTarget, token: string | undefined): Promise<ServerSubstituter | undefined> {
  const reading = cache.kind === 'attic' ? attic(cache, token) : cache.kind === 'cachix' ? cachix(cache, token) : niks3(cache, token)
  try {
    return await reading.read()
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e)
    log.warning(`Could not read ${reading.what} (${why}): later steps do not substitute from it.${reading.mayNeedToken && !token ? ' A private cache needs the auth-token input.' : ''}`)
    return undefined
  }
}

/**
 * Attic: the server's cache config names its substituter endpoint (plus the cache name) and the
 * key it signs with at serve time (server/src/lib.rs, server/src/api/binary_cache.rs @ b7c9056).
 */
function attic(cache: AtticTarget, token: string | undefined): Reading {
  const api = new AtticApi({ endpoint: cache.endpoint, cacheName: cache.cacheName, token, budget: jobBudget() })
  return {
    what: `the config of Attic cache ${cache.cacheName}`,
    mayNeedToken: true,
    read: async () => {
      const config = await api.cacheConfig()
      const base = config.substituter_endpoint ?? cache.endpoint
      const url = `${base.endsWith('/') ? base : `${base}/`}${cache.cacheName}`
      const keys = config.public_key ? [config.public_key] : []
      // A public cache needs no credentials; Nix's netrc gets the token only for a private one.
      const credentials = token && config.is_public === false ? { machine: new URL(url).hostname, password: token } : undefined
      return { url, keys, credentials }
    }
  }
}

/**
 * Cachix: the cache's `uri` and `publicSigningKeys` (cachix-api/src/Cachix/Types/BinaryCache.hs:12-24
 * @ e1d8f8c). A private cache is read with netrc `machine <host>`, an empty login and the token as
 * password, as `cachix use` writes it (cachix/src/Cachix/Client/NetRc.hs:46-55).
 */
function cachix(cache: CachixTarget, token: string | undefined): Reading {
  const api = new CachixApi({ apiBase: cache.apiBase, cacheName: cache.cacheName, token, budget: jobBudget() })
  return {
    what: `Cachix cache ${cache.cacheName}`,
    mayNeedToken: true,
    read: async () => {
      const info = await api.cache()
      const credentials = token && !info.isPublic ? { machine: new URL(info.uri).hostname, login: '', password: token } : undefined
      return { url: info.uri, keys: info.publicSigningKeys, credentials }
    }
  }
}

/**
 * niks3: `GET /api/cache-config` (no auth) names the substituter (the bucket's CDN, or the
 * server's read proxy) and the keys it signs with (server/cache_config.go, api/types.go:80-92 @
 * 780939a). A read proxy that needs a token gets it through the 0600 netrc.
 */
function niks3(cache: Niks3Target, token: string | undefined): Reading {
  const api = new Niks3Api({ endpoint: cache.endpoint, token, budget: jobBudget() })
  return {
    what: `the cache config of the niks3 server ${cache.endpoint}`,
    // The config needs no token.
    mayNeedToken: false,
    read: async () => {
      const config = await api.cacheConfig()
      if (!config.substituter_url) {
        log.warning(`The niks3 server ${cache.endpoint} names no substituter (it runs without --cache-url): later steps do not substitute from it.`)
        return undefined
      }
      // Only to the server's own host, where its read proxy is: a CDN in front of the bucket needs none.
      const sameHost = new URL(config.substituter_url).host === new URL(cache.endpoint).host
      const credentials = token && sameHost ? { machine: new URL(config.substituter_url).hostname, password: token } : undefined
      return { url: config.substituter_url.replace(/\/+$/, ''), keys: config.public_keys ?? [], credentials }
    }
  }
}
