import { Readable } from 'node:stream'
import { ServerError, ServerRefused, ServerRequests, type ServerApiOptions, refusalCause, statusLine } from '../server-api.js'

/**
 * The Attic server's API, as its own client speaks it (zhaofengli/attic @
 * b7c905657cb81b8ec9c26b0d9f53aa2e4f231810): `client/src/api/mod.rs` for the routes and headers,
 * `attic/src/api/v1/*.rs` for the bodies, `server/src/error.rs` for the errors. Every request goes
 * through the job's request guard (runtime/request.ts), as ../server-api.ts sends it.
 */

/** `GET /_api/v1/cache-config/{cache}` (attic/src/api/v1/cache_config.rs). */
export interface AtticCacheConfig {
  /** The binary cache Nix pulls from, e.g. `https://host/` (the cache name is appended). */
  substituter_endpoint?: string
  /** Where the API is; later calls go there (client/src/command/push.rs). */
  api_endpoint?: string
  /** `name:base64`, the key the server signs with at serve time. */
  public_key?: string
  is_public?: boolean
  store_dir?: string
  priority?: number
  /** Paths signed by these keys are served upstream; `attic push` leaves them out. */
  upstream_cache_key_names?: string[]
}

/** The upload info (attic/src/api/v1/upload_path.rs, `UploadPathNarInfo`). */
export interface AtticUploadInfo {
  cache: string
  store_path_hash: string
  store_path: string
  /** Base names, as `attic push` sends them (attic/src/nix_store/mod.rs). */
  references: string[]
  system: string | null
  deriver: string | null
  sigs: string[]
  ca: string | null
  nar_hash: string
  nar_size: number
}

/**
 * From this size the upload info travels as a preamble of the body instead of a header
 * (client/src/api/mod.rs, NAR_INFO_PREAMBLE_THRESHOLD = 4 KiB): a header that long would be
 * refused by proxies, and the server reads a preamble up to 1 MiB.
 */
export const NAR_INFO_PREAMBLE_THRESHOLD = 4 * 1024

/** 401: the server knows no permission for this token on this cache (or no token was sent). */
export class AtticRefused extends ServerRefused {
  override name = 'AtticRefused'
}

/**
 * The one warning a refused token gets. A token that does not verify counts as none, so the server
 * answers 401 for a private cache; a valid token without the permission gets 403.
 */
export function refusalMessage(e: AtticRefused, cacheName: string): string {
  const why = e.status === 401 ? 'it is not valid for the cache, or has expired' : 'it lacks push permission (w) on the cache'
  return `The Attic server refused the auth-token for cache ${cacheName} (${refusalCause(e)}): ${why}. Nothing more was uploaded to it.`
}

/** Any other final answer: 400 (a bad NAR hash or size), 404 (no such cache), 413 from a proxy. */
export class AtticError extends ServerError {
  override name = 'AtticError'
}

/** The server's own words (`{code, error, message}`, server/src/error.rs), else the status line. */
async function errorText(res: Response): Promise<string> {
  const status = statusLine(res)
  const body = await res.text().catch(() => '')
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown }
    if (typeof parsed.error === 'string') return `${status}: ${parsed.error}${typeof parsed.message === 'string' ? `: ${parsed.message}` : ''}`
  } catch {
    // Not Attic's JSON (a proxy's page): the status says enough, the page may be long.
  }
  return status
}

export interface AtticApiOptions extends ServerApiOptions {
  endpoint: string
  cacheName: string
}

export class AtticApi {
  private readonly requests: ServerRequests

  constructor(private readonly opts: AtticApiOptions) {
    this.requests = new ServerRequests({
      ...opts,
      base: opts.endpoint,
      // `bearer`, as the Attic client sends it (client/src/api/mod.rs, build_http_client).
      authScheme: 'bearer',
      refusedStatuses: [401, 403],
      refused: (m, s) => new AtticRefused(m, s),
      error: (m, s) => new AtticError(m, s),
      errorText
    })
  }

  get cacheName(): string {
    return this.opts.cacheName
  }

  /** The cache's config; later calls go to its `api_endpoint`, as `attic push` does. */
  async cacheConfig(): Promise<AtticCacheConfig> {
    const config = await this.requests.call<AtticCacheConfig>('GET', `_api/v1/cache-config/${this.opts.cacheName}`)
    if (config.api_endpoint) this.requests.base = config.api_endpoint.endsWith('/') ? config.api_endpoint : `${config.api_endpoint}/`
    return config
  }

  /** The hashes the cache lacks, of `hashes` (server/src/api/v1/get_missing_paths.rs). */
  async missingPaths(hashes: readonly string[]): Promise<Set<string>> {
    const missing = new Set<string>()
    // Well under axum's 2 MB default body limit (~55k hashes).
    for (let i = 0; i < hashes.length; i += 10_000) {
      const batch = hashes.slice(i, i + 10_000)
      const answer = await this.requests.call<{ missing_paths?: string[] }>('POST', '_api/v1/get-missing-paths', { cache: this.opts.cacheName, store_path_hashes: batch })
      for (const h of answer.missing_paths ?? []) missing.add(h)
    }
    return missing
  }

  /**
   * One `PUT /_api/v1/upload-path`: the raw NAR (the server compresses, chunks and signs), the
   * info in a header or, from 4 KiB, as a preamble. `nar` is called once per attempt.
   */
  async uploadPath(info: AtticUploadInfo, nar: () => Readable): Promise<{ kind?: string }> {
    const route = '_api/v1/upload-path'
    const what = `PUT ${this.requests.url(route)} (${info.store_path_hash})`
    const json = JSON.stringify(info)
    const preamble = Buffer.byteLength(json) >= NAR_INFO_PREAMBLE_THRESHOLD
    return this.requests.run(what, async (a) => {
      const source = nar()
      async function* withPreamble(): AsyncGenerator<Buffer> {
        if (preamble) yield Buffer.from(json)
        for await (const chunk of source) {
          // Body bytes the server takes are the attempt's signs of life.
          a.touch()
          yield chunk as Buffer
        }
      }
      const headers = this.requests.headers({
        'Content-Type': 'application/octet-stream',
        ...(preamble ? { 'X-Attic-Nar-Info-Preamble-Size': String(Buffer.byteLength(json)) } : { 'X-Attic-Nar-Info': json })
      })
      try {
        const res = await fetch(this.requests.url(route), {
          method: 'PUT',
          headers,
          body: Readable.toWeb(Readable.from(withPreamble())) as ReadableStream<Uint8Array>,
          duplex: 'half',
          signal: a.signal
        } as RequestInit)
        await this.requests.check(what, res)
        return (await res.json().catch(() => ({}))) as { kind?: string }
      } finally {
        source.destroy()
      }
    })
  }
}
