import { ServerError, ServerRefused, ServerRequests, type ServerApiOptions, refusalCause } from '../server-api.js'
import { limiter } from '../../runtime/limiter.js'

/**
 * The niks3 server's API, as its own client speaks it (Mic92/niks3 @
 * 780939adecefc2f84be700a6f9ae1cc9385ad240): routes in `server/server.go:284-310`, bodies in
 * `server/uploads.go` and `server/pending_closure.go`, `api/types.go` for the cache config. Every
 * request goes through the job's request guard.
 */

/** `GET /api/cache-config`, no auth (server/cache_config.go, api/types.go:80-92). */
export interface Niks3CacheConfig {
  substituter_url: string
  public_keys: string[]
}

/** One object of a pending closure (server/uploads.go:53-58; types in server/upload_key.go). */
export interface Niks3Object {
  key: string
  type: 'narinfo' | 'nar'
  refs: string[]
  nar_size?: number
}

/** What the server wants uploaded (server/pending_closure.go:36-46): objects it tracks already are left out. */
export interface Niks3PendingClosure {
  id: string
  pending_objects: Record<string, { type?: string; presigned_url?: string; multipart_info?: { upload_id: string; part_urls: string[] } }>
}

/** The fields the server signs (server/uploads.go `NarinfoMetadata`; references are full paths). */
export interface Niks3NarinfoMetadata {
  store_path: string
  url: string
  compression: 'zstd'
  nar_hash: string
  nar_size: number
  references: string[]
  deriver?: string
  ca?: string
}

/** 401 (plain text "Unauthorized", server/server.go:127-185). */
export class Niks3Refused extends ServerRefused {
  override name = 'Niks3Refused'
}

/**
 * Any other final answer: 400, 413, and what a pending closure the server cleaned up gets: 403
 * from sign ("not part of this pending closure"), 404 from complete ("pending closure not found").
 */
export class Niks3Error extends ServerError {
  override name = 'Niks3Error'
}

export interface Niks3ApiOptions extends ServerApiOptions {
  /** `https://host/`, ending in '/'. */
  endpoint: string
  /** Parallel existence checks. */
  concurrency?: number
}

export class Niks3Api {
  private readonly requests: ServerRequests

  constructor(private readonly opts: Niks3ApiOptions) {
    this.requests = new ServerRequests({
      ...opts,
      base: opts.endpoint,
      // `Bearer ` exactly: the server compares the prefix case-sensitively (server/server.go).
      authScheme: 'Bearer',
      // Only 401 is about the token (AuthMiddleware); the server's 403 says a narinfo key is not part
      // of the pending closure, which is what signing a closure the server cleaned up gets.
      refusedStatuses: [401],
      refused: (m, s) => new Niks3Refused(m, s),
      error: (m, s) => new Niks3Error(m, s),
      // The niks3 client retries 429 and 503 after Retry-After (client/retry.go:21-49); ServerRequests
      // also retries other 5xx. Errors come in plain text (http.Error, server/uploads.go:34-45).
    })
  }

  private call<T>(method: string, route: string, body?: unknown): Promise<T> {
    return this.requests.call(method, route, body)
  }

  cacheConfig(): Promise<Niks3CacheConfig> {
    return this.call('GET', 'api/cache-config')
  }

  /** Which narinfo keys the bucket holds: `HEAD /api/objects/{key}`, 204 or 404 (server/uploads.go:403-426). */
  async present(keys: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>()
    const limit = limiter(this.opts.concurrency ?? 16)
    await Promise.all(
      keys.map((key) =>
        limit(async () => {
          const what = `HEAD ${this.requests.url(`api/objects/${key}`)}`
          const held = await this.requests.run(what, async (a) => {
            const res = await fetch(this.requests.url(`api/objects/${key}`), { method: 'HEAD', headers: this.requests.headers(), signal: a.signal })
            await res.body?.cancel()
            if (res.status === 404) return false
            await this.requests.check(what, res)
            return true
          })
          if (held) found.add(key)
        })
      )
    )
    return found
  }

  openClosure(closure: string, objects: readonly Niks3Object[]): Promise<Niks3PendingClosure> {
    return this.call('POST', 'api/pending_closures', { closure, objects })
  }

  async requestParts(objectKey: string, uploadId: string, startPartNumber: number, numParts: number): Promise<string[]> {
    const r = await this.call<{ part_urls: string[] }>('POST', 'api/multipart/request-parts', { object_key: objectKey, upload_id: uploadId, start_part_number: startPartNumber, num_parts: numParts })
    return r.part_urls
  }

  async completeMultipart(objectKey: string, uploadId: string, parts: Array<{ part_number: number; etag: string }>): Promise<void> {
    await this.call('POST', 'api/multipart/complete', { object_key: objectKey, upload_id: uploadId, parts })
  }

  async sign(id: string, narinfos: Record<string, Niks3NarinfoMetadata>): Promise<Record<string, string[]>> {
    const r = await this.call<{ signatures: Record<string, string[]> }>('POST', `api/pending_closures/${id}/sign`, { narinfos })
    return r.signatures
  }

  async commit(id: string): Promise<void> {
    await this.call('POST', `api/pending_closures/${id}/complete`)
  }

  /** A PUT to a presigned URL (the bucket, not the server: no token). Returns the ETag. */
  put(url: string, body: Buffer, headers: Record<string, string>, what: string): Promise<string> {
    return this.requests.put(what, url, body, headers, (etag) => etag ?? '')
  }
}

export function niks3RefusalMessage(e: Niks3Refused, endpoint: string): string {
  const cause = refusalCause(e)
  return `The niks3 server ${endpoint} refused the auth-token (${cause}): it is not a token the server accepts (static token, or an OIDC token for its audience). Nothing more was uploaded to it.`
}
