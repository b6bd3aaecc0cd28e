import { STATUS_CODES } from 'node:http'
import { Readable } from 'node:stream'
import { types } from 'node:util'
import type { BinaryCacheBackend, BodyFactory } from './backend.js'
import { CONTENT_TYPES } from './backend.js'
import { cacheInfoText, readCacheInfoStoreDir } from './cache-info.js'
import { credentialsFor, loadNetrc } from '../netrc.js'
import { RetryableHttpError, parseRetryAfter, withRetry, type RetryOptions } from '../retry.js'

export interface HttpBackendOptions {
  /** `http(s)://[user:pass@]host[:port]/prefix[?params]`; query parameters are Nix store settings, not part of requests. */
  url: string
  /** Sent verbatim on every request, e.g. `{ name: 'Authorization', value: 'Bearer …' }`. */
  authHeader?: { name: string; value: string }
  /** Where Basic credentials for the host come from when neither authHeader nor URL userinfo gives any. */
  netrcFile?: string
  /** Parallel HEAD requests in existing(). */
  concurrency?: number
  retry?: Partial<RetryOptions>
  /** Non-fatal problems (retries, checks given up on). Never receives credentials. */
  warn?: (message: string) => void
}

/** A final, non-retryable HTTP answer (e.g. 403 on PUT); the message names the request and status. */
export class HttpStatusError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message)
    this.name = 'HttpStatusError'
  }
}

/** The statuses worth repeating: timeouts, rate limiting and server-side failures. */
function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500
}

function statusLine(res: Response): string {
  const text = res.statusText || STATUS_CODES[res.status] || ''
  return `HTTP ${res.status}${text ? ` ${text}` : ''}`
}

/**
 * fetch() hides the useful part of a network error in `cause`. isNativeError rather than
 * instanceof because fetch's errors may come from another realm (e.g. under jest).
 */
function describeError(e: unknown): string {
  if (!types.isNativeError(e)) return String(e)
  const cause = e.cause
  if (types.isNativeError(cause)) {
    const code = (cause as NodeJS.ErrnoException).code
    return `${e.message}: ${cause.message}${code && !cause.message.includes(code) ? ` (${code})` : ''}`
  }
  return e.message
}

/**
 * The final error of a request: our own errors already name it, anything else (network, body
 * stream) gets it prepended; and how often it was tried, so logs tell a flaky server from a dead one.
 */
function finalError(what: string, e: unknown, attempts: number): unknown {
  if (e instanceof HttpStatusError) return e
  const tries = attempts > 1 ? ` (gave up after ${attempts} attempts)` : ''
  if (e instanceof RetryableHttpError) {
    return tries ? new RetryableHttpError(`${e.message}${tries}`, e.status, e.retryAfterMs) : e
  }
  return new Error(`${what}: ${describeError(e)}${tries}`, { cause: e })
}

/** Releases the connection back to the pool; an unread body would otherwise pin it. */
async function discard(res: Response): Promise<void> {
  try {
    await res.body?.cancel()
  } catch {
    // Nothing useful to do: the response is finished with either way.
  }
}

/** Runs `fn` over `items` with at most `limit` in flight, preserving order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      results[i] = await fn(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker))
  return results
}

/**
 * A binary cache reachable over plain HTTP(S): HEAD to probe, GET for nix-cache-info, PUT to
 * write — what nginx/WebDAV, Attic-style and most S3-fronting proxies accept.
 */
export class HttpBackend implements BinaryCacheBackend {
  readonly displayUrl: string
  private readonly base: string
  private readonly host: string
  private readonly concurrency: number
  private readonly retry: Partial<RetryOptions>
  private readonly warn: (message: string) => void
  private readonly opts: HttpBackendOptions
  private authPromise: Promise<Record<string, string>> | undefined
  private readonly urlAuth: string | undefined

  constructor(opts: HttpBackendOptions) {
    let url: URL
    try {
      url = new URL(opts.url)
    } catch {
      // Echoing the input could leak credentials embedded in it.
      throw new Error('Invalid binary cache URL (expected http:// or https://)')
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`Unsupported binary cache URL scheme ${url.protocol} (expected http:// or https://)`)
    }
    // fetch() refuses URLs with userinfo, so credentials written into the URL become Basic auth.
    if (url.username !== '' || url.password !== '') {
      const user = decodeURIComponent(url.username)
      const pass = decodeURIComponent(url.password)
      this.urlAuth = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`
    }
    this.base = `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`
    this.displayUrl = this.base
    this.host = url.hostname
    this.concurrency = opts.concurrency ?? 32
    this.retry = opts.retry ?? {}
    this.warn = opts.warn ?? (() => {})
    this.opts = opts
  }

  /** Resolved once: reading netrc for every request would be wasteful. */
  private auth(): Promise<Record<string, string>> {
    this.authPromise ??= (async () => {
      const { authHeader, netrcFile } = this.opts
      if (authHeader) return { [authHeader.name]: authHeader.value }
      if (this.urlAuth) return { Authorization: this.urlAuth }
      const entry = credentialsFor(this.host, await loadNetrc(netrcFile))
      if (entry?.login === undefined && entry?.password === undefined) return {}
      const basic = Buffer.from(`${entry.login ?? ''}:${entry.password ?? ''}`).toString('base64')
      return { Authorization: `Basic ${basic}` }
    })()
    return this.authPromise
  }

  private retryOptions(what: string): Partial<RetryOptions> {
    const userOnRetry = this.retry.onRetry
    return {
      ...this.retry,
      onRetry: (e, attempt, delayMs) => {
        this.warn(`${what}: ${describeError(e)}; retrying in ${(delayMs / 1000).toFixed(1)} s (attempt ${attempt + 1})`)
        userOnRetry?.(e, attempt, delayMs)
      }
    }
  }

  private retryable(what: string, res: Response): RetryableHttpError {
    return new RetryableHttpError(
      `${what}: ${statusLine(res)}`,
      res.status,
      parseRetryAfter(res.headers.get('retry-after'))
    )
  }

  async existing(hashParts: readonly string[]): Promise<Set<string>> {
    const headers = await this.auth()
    const present = await mapLimit(hashParts, this.concurrency, async (hash) => {
      const url = `${this.base}/${hash}.narinfo`
      const what = `HEAD ${this.displayUrl}/${hash}.narinfo`
      try {
        return await withRetry(async () => {
          const res = await fetch(url, { method: 'HEAD', headers })
          await discard(res)
          if (res.ok) return true
          // Nix itself reads 403 as "absent": S3 answers 403 for missing keys without ListBucket.
          if (res.status === 404 || res.status === 403) return false
          if (isRetryableStatus(res.status)) throw this.retryable(what, res)
          this.warn(`${what}: ${statusLine(res)}; assuming it is not cached`)
          return false
        }, this.retryOptions(what))
      } catch (e) {
        // Uploading a path again is harmless, so a probe that keeps failing must not fail the job.
        this.warn(`${what}: ${describeError(e)}; assuming it is not cached`)
        return false
      }
    })
    return new Set(hashParts.filter((_, i) => present[i]))
  }

  async put(key: string, body: BodyFactory, contentType: string): Promise<void> {
    const headers = { ...(await this.auth()), 'Content-Type': contentType }
    const url = `${this.base}/${key}`
    const what = `PUT ${this.displayUrl}/${key}`
    let attempts = 0
    try {
      await withRetry(async (attempt) => {
        attempts = attempt
        const stream = body()
        try {
          const res = await fetch(url, {
            method: 'PUT',
            headers,
            body: Readable.toWeb(stream) as ReadableStream<Uint8Array>,
            duplex: 'half',
            // A streamed body cannot be replayed to a redirect target, so redirects are refused.
            // 'error' rather than 'manual': for any other mode fetch clones the request, which
            // tees the body, and the unread branch keeps every byte sent: a 586 MB push peaked
            // at 456 MB of memory (issue 13).
            redirect: 'error'
          }).catch((e: unknown) => {
            if (types.isNativeError(e) && types.isNativeError(e.cause) && e.cause.message === 'unexpected redirect') {
              throw new HttpStatusError(`${what}: the server answered with a redirect, which an upload does not follow`, 300)
            }
            throw e
          })
          await discard(res)
          if (res.ok) return
          if (isRetryableStatus(res.status)) throw this.retryable(what, res)
          throw new HttpStatusError(`${what}: ${statusLine(res)}`, res.status)
        } finally {
          // A failed request may leave the source (often a file) open.
          stream.destroy()
        }
      }, this.retryOptions(what))
    } catch (e) {
      throw finalError(what, e, attempts)
    }
  }

  async prepare(storeDir: string): Promise<void> {
    const what = `GET ${this.displayUrl}/nix-cache-info`
    const headers = await this.auth()
    let attempts = 0
    const existing = await withRetry(async (attempt) => {
      attempts = attempt
      const res = await fetch(`${this.base}/nix-cache-info`, { headers })
      if (res.ok) return await res.text()
      await discard(res)
      if (res.status === 404 || res.status === 403) return undefined
      if (isRetryableStatus(res.status)) throw this.retryable(what, res)
      throw new HttpStatusError(`${what}: ${statusLine(res)}`, res.status)
    }, this.retryOptions(what)).catch((e: unknown) => {
      throw finalError(what, e, attempts)
    })
    if (existing === undefined) {
      const text = cacheInfoText(storeDir)
      await this.put('nix-cache-info', () => Readable.from([Buffer.from(text)]), CONTENT_TYPES.cacheInfo)
      return
    }
    const theirs = readCacheInfoStoreDir(existing)
    if (theirs !== undefined && theirs !== storeDir) {
      throw new Error(
        `${this.displayUrl} is a binary cache for store directory ${theirs}, but this machine's store is ${storeDir}`
      )
    }
  }
}
