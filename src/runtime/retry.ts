import { types } from 'node:util'
import { timings } from './timings.js'

/** A failed HTTP exchange worth repeating (408, 429, 5xx); carries the server's Retry-After if it sent one. */
export class RetryableHttpError extends Error {
  readonly status: number
  readonly retryAfterMs?: number

  constructor(message: string, status: number, retryAfterMs?: number) {
    super(message)
    this.name = 'RetryableHttpError'
    this.status = status
    if (retryAfterMs !== undefined) this.retryAfterMs = retryAfterMs
  }
}

export interface RetryOptions {
  /** Total tries including the first one. */
  attempts: number
  baseDelayMs: number
  /** Upper bound for the computed backoff. */
  maxDelayMs: number
  /**
   * Upper bound for a server-requested Retry-After. Kept separate from maxDelayMs because a
   * rate-limiting server that is retried earlier than it asked will usually just refuse again.
   */
  maxRetryAfterMs: number
  isRetryable: (e: unknown) => boolean
  onRetry: (e: unknown, attempt: number, delayMs: number) => void
  sleep: (ms: number) => Promise<void>
  /** Injectable so tests can pin the jitter. Returns a number in [0, 1). */
  random: () => number
  /**
   * Time left in the job's budget for a failing cache: a wait that would outlast it is not
   * waited, the last error is thrown at once instead.
   */
  remainingMs?: () => number
}

export const DEFAULT_RETRY_OPTIONS: Readonly<RetryOptions> = {
  attempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 120_000,
  isRetryable: isTransientError,
  onRetry: () => {},
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random
}

/** Socket-level failures that say nothing about whether the request itself was acceptable. */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED'
])

function errorCode(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e) {
    const code = (e as { code: unknown }).code
    if (typeof code === 'string') return code
  }
  return undefined
}

/**
 * The default retry predicate: retryable HTTP statuses and network failures. fetch() reports
 * every network failure as a `TypeError('fetch failed')` whose `cause` holds the real error,
 * whereas its argument-validation TypeErrors have no cause — that is how the two are told apart.
 */
export function isTransientError(e: unknown): boolean {
  if (e instanceof RetryableHttpError) return true
  const code = errorCode(e)
  if (code !== undefined && TRANSIENT_CODES.has(code)) return true
  // isNativeError rather than instanceof: fetch's errors may come from another realm (e.g. under jest).
  if (types.isNativeError(e) && e.name === 'TypeError' && e.cause !== undefined) return true
  return false
}

/**
 * Exponential backoff with "equal jitter": half the window is fixed so retries never collapse
 * to zero, the other half is random so many concurrent callers do not retry in lock-step.
 * `attempt` is the 1-based number of the attempt that just failed.
 */
export function backoffDelay(
  attempt: number,
  baseDelayMs: number,
  maxDelayMs: number,
  random: () => number = Math.random
): number {
  const window = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(window / 2 + random() * (window / 2))
}

function retryAfterOf(e: unknown): number | undefined {
  if (e instanceof RetryableHttpError) return e.retryAfterMs
  return undefined
}

/** The options in effect: the real schedule or the shortened one a test asked for (timings.ts keeps both), then `opts`. */
export function retryOptions(opts: Partial<RetryOptions> = {}): RetryOptions {
  const t = timings()
  return {
    ...DEFAULT_RETRY_OPTIONS,
    attempts: t.retryAttempts,
    baseDelayMs: t.retryBaseDelayMs,
    maxDelayMs: t.retryMaxDelayMs,
    ...stripUndefined(opts)
  }
}

/**
 * The wait before trying again after attempt `attempt` (1-based) failed with `e`, or undefined
 * when there is no next attempt: the error is not worth repeating, the attempts are used up, or
 * the wait would outlast the budget. A server's Retry-After (`retryAfterMs`) wins over the backoff.
 */
export function retryDelay(e: unknown, attempt: number, o: RetryOptions, retryAfterMs: number | undefined = retryAfterOf(e)): number | undefined {
  if (attempt >= Math.max(1, Math.floor(o.attempts)) || !o.isRetryable(e)) return undefined
  const delay =
    retryAfterMs !== undefined
      ? Math.min(Math.max(0, retryAfterMs), o.maxRetryAfterMs)
      : backoffDelay(attempt, o.baseDelayMs, o.maxDelayMs, o.random)
  if (o.remainingMs !== undefined && delay >= o.remainingMs()) return undefined
  return delay
}

/**
 * Runs `fn` until it succeeds, the error is not retryable, or the attempts are used up; then
 * rethrows the last error unchanged so callers can still inspect it.
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  opts: Partial<RetryOptions> = {}
): Promise<T> {
  const o = retryOptions(opts)
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt)
    } catch (e) {
      const delay = retryDelay(e, attempt, o)
      if (delay === undefined) throw e
      o.onRetry(e, attempt, delay)
      await o.sleep(delay)
    }
  }
}

/** `{ attempts: undefined }` must not override the default. */
function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}

/**
 * Parses an HTTP Retry-After header (RFC 9110 §10.2.3): either delta-seconds or an HTTP-date.
 * Returns milliseconds to wait, or undefined when absent or unparseable.
 */
export function parseRetryAfter(header: string | null | undefined, now: number = Date.now()): number | undefined {
  if (header == null) return undefined
  const value = header.trim()
  if (value === '') return undefined
  if (/^\d+$/.test(value)) return Number(value) * 1000
  // Only accept things that look like a date, so junk such as "-5" or "1.5" is not read as one.
  if (!/[a-z]/i.test(value)) return undefined
  const at = Date.parse(value)
  if (Number.isNaN(at)) return undefined
  return Math.max(0, at - now)
}

/** The log line of one retry, e.g. `HTTP 500 Internal Server Error from PUT …; retry 2/5 in 1.6 s`. */
export function retryLine(cause: string, what: string, attempt: number, attempts: number, delayMs: number): string {
  return `${cause} from ${what}; retry ${attempt + 1}/${attempts} in ${(delayMs / 1000).toFixed(1)} s`
}
