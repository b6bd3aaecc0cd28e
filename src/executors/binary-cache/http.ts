import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { STATUS_CODES } from 'node:http'
import { Readable, Transform, pipeline } from 'node:stream'
import { types } from 'node:util'
import { seconds } from '../../runtime/units.js'
import { CacheUnavailableError, JobBudget, timings, type FailureKind, type Timings } from '../../runtime/budget.js'
import { log } from '../../runtime/host.js'
import type { BinaryCacheBackend, BodyFactory, Published } from './backend.js'
import { CONTENT_TYPES } from './backend.js'
import { cacheInfoText, readCacheInfoStoreDir } from '../../format/cache-info.js'
import { credentialsFor, loadNetrc } from '../../config/netrc.js'
import { RetryableHttpError, parseRetryAfter, retryLine, withRetry, type RetryOptions } from '../../runtime/retry.js'

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
  /** Non-fatal problems (checks given up on). Never receives credentials. */
  warn?: (message: string) => void
  /** The job's budget and breaker (`jobBudget()`); a backend of its own when not given (tests). */
  budget?: JobBudget
  /** Idle timeout per attempt; `timings()` when not given. */
  timings?: Pick<Timings, 'idleMs'>
}

/** An attempt showed no sign of life (connection, response, body bytes) for the idle timeout. */
export class RequestTimeout extends Error {
  /** Read by isTransientError: worth another attempt, as a dropped packet would be. */
  readonly code = 'ETIMEDOUT'
  constructor(message: string) {
    super(message)
    this.name = 'RequestTimeout'
  }
}

/**
 * Aborts one attempt when it shows no progress for `idleMs` (undici's own header timeout is
 * 300 s, and it has none for a request body the server stops reading), or when it would outlive
 * the job's budget for a failing cache. `touch()` is cheap: it is called for every body chunk.
 */
class Watchdog {
  readonly controller = new AbortController()
  readonly started = Date.now()
  lastProgress = this.started
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly idleMs: number,
    private readonly hardDeadline: number | undefined
  ) {
    this.schedule()
  }

  get signal(): AbortSignal {
    return this.controller.signal
  }

  touch(): void {
    this.lastProgress = Date.now()
  }

  private schedule(): void {
    const now = Date.now()
    const idleAt = this.lastProgress + this.idleMs
    if (this.hardDeadline !== undefined && now >= this.hardDeadline) {
      this.controller.abort(new CacheUnavailableError("the job's time budget for a failing cache ran out"))
      return
    }
    if (now >= idleAt) {
      this.controller.abort(new RequestTimeout(`no answer for ${seconds(this.idleMs)}`))
      return
    }
    const next = Math.min(idleAt, this.hardDeadline ?? Infinity)
    this.timer = setTimeout(() => this.schedule(), Math.max(1, next - now))
    this.timer.unref()
  }

  stop(): void {
    clearTimeout(this.timer)
  }
}

/** The sort of request, for the breaker's streaks: `PUT narinfo`, `PUT nar`, `HEAD narinfo`, `GET nix-cache-info`. */
function channelOf(what: string): string {
  const [method = '', url = ''] = what.split(' ')
  const kind = url.endsWith('.narinfo') ? 'narinfo' : /\/nar\/[^/]+$/.test(url) ? 'nar' : url.slice(url.lastIndexOf('/') + 1)
  return `${method} ${kind}`
}

/** How a failed attempt counts for the circuit breaker. */
function failureKind(e: unknown): FailureKind {
  if (e instanceof RequestTimeout) return 'timeout'
  if (e instanceof RetryableHttpError) return 'server-error'
  if (e instanceof HttpStatusError) return 'refused'
  return 'connection'
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

/** Spool files are sent in large pieces: every chunk costs a trip through fetch's web stream and our progress tap. */
const SPOOL_READ_CHUNK = 256 * 1024

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
  if (e instanceof HttpStatusError || e instanceof CacheUnavailableError) return e
  const tries = attempts > 1 ? ` (gave up after ${attempts} attempts)` : ''
  if (e instanceof RetryableHttpError) {
    return tries ? new RetryableHttpError(`${e.message}${tries}`, e.status, e.retryAfterMs) : e
  }
  return new Error(`${what}: ${describeError(e)}${tries}`, { cause: e })
}

/** What went wrong in one attempt, without the request's name: `HTTP 500 Internal Server Error`, `no answer for 30 s`. */
function causeOf(what: string, e: unknown): string {
  const text = e instanceof RetryableHttpError || e instanceof HttpStatusError ? e.message : describeError(e)
  return text.startsWith(`${what}: `) ? text.slice(what.length + 2) : text
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
  private readonly budget: JobBudget
  private readonly idleMs: number
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
    const t = timings()
    this.idleMs = opts.timings?.idleMs ?? t.idleMs
    this.budget = opts.budget ?? new JobBudget({ budgetMs: t.jobBudgetMs, breakerThreshold: t.breakerThreshold })
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

  /**
   * One request, retried: every attempt runs under a watchdog, asks the job's budget first, and
   * reports its outcome to it, so that a dead or silent cache stops being asked. `attempt` gets
   * the watchdog's signal and `touch` (for body progress) and returns the result, or throws.
   */
  private async request<T>(what: string, attempt: (signal: AbortSignal, touch: () => void) => Promise<T>): Promise<T> {
    const channel = channelOf(what)
    let attempts = 0
    const total = this.retry.attempts ?? timings().retryAttempts
    const userOnRetry = this.retry.onRetry
    try {
      const value = await withRetry(
        async (n) => {
          attempts = n
          this.budget.check()
          const dog = new Watchdog(this.idleMs, this.budget.deadline())
          try {
            const v = await attempt(dog.signal, () => dog.touch())
            this.budget.succeeded(channel)
            return v
          } catch (e) {
            // An aborted fetch rejects with the abort reason (our timeout) or a wrapper of it.
            const err = dog.signal.aborted ? (dog.signal.reason as unknown) : e
            if (!(err instanceof CacheUnavailableError)) this.budget.attemptFailed(dog.lastProgress, `${causeOf(what, err)} from ${what}`)
            // The budget ran out during the attempt: say why in the budget's own words.
            else this.budget.check()
            throw err
          } finally {
            dog.stop()
          }
        },
        {
          ...this.retry,
          remainingMs: () => this.budget.remainingMs(),
          onRetry: (e, n, delayMs) => {
            log.info(retryLine(causeOf(what, e), what, n, total, delayMs))
            userOnRetry?.(e, n, delayMs)
          }
        }
      )
      return value
    } catch (e) {
      if (!(e instanceof CacheUnavailableError)) this.budget.requestFailed(failureKind(e), `${causeOf(what, e)} from ${what}`, channel)
      throw finalError(what, e, attempts)
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
    const failures: string[] = []
    const present = await mapLimit(hashParts, this.concurrency, async (hash) => {
      const url = `${this.base}/${hash}.narinfo`
      const what = `HEAD ${this.displayUrl}/${hash}.narinfo`
      try {
        return await this.request(what, async (signal) => {
          const res = await fetch(url, { method: 'HEAD', headers, signal })
          await discard(res)
          if (res.ok) return true
          // Nix itself reads 403 as "absent": S3 answers 403 for missing keys without ListBucket.
          if (res.status === 404 || res.status === 403) return false
          if (isRetryableStatus(res.status)) throw this.retryable(what, res)
          failures.push(`${what}: ${statusLine(res)}`)
          return false
        })
      } catch (e) {
        // The breaker opened: the remaining paths are not asked about, and the push stops.
        if (e instanceof CacheUnavailableError) throw e
        // Uploading a path again is harmless, so a probe that keeps failing must not fail the job.
        failures.push(describeError(e))
        return false
      }
    })
    // One warning, not one per path: with a sick server every probe fails the same way.
    if (failures.length > 0) {
      const more = failures.length > 1 ? ` (and ${failures.length - 1} more)` : ''
      this.warn(`${failures[0]}${more}; assuming ${failures.length === 1 ? 'it is' : 'they are'} not cached`)
    }
    return new Set(hashParts.filter((_, i) => present[i]))
  }

  async put(key: string, body: BodyFactory, contentType: string): Promise<void> {
    await this.send(key, contentType, {}, body)
  }

  /**
   * Vouches for no NAR, so the NAR is uploaded (publish: a conditional PUT). A HEAD cannot tell a
   * whole NAR from the part of one that an upload cut mid-body left under its name on a server
   * that writes in place (a naive WebDAV or PUT handler); a narinfo for that would be a path no
   * one can substitute. A server that honours If-None-Match keeps what it has (412); one that does
   * not replaces it with the whole NAR.
   */
  async has(_key: string): Promise<boolean> {
    return false
  }

  /**
   * A PUT of the verified file with `If-None-Match: *`, so a server that supports conditional
   * writes refuses to replace a NAR another job wrote meanwhile (412: it is there, which is fine).
   * The body is the file itself, so every retry re-reads it instead of serialising the path again.
   */
  async publish(key: string, file: string, contentType: string): Promise<Published> {
    const { size } = await stat(file)
    const status = await this.send(key, contentType, { 'If-None-Match': '*', 'Content-Length': String(size) }, () => createReadStream(file, { highWaterMark: SPOOL_READ_CHUNK }))
    return status === 412 ? 'existed' : 'written'
  }

  /** One PUT, retried; answers the final status (2xx, or 412 for a conditional write that found the key). */
  private async send(key: string, contentType: string, extra: Record<string, string>, body: BodyFactory): Promise<number> {
    const headers = { ...(await this.auth()), 'Content-Type': contentType, ...extra }
    const url = `${this.base}/${key}`
    const what = `PUT ${this.displayUrl}/${key}`
    return this.request(what, async (signal, touch) => {
      const stream = body()
      // Every chunk the request pulls is progress: a server that stops reading the body stalls it.
      const tap = new Transform({
        transform(chunk: Buffer, _enc, done) {
          touch()
          done(null, chunk)
        }
      })
      const piped = pipeline(stream, tap, () => undefined)
      try {
        const res = await fetch(url, {
          method: 'PUT',
          headers,
          body: Readable.toWeb(piped) as ReadableStream<Uint8Array>,
          duplex: 'half',
          // A streamed body cannot be replayed to a redirect target, so redirects are refused.
          // 'error' rather than 'manual': for any other mode fetch clones the request, which
          // tees the body, and the unread branch keeps every byte sent: a 586 MB push peaked
          // at 456 MB of memory (issue 13).
          redirect: 'error',
          signal
        }).catch((e: unknown) => {
          if (types.isNativeError(e) && types.isNativeError(e.cause) && e.cause.message === 'unexpected redirect') {
            throw new HttpStatusError(`${what}: the server answered with a redirect, which an upload does not follow`, 300)
          }
          throw e
        })
        await discard(res)
        if (res.ok) return res.status
        if (res.status === 412 && extra['If-None-Match'] !== undefined) return 412
        if (isRetryableStatus(res.status)) throw this.retryable(what, res)
        throw new HttpStatusError(`${what}: ${statusLine(res)}`, res.status)
      } finally {
        // A failed request may leave the source (often a file) open.
        stream.destroy()
        piped.destroy()
      }
    })
  }

  async prepare(storeDir: string): Promise<void> {
    const what = `GET ${this.displayUrl}/nix-cache-info`
    const headers = await this.auth()
    const existing = await this.request(what, async (signal) => {
      const res = await fetch(`${this.base}/nix-cache-info`, { headers, signal })
      if (res.ok) return await res.text()
      await discard(res)
      if (res.status === 404 || res.status === 403) return undefined
      if (isRetryableStatus(res.status)) throw this.retryable(what, res)
      throw new HttpStatusError(`${what}: ${statusLine(res)}`, res.status)
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
