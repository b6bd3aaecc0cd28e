import { jobBudget } from '../runtime/budget.js'
import type { CacheTarget } from '../config/inputs.js'
import type { PathInfo } from '../format/path-info.js'
import type { SigningKey } from '../format/signing.js'
import type { Pushed, UploadOutcome } from '../plan/result.js'
import { AtticApi, AtticRefused, refusalMessage } from './attic/api.js'
import { pushToAttic } from './attic/push.js'
import { CachixApi, CachixRefused, cachixRefusalMessage } from './cachix/api.js'
import { pushToCachix } from './cachix/push.js'
import { Niks3Api, Niks3Refused, niks3RefusalMessage } from './niks3/api.js'
import { pushToNiks3 } from './niks3/push.js'

/** The cache servers with an API of their own, which sign for themselves. */
export type ServerTarget = Extract<CacheTarget, { kind: 'attic' | 'cachix' | 'niks3' }>

export interface SinkUpload {
  parallelism: number
  realStoreDir: string
  spoolDir: string
  onPushed?: (pushed: Pushed) => void
}

/**
 * One of those servers as a push sees it: what it holds, and an upload that publishes. The
 * background agent publishes through it, and so does the post step (job/server-push.ts).
 */
export interface ServerSink {
  displayUrl: string
  /** Reads the server's config (once): throws when it cannot be read or refuses the token. Returns the key names it counts as upstream. */
  prepare(): Promise<string[]>
  existing(hashes: readonly string[]): Promise<Set<string>>
  upload(infos: readonly PathInfo[], opts: SinkUpload): Promise<UploadOutcome>
  /** The one message a refused token gets, in the server's words and what they mean for the token; undefined for any other error. */
  refusal(e: unknown): string | undefined
}

export interface SinkOptions {
  /**
   * Whether prepare() asks a server that has nothing for the push to read (niks3's config names no
   * upstream keys) anyway, to find it unreachable before anything else: the agent does, before it
   * follows the store; the post step lets its first existence check tell (default true).
   */
  probe?: boolean
}

export function serverSink(cache: ServerTarget, token: string | undefined, signer?: SigningKey, opts: SinkOptions = {}): ServerSink {
  const budget = jobBudget()
  if (cache.kind === 'attic') {
    const api = new AtticApi({ endpoint: cache.endpoint, cacheName: cache.cacheName, token, budget })
    return {
      displayUrl: cache.url,
      prepare: async () => (await api.cacheConfig()).upstream_cache_key_names ?? [],
      existing: async (hashes) => {
        const missing = await api.missingPaths(hashes)
        return new Set(hashes.filter((h) => !missing.has(h)))
      },
      upload: (infos, o) => pushToAttic(infos, { api, parallelism: o.parallelism, realStoreDir: o.realStoreDir, onPushed: o.onPushed }),
      refusal: (e) => (e instanceof AtticRefused ? refusalMessage(e, cache.cacheName) : undefined)
    }
  }
  if (cache.kind === 'cachix') {
    const api = new CachixApi({ apiBase: cache.apiBase, cacheName: cache.cacheName, token, budget })
    let compression: 'zstd' | 'xz' = 'zstd'
    let selfSigned = false
    return {
      displayUrl: cache.url,
      prepare: async () => {
        const c = await api.cache()
        compression = c.preferredCompressionMethod === 'XZ' ? 'xz' : 'zstd'
        selfSigned = signer !== undefined && c.publicSigningKeys.includes(signer.publicKey)
        return []
      },
      existing: async (hashes) => {
        const missing = await api.missing(hashes)
        return new Set(hashes.filter((h) => !missing.has(h)))
      },
      // A self-signed cache takes the client's signature; signing a managed one's paths would only add a
      // signature nobody trusts, so the key is used only when the cache lists its public half.
      upload: (infos, o) => pushToCachix(infos, { api, compression, signer: selfSigned ? signer : undefined, ...o }),
      refusal: (e) => (e instanceof CachixRefused ? cachixRefusalMessage(e, cache.cacheName) : undefined)
    }
  }
  const api = new Niks3Api({ endpoint: cache.endpoint, token, budget })
  return {
    displayUrl: cache.url,
    prepare: async () => {
      if (opts.probe !== false) await api.cacheConfig()
      return []
    },
    existing: async (hashes) => {
      const present = await api.present(hashes.map((h) => `${h}.narinfo`))
      return new Set(hashes.filter((h) => present.has(`${h}.narinfo`)))
    },
    upload: (infos, o) => pushToNiks3(infos, { api, endpoint: cache.endpoint, ...o }),
    refusal: (e) => (e instanceof Niks3Refused ? niks3RefusalMessage(e, cache.endpoint) : undefined)
  }
}
