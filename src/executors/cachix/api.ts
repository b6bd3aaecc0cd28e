import { STATUS_CODES } from 'node:http'
import { CacheUnavailableError, JobBudget, type FailureKind } from '../../runtime/budget.js'
import { RequestGuard, RequestTimeout } from '../../runtime/request.js'
import { RetryableHttpError, parseRetryAfter, type RetryOptions } from '../../runtime/retry.js'
import { timings } from '../../runtime/timings.js'

/**
 * The Cachix API (v1) as its own client speaks it (cachix/cachix @
 * e1d8f8cdeee6ea513cff15f3411842961d10ada9): routes in `cachix-api/src/Cachix/API.hs`, bodies in
 * `cachix-api/src/Cachix/Types/`, the part uploads in `cachix/src/Cachix/Client/Push/S3.hs`.
 * The server is closed source: its behaviour is what the client and the docs
 * (cachix/docs.cachix.org @ 92b486b3) say. Every request goes through the job's request guard.
 */

/** `GET /cache/{name}` (Types/BinaryCache.hs:12-24). */
export interface CachixCache {
  name: string
  /** The binary cache Nix pulls from, `https://<name>.cachix.org`. */
  uri: string
  isPublic: boolean
  publicSigningKeys: string[]
  permission?: string
  preferredCompressionMethod?: 'XZ' | 'ZSTD'
}

/** `narInfoCreate` of the completion (Types/NarInfoCreate.hs:18-40). */
export interface CachixNarInfoCreate {
  cStoreHash: string
  cStoreSuffix: string
  /** `sha256:<nix32>` */
  cNarHash: string
  cNarSize: number
  /** Hex SHA-256 of the compressed file. */
  cFileHash: string
  cFileSize: number
  /** Base names. */
  cReferences: string[]
  cDeriver: string
  /** Base64 of the bare Ed25519 signature, for a self-signed cache; null: the server signs. */
  cSig: string | null
}

/** 401 or 403: the token is not valid for this cache, or may not write to it. */
export class CachixRefused extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message)
    this.name = 'CachixRefused'
  }
}

/** Any other final answer (400, 404, 413). */
export class CachixError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message)
    this.name = 'CachixError'
  }
}

function failureKind(e: unknown): FailureKind | 'answer' {
  if (e instanceof RequestTimeout) return 'timeout'
  if (e instanceof RetryableHttpError) return 'server-error'
  if (e instanceof CachixRefused || e instanceof CachixError) return 'refused'
  return 'connection'
}

/** The Cachix client retries 429 and 5xx after Retry-After (cachix/src/Cachix/Client/Retry.hs:48-52). */
const isRetryableStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500

async function errorText(res: Response): Promise<string> {
  const status = `HTTP ${res.status} ${res.statusText || STATUS_CODES[res.status] || ''}`.trim()
  const body = (await res.text().catch(() => '')).trim()
  // Servant answers with a short text or JSON body; a proxy's page would only be noise.
  return body !== '' && body.length <= 300 && !body.startsWith('<') ? `${status}: ${body}` : status
}

/** The most hashes one missing-paths request carries: the client's batch for the server's 1 MB limit (Push.hs:532-533). */
export const MISSING_BATCH = 32768

export interface CachixApiOptions {
  /** `https://cachix.org/api/v1/` or `<scheme>://HOST/api/v1/`. */
  apiBase: string
  cacheName: string
  token?: string
  budget?: JobBudget
  retry?: Partial<RetryOptions>
}

export class CachixApi {
  private readonly requests: RequestGuard

  constructor(private readonly opts: CachixApiOptions) {
    const t = timings()
    this.requests = new RequestGuard({
      budget: opts.budget ?? new JobBudget({ budgetMs: t.jobBudgetMs, breakerThreshold: t.breakerThreshold }),
      idleMs: t.idleMs,
      followDeadline: true,
      retry: { ...opts.retry, isRetryable: (e) => !(e instanceof CachixRefused || e instanceof CachixError || e instanceof CacheUnavailableError) },
      verdict: failureKind,
      cause: (e, what) => {
        const text = e instanceof Error ? e.message : String(e)
        return text.startsWith(`${what}: `) ? text.slice(what.length + 2) : text
      },
      final: (e, what, attempts) =>
        attempts > 1 && e instanceof Error && !(e instanceof CachixRefused || e instanceof CachixError) ? new Error(`${what}: ${e.message} (gave up after ${attempts} attempts)`, { cause: e }) : e
    })
  }

  get cacheName(): string {
    return this.opts.cacheName
  }

  private url(route: string): string {
    return new URL(route, this.opts.apiBase).toString()
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...extra, ...(this.opts.token ? { Authorization: `Bearer ${this.opts.token}` } : {}) }
  }

  private async check(what: string, res: Response): Promise<void> {
    if (res.ok) return
    const text = await errorText(res)
    if (isRetryableStatus(res.status)) throw new RetryableHttpError(`${what}: ${text}`, res.status, parseRetryAfter(res.headers.get('retry-after')))
    if (res.status === 401 || res.status === 403) throw new CachixRefused(`${what}: ${text}`, res.status)
    throw new CachixError(`${what}: ${text}`, res.status)
  }

  /** One JSON call to the API, guarded. `display` names it in logs without the query string. */
  private call<T>(method: string, route: string, body?: unknown): Promise<T> {
    const what = `${method} ${this.url(route).split('?')[0]}`
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

  /** `GET /cache/{name}` (API.hs:69-74). */
  cache(): Promise<CachixCache> {
    return this.call('GET', `cache/${this.opts.cacheName}`)
  }

  /** `POST /cache/{name}/narinfo`: the hashes the cache lacks (API.hs:75-83). */
  async missing(hashes: readonly string[]): Promise<Set<string>> {
    const missing = new Set<string>()
    for (let i = 0; i < hashes.length; i += MISSING_BATCH) {
      const answer = await this.call<string[]>('POST', `cache/${this.opts.cacheName}/narinfo`, hashes.slice(i, i + MISSING_BATCH))
      for (const h of answer ?? []) missing.add(h)
    }
    return missing
  }

  /** `POST /cache/{name}/multipart-nar?compression=` (API.hs:103-111). */
  startUpload(compression: 'zst' | 'xz'): Promise<{ narId: string; uploadId: string }> {
    return this.call('POST', `cache/${this.opts.cacheName}/multipart-nar?compression=${compression}`)
  }

  /** A presigned URL for one part (API.hs:112-123). */
  async partUrl(narId: string, uploadId: string, partNumber: number, contentMD5: string): Promise<string> {
    const r = await this.call<{ uploadUrl: string }>(
      'POST',
      `cache/${this.opts.cacheName}/multipart-nar/${narId}?uploadId=${encodeURIComponent(uploadId)}&partNumber=${partNumber}`,
      { contentMD5 }
    )
    return r.uploadUrl
  }

  /** `PUT` of one part to its presigned URL, with Content-MD5; returns the ETag (Push/S3.hs:98-122). */
  putPart(uploadUrl: string, part: Buffer, contentMD5: string, partNumber: number): Promise<string> {
    const what = `PUT part ${partNumber} (presigned)`
    return this.requests.run(what, async (a) => {
      const res = await fetch(uploadUrl, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/octet-stream', 'Content-MD5': contentMD5 },
        body: part,
        signal: a.signal
      })
      await this.check(what, res)
      await res.body?.cancel()
      const etag = res.headers.get('etag')
      if (!etag) throw new CachixError(`${what}: the storage answered without an ETag`, res.status)
      return etag
    })
  }

  /** Completes the upload with the narinfo: the path is published (API.hs:124-136). */
  async complete(narId: string, uploadId: string, parts: Array<{ partNumber: number; eTag: string }>, narInfoCreate: CachixNarInfoCreate): Promise<void> {
    await this.call('POST', `cache/${this.opts.cacheName}/multipart-nar/${narId}/complete?uploadId=${encodeURIComponent(uploadId)}`, { parts, narInfoCreate })
  }

  /** Abandons an upload whose parts failed, so the storage drops them (API.hs:137-147). */
  async abort(narId: string, uploadId: string): Promise<void> {
    await this.call('POST', `cache/${this.opts.cacheName}/multipart-nar/${narId}/abort?uploadId=${encodeURIComponent(uploadId)}`)
  }
}

/** The one warning a refused token gets. */
export function cachixRefusalMessage(e: CachixRefused, cacheName: string): string {
  const cause = e.message.slice(e.message.indexOf(': ') + 2)
  const why = e.status === 401 ? 'it is not valid, or has expired' : 'it may not write to the cache (a read-only or another cache\'s token)'
  return `Cachix refused the auth-token for cache ${cacheName} (${cause}): ${why}. Nothing more was uploaded to it.`
}
