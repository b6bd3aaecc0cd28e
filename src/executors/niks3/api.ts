import { STATUS_CODES } from 'node:http'
import { CacheUnavailableError, JobBudget, type FailureKind } from '../../runtime/budget.js'
import { RequestGuard, RequestTimeout } from '../../runtime/request.js'
import { RetryableHttpError, parseRetryAfter, type RetryOptions } from '../../runtime/retry.js'
import { timings } from '../../runtime/timings.js'
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
export class Niks3Refused extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message)
    this.name = 'Niks3Refused'
  }
}

/**
 * Any other final answer: 400, 413, and what a pending closure the server cleaned up gets: 403
 * from sign ("not part of this pending closure"), 404 from complete ("pending closure not found").
 */
export class Niks3Error extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message)
    this.name = 'Niks3Error'
  }
}

function failureKind(e: unknown): FailureKind | 'answer' {
  if (e instanceof RequestTimeout) return 'timeout'
  if (e instanceof RetryableHttpError) return 'server-error'
  if (e instanceof Niks3Refused || e instanceof Niks3Error) return 'refused'
  return 'connection'
}

/** The niks3 client retries 429 and 503 after Retry-After (client/retry.go:21-49); we also retry other 5xx. */
const isRetryableStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500

async function errorText(res: Response): Promise<string> {
  const status = `HTTP ${res.status} ${res.statusText || STATUS_CODES[res.status] || ''}`.trim()
  // The server answers errors in plain text (http.Error, server/uploads.go:34-45).
  const body = (await res.text().catch(() => '')).trim()
  return body !== '' && body.length <= 300 && !body.startsWith('<') ? `${status}: ${body}` : status
}

export interface Niks3ApiOptions {
  /** `https://host/`, ending in '/'. */
  endpoint: string
  token?: string
  budget?: JobBudget
  retry?: Partial<RetryOptions>
  /** Parallel existence checks. */
  concurrency?: number
}

export class Niks3Api {
  private readonly requests: RequestGuard

  constructor(private readonly opts: Niks3ApiOptions) {
    const t = timings()
    this.requests = new RequestGuard({
      budget: opts.budget ?? new JobBudget({ budgetMs: t.jobBudgetMs, breakerThreshold: t.breakerThreshold }),
      idleMs: t.idleMs,
      followDeadline: true,
      retry: { ...opts.retry, isRetryable: (e) => !(e instanceof Niks3Refused || e instanceof Niks3Error || e instanceof CacheUnavailableError) },
      verdict: failureKind,
      cause: (e, what) => {
        const text = e instanceof Error ? e.message : String(e)
        return text.startsWith(`${what}: `) ? text.slice(what.length + 2) : text
      },
      final: (e, what, attempts) =>
        attempts > 1 && e instanceof Error && !(e instanceof Niks3Refused || e instanceof Niks3Error) ? new Error(`${what}: ${e.message} (gave up after ${attempts} attempts)`, { cause: e }) : e
    })
  }

  private url(route: string): string {
    return new URL(route, this.opts.endpoint).toString()
  }

  /** `Bearer ` exactly: the server compares the prefix case-sensitively (server/server.go). */
  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...extra, ...(this.opts.token ? { Authorization: `Bearer ${this.opts.token}` } : {}) }
  }

  private async check(what: string, res: Response): Promise<void> {
    if (res.ok) return
    const text = await errorText(res)
    if (isRetryableStatus(res.status)) throw new RetryableHttpError(`${what}: ${text}`, res.status, parseRetryAfter(res.headers.get('retry-after')))
    // Only 401 is about the token (AuthMiddleware); the server's 403 says a narinfo key is not part
    // of the pending closure, which is what signing a closure the server cleaned up gets.
    if (res.status === 401) throw new Niks3Refused(`${what}: ${text}`, res.status)
    throw new Niks3Error(`${what}: ${text}`, res.status)
  }

  private call<T>(method: string, route: string, body?: unknown): Promise<T> {
    const what = `${method} ${this.url(route)}`
    return this.requests.run(what, async (a) => {
      const res = await fetch(this.url(route), {
        method,
        headers: this.headers(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: a.signal
      })
      await this.check(what, res)
      const text = await res.text()
      return (text === '' ? undefined : JSON.parse(text)) as T
    })
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
          const what = `HEAD ${this.url(`api/objects/${key}`)}`
          const held = await this.requests.run(what, async (a) => {
            const res = await fetch(this.url(`api/objects/${key}`), { method: 'HEAD', headers: this.headers(), signal: a.signal })
            await res.body?.cancel()
            if (res.status === 404) return false
            await this.check(what, res)
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
    return this.requests.run(what, async (a) => {
      const res = await fetch(url, { method: 'PUT', headers, body, signal: a.signal })
      await this.check(what, res)
      await res.body?.cancel()
      return res.headers.get('etag') ?? ''
    })
  }
}

export function niks3RefusalMessage(e: Niks3Refused, endpoint: string): string {
  const cause = e.message.slice(e.message.indexOf(': ') + 2)
  return `The niks3 server ${endpoint} refused the auth-token (${cause}): it is not a token the server accepts (static token, or an OIDC token for its audience). Nothing more was uploaded to it.`
}
