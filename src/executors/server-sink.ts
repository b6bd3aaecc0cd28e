import { jobBudget } from '../runtime/budget.js'
import type { CacheTarget } from '../config/inputs.js'
import type { PathInfo } from '../format/path-info.js'
import type { SigningKey } from '../format/signing.js'
import type { Pushed, UploadOutcome } from '../plan/result.js'
import { AtticApi } from './attic/api.js'
import { pushToAttic } from './attic/push.js'
import { CachixApi } from './cachix/api.js'
import { pushToCachix } from './cachix/push.js'
import { Niks3Api } from './niks3/api.js'
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
 * One of those servers as the background agent publishes to it: what it holds, and an upload
 * that publishes. The post step uses the executors directly (job/*-push.ts).
 */
export interface ServerSink {
  displayUrl: string
  /** Reads the server's config (once): throws when it cannot be read or refuses the token. Returns the key names it counts as upstream. */
  prepare(): Promise<string[]>
  existing(hashes: readonly string[]): Promise<Set<string>>
  upload(infos: readonly PathInfo[], opts: SinkUpload): Promise<UploadOutcome>
}

export function serverSink(cache: ServerTarget, token: string | undefined, signer?: SigningKey): ServerSink {
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
      upload: (infos, o) => pushToAttic(infos, { api, parallelism: o.parallelism, realStoreDir: o.realStoreDir, onPushed: o.onPushed })
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
      upload: (infos, o) => pushToCachix(infos, { api, compression, signer: selfSigned ? signer : undefined, ...o })
    }
  }
  const api = new Niks3Api({ endpoint: cache.endpoint, token, budget })
  return {
    displayUrl: cache.url,
    prepare: async () => {
      await api.cacheConfig()
      return []
    },
    existing: async (hashes) => {
      const present = await api.present(hashes.map((h) => `${h}.narinfo`))
      return new Set(hashes.filter((h) => present.has(`${h}.narinfo`)))
    },
    upload: (infos, o) => pushToNiks3(infos, { api, endpoint: cache.endpoint, ...o })
  }
}
