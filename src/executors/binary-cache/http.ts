import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { STATUS_CODES } from 'node:http'
import { createHash } from 'node:crypto'
import { Readable, Transform, pipeline } from 'node:stream'
import { pipeline as pipelineAsync } from 'node:stream/promises'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import { compressionOfNarFile, decompressor } from '../../format/compression.js'
import { toNix32 } from '../../format/nix32.js'
import { types } from 'node:util'
import { CacheUnavailableError, JobBudget, type FailureKind } from '../../runtime/budget.js'
import { timings, type Timings } from '../../runtime/timings.js'
import { RequestGuard, RequestTimeout } from '../../runtime/request.js'
import type { BinaryCacheBackend, BodyFactory, Published } from './backend.js'
import { CONTENT_TYPES } from './backend.js'
import { ensureCacheInfo } from './cache-info.js'
import { probeEach } from './probe.js'
import { credentialsFor, loadNetrc } from '../../config/netrc.js'
import { NarMismatch } from './nar-writer.js'
import { RetryableHttpError, parseRetryAfter, type RetryOptions } from '../../runtime/retry.js'

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

/** nginx, by its `Server` header (`nginx/1.22.1`, or `nginx` with `server_tokens off`), and OpenResty, which is nginx. */
const NGINX_SERVER = /^(nginx|openresty)(\/|$)/i

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

/** Passes bytes on, calling `touch` for each chunk: bytes moving are the request's sign of life. */
function progressTap(touch: () => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      touch()
      done(null, chunk)
    }
  })
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
  private readonly warn: (message: string) => void
  private readonly opts: HttpBackendOptions
  private readonly requests: RequestGuard
  private authPromise: Promise<Record<string, string>> | undefined
  /** NAR names under which the server holds bytes that are not that NAR (see `has`). */
  private readonly damaged = new Set<string>()
  private readonly urlAuth: string | undefined
  /** The `Server` header of the answer to `prepare`'s GET, if any. */
  private serverSoftware: string | undefined

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
    this.warn = opts.warn ?? (() => {})
    this.opts = opts
    const t = timings()
    this.requests = new RequestGuard({
      budget: opts.budget ?? new JobBudget({ budgetMs: t.jobBudgetMs, breakerThreshold: t.breakerThreshold }),
      idleMs: opts.timings?.idleMs ?? t.idleMs,
      followDeadline: true,
      retry: opts.retry ?? {},
      // Every failure is trouble: answers such as 404 and 412 are returned, not thrown. But a body
      // that refused to end (its path changed under it) says nothing about the server.
      verdict: (e) => (e instanceof NarMismatch ? undefined : failureKind(e)),
      isTrouble: (e) => !(e instanceof NarMismatch),
      cause: (e, what) => causeOf(what, e),
      final: (e, what, attempts) => finalError(what, e, attempts)
    })
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
   * One request, guarded (runtime/request.ts): retried, under an idle timeout, and within the
   * job's budget. `attempt` gets the abort signal and `touch` (for body progress) and returns the
   * result, or throws.
   */
  private request<T>(what: string, attempt: (signal: AbortSignal, touch: () => void) => Promise<T>): Promise<T> {
    return this.requests.run(what, (a) => attempt(a.signal, a.touch))
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
    return probeEach(hashParts, {
      concurrency: this.concurrency,
      warn: this.warn,
      describe: (_hash, e) => describeError(e),
      probe: (hash) => {
        const what = `HEAD ${this.displayUrl}/${hash}.narinfo`
        return this.request(what, async (signal) => {
          const res = await fetch(`${this.base}/${hash}.narinfo`, { method: 'HEAD', headers, signal })
          await discard(res)
          if (res.ok) return true
          // Nix itself reads 403 as "absent": S3 answers 403 for missing keys without ListBucket.
          if (res.status === 404 || res.status === 403) return false
          if (isRetryableStatus(res.status)) throw this.retryable(what, res)
          return { failed: `${what}: ${statusLine(res)}` }
        })
      }
    })
  }

  async put(key: string, body: BodyFactory, contentType: string): Promise<void> {
    await this.send(key, contentType, {}, body)
  }

  /**
   * Whether the server holds the whole NAR that `key` names. A HEAD cannot tell a whole NAR from
   * what an upload cut mid-body left under its name on a server that writes in place (a naive PUT
   * handler), and a narinfo for that would be a path no one can substitute. So a NAR the server
   * has is read back and checked against its name, which is its NAR hash: a whole one is kept
   * (never overwritten); a damaged one is replaced by `publish`. The read costs one download, only
   * for a NAR in the cache that no narinfo of ours named yet (another path with the same contents,
   * an interrupted job). Anything but a clear yes counts as absent.
   */
  async has(key: string): Promise<boolean> {
    const headers = await this.auth()
    const what = `GET ${this.displayUrl}/${key}`
    const expected = /^nar\/([0-9a-z]{52})\.nar/.exec(key)?.[1]
    const compression = compressionOfNarFile(key)
    try {
      return await this.request(what, async (signal, touch) => {
        const res = await fetch(`${this.base}/${key}`, { headers, signal })
        if (!res.ok || !res.body) {
          await discard(res)
          if (isRetryableStatus(res.status)) throw this.retryable(what, res)
          return false
        }
        // Not a NAR name we write: the server's yes is all there is to go on.
        if (expected === undefined || compression === undefined) {
          await discard(res)
          return true
        }
        // Only what the bytes say makes a NAR damaged: a hash or frame that does not match. A read
        // that fails (the network, the idle timeout, the budget) is the request's trouble, which
        // the guard retries and counts like any other.
        const source = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>)
        const decoder = decompressor(compression)
        const hash = createHash('sha256')
        let failedFirst: 'read' | 'decode' | undefined
        source.once('error', () => (failedFirst ??= 'read'))
        decoder.once('error', () => (failedFirst ??= 'decode'))
        try {
          await pipelineAsync(source, progressTap(touch), decoder, hash)
        } catch (e) {
          if (signal.aborted || failedFirst !== 'decode') throw signal.aborted ? (signal.reason ?? e) : e
        }
        const whole = failedFirst === undefined && toNix32(hash.digest()) === expected
        if (!whole) this.damaged.add(key)
        return whole
      })
    } catch (e) {
      // The breaker opened: the push stops here.
      if (e instanceof CacheUnavailableError) throw e
      return false
    }
  }

  /**
   * A PUT of the verified file with `If-None-Match: *`, so a server that supports conditional
   * writes refuses to replace a NAR another job wrote meanwhile (412: it is there, which is fine).
   * The body is the file itself, so every retry re-reads it instead of serialising the path again.
   */
  async publish(key: string, file: string, contentType: string): Promise<Published> {
    const { size } = await stat(file)
    // What `has` found damaged under this name must go, whatever the server's If-None-Match says.
    const condition: Record<string, string> = this.damaged.has(key) ? {} : { 'If-None-Match': '*' }
    const status = await this.send(key, contentType, { ...condition, 'Content-Length': String(size) }, () => createReadStream(file, { highWaterMark: SPOOL_READ_CHUNK }))
    return status === 412 ? 'existed' : 'written'
  }

  /** `publish` for a small verified NAR in memory: no spool file to write and read back. */
  async publishBytes(key: string, bytes: Buffer, contentType: string): Promise<Published> {
    const condition: Record<string, string> = this.damaged.has(key) ? {} : { 'If-None-Match': '*' }
    const status = await this.send(key, contentType, { ...condition, 'Content-Length': String(bytes.length) }, () => Readable.from([bytes]))
    return status === 412 ? 'existed' : 'written'
  }

  /**
   * `publish` straight from the store: a chunked PUT whose body fails before its end when the
   * path does not match (see nar-writer.ts). Cut so, the request never ends its body (no final
   * chunk), and a server that stores a PUT only once its body is complete (nginx writes it to a
   * temporary file and renames it then) keeps nothing. Retries re-read the path; a mismatch is final.
   */
  async publishStream(key: string, body: BodyFactory, contentType: string): Promise<Published> {
    const condition: Record<string, string> = this.damaged.has(key) ? {} : { 'If-None-Match': '*' }
    const status = await this.send(key, contentType, condition, body)
    return status === 412 ? 'existed' : 'written'
  }

  /**
   * Whether the server keeps nothing of a PUT whose body was cut, by what it says it is. nginx
   * writes a PUT body to a temporary file and renames it only once the body is complete (its
   * WebDAV module), and buffers a whole body before passing it on when it proxies (its default,
   * `proxy_request_buffering on`). Any other server, or one that does not say, may write a body in
   * place as it arrives, and keeps the first pass (docs/streamed-uploads.md).
   */
  dropsCutBodies(): boolean {
    return this.serverSoftware !== undefined && NGINX_SERVER.test(this.serverSoftware)
  }

  /** One PUT, retried; answers the final status (2xx, or 412 for a conditional write that found the key). */
  private async send(key: string, contentType: string, extra: Record<string, string>, body: BodyFactory): Promise<number> {
    const headers = { ...(await this.auth()), 'Content-Type': contentType, ...extra }
    const url = `${this.base}/${key}`
    const what = `PUT ${this.displayUrl}/${key}`
    return this.request(what, async (signal, touch) => {
      const stream = body()
      // The body's own failure, which fetch reports as a network error: a mismatch is not retried.
      let refused: NarMismatch | undefined
      stream.once('error', (e) => {
        if (e instanceof NarMismatch) refused = e
      })
      // Every chunk the request pulls is progress: a server that stops reading the body stalls it.
      const tap = progressTap(touch)
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
          if (refused) throw refused
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
    await ensureCacheInfo(storeDir, {
      displayUrl: this.displayUrl,
      read: () =>
        this.request(what, async (signal) => {
          const res = await fetch(`${this.base}/nix-cache-info`, { headers, signal })
          this.serverSoftware = res.headers.get('server') ?? undefined
          if (res.ok) return await res.text()
          await discard(res)
          if (res.status === 404 || res.status === 403) return undefined
          if (isRetryableStatus(res.status)) throw this.retryable(what, res)
          throw new HttpStatusError(`${what}: ${statusLine(res)}`, res.status)
        }),
      write: (text) => this.put('nix-cache-info', () => Readable.from([Buffer.from(text)]), CONTENT_TYPES.cacheInfo)
    })
  }
}
