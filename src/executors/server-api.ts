import { STATUS_CODES } from 'node:http'
import { CacheUnavailableError, JobBudget, type FailureKind } from '../runtime/budget.js'
import { RequestGuard, RequestTimeout, type Attempt } from '../runtime/request.js'
import { RetryableHttpError, parseRetryAfter, type RetryOptions } from '../runtime/retry.js'
import { timings } from '../runtime/timings.js'

/**
 * What the cache servers with an API of their own (Attic, Cachix, niks3) have in common on the
 * wire: JSON over HTTP with a bearer token, every request through the job's request guard, 408,
 * 429 and 5xx retried after Retry-After, the token's refusal and other final answers told apart.
 * Each server's api.ts keeps only its routes, bodies and how it words errors.
 */

/** The server refused the token: every later request would be refused too, so the job stops and says so once. */
export class ServerRefused extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message)
    this.name = 'ServerRefused'
  }
}

/** Any other final answer (a bad body, no such cache, a proxy's 413): not retried. */
export class ServerError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message)
    this.name = 'ServerError'
  }
}

const isFinal = (e: unknown): boolean => e instanceof ServerRefused || e instanceof ServerError

function failureKind(e: unknown): FailureKind | 'answer' {
  if (e instanceof RequestTimeout) return 'timeout'
  if (e instanceof RetryableHttpError) return 'server-error'
  if (isFinal(e)) return 'refused'
  return 'connection'
}

/** The servers' clients retry 429 and 5xx after Retry-After; 408 is a proxy's timeout, worth another try too. */
const isRetryableStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500

/** The status line, plus a short plain or JSON body (a server's own words); a proxy's HTML page would only be noise. */
export async function plainErrorText(res: Response): Promise<string> {
  const status = statusLine(res)
  const body = (await res.text().catch(() => '')).trim()
  return body !== '' && body.length <= 300 && !body.startsWith('<') ? `${status}: ${body}` : status
}

export const statusLine = (res: Response): string => `HTTP ${res.status} ${res.statusText || STATUS_CODES[res.status] || ''}`.trim()

/** What a caller gives every server's API: the token, the job's budget, and (in tests) faster retries. */
export interface ServerApiOptions {
  token?: string
  budget?: JobBudget
  retry?: Partial<RetryOptions>
}

/** How one server speaks, beyond what they share. */
export interface ServerDialect extends ServerApiOptions {
  /** Where routes resolve, ending in '/'. */
  base: string
  /** The word before the token in Authorization, as the server's own client writes it. */
  authScheme: string
  /** The statuses that mean the token was refused (the rest of the 4xx are final errors). */
  refusedStatuses: readonly number[]
  refused: (message: string, status: number) => ServerRefused
  error: (message: string, status: number) => ServerError
  /** The server's words for a failed answer; plainErrorText unless the server has a format. */
  errorText?: (res: Response) => Promise<string>
}

/** One server's requests: URLs, the token, the guard, and what a non-2xx answer means. */
export class ServerRequests {
  private readonly guard: RequestGuard
  /** Public: a server may name another API endpoint for later calls (Attic's `api_endpoint`). */
  base: string

  constructor(private readonly dialect: ServerDialect) {
    this.base = dialect.base
    const t = timings()
    this.guard = new RequestGuard({
      budget: dialect.budget ?? new JobBudget({ budgetMs: t.jobBudgetMs, breakerThreshold: t.breakerThreshold }),
      idleMs: t.idleMs,
      followDeadline: true,
      retry: { ...dialect.retry, isRetryable: (e) => !isFinal(e) && !(e instanceof CacheUnavailableError) },
      verdict: failureKind,
      // Our errors begin with the request's name, which the guard's lines give already.
      cause: (e, what) => {
        const text = e instanceof Error ? e.message : String(e)
        return text.startsWith(`${what}: `) ? text.slice(what.length + 2) : text
      },
      final: (e, what, attempts) => (attempts > 1 && e instanceof Error && !isFinal(e) ? new Error(`${what}: ${e.message} (gave up after ${attempts} attempts)`, { cause: e }) : e)
    })
  }

  url(route: string): string {
    return new URL(route, this.base).toString()
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...extra, ...(this.dialect.token ? { Authorization: `${this.dialect.authScheme} ${this.dialect.token}` } : {}) }
  }

  /** One guarded request; `what` names it in the guard's lines and in errors. */
  run<T>(what: string, attempt: (a: Attempt) => Promise<T>): Promise<T> {
    return this.guard.run(what, attempt)
  }

  /** Throws what a non-2xx answer means: retried (408, 429, 5xx), refused (the token), or final. */
  async check(what: string, res: Response): Promise<void> {
    if (res.ok) return
    const text = await (this.dialect.errorText ?? plainErrorText)(res)
    if (isRetryableStatus(res.status)) throw new RetryableHttpError(`${what}: ${text}`, res.status, parseRetryAfter(res.headers.get('retry-after')))
    if (this.dialect.refusedStatuses.includes(res.status)) throw this.dialect.refused(`${what}: ${text}`, res.status)
    throw this.dialect.error(`${what}: ${text}`, res.status)
  }

  /** One JSON call to the API; an empty answer is undefined. Logs name it without the query string. */
  call<T>(method: string, route: string, body?: unknown): Promise<T> {
    const what = `${method} ${this.url(route).split('?')[0]}`
    return this.run(what, async (a) => {
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

  /**
   * A PUT of bytes to a presigned storage URL (the bucket, not the server: no token). `etag` reads
   * the answer's ETag inside the attempt, so a server that must give one can refuse its absence.
   */
  put(what: string, url: string, body: Buffer, headers: Record<string, string>, etag: (value: string | null, status: number) => string): Promise<string> {
    return this.run(what, async (a) => {
      const res = await fetch(url, { method: 'PUT', headers, body, signal: a.signal })
      await this.check(what, res)
      await res.body?.cancel()
      return etag(res.headers.get('etag'), res.status)
    })
  }
}

/** The cause part of a refusal's message (after the request's name), for the one warning. */
export const refusalCause = (e: ServerRefused): string => e.message.slice(e.message.indexOf(': ') + 2)
