import { CacheUnavailableError, type FailureKind, type JobBudget } from './budget.js'
import { log } from './host.js'
import { retryDelay, retryLine, retryOptions, withRetry, type RetryOptions } from './retry.js'
import { seconds } from './units.js'

/**
 * One request to a cache, made the same way by every network executor (HTTP, S3, the GitHub
 * Actions cache, `nix copy`): the job's budget is asked before each attempt, each attempt runs
 * under an idle timeout, a failed attempt is retried with backoff (or after the server's
 * Retry-After), and every outcome is reported to the budget. That is what bounds the time a dead
 * or silent cache costs the job, however many requests it makes (issue 10).
 */

/** An attempt showed no sign of life (connection, response, body bytes, output) for the idle timeout. */
export class RequestTimeout extends Error {
  /** Read by isTransientError: worth another attempt, as a dropped packet would be. */
  readonly code = 'ETIMEDOUT'
  constructor(readonly idleMs: number) {
    super(`no answer for ${seconds(idleMs)}`)
    this.name = 'RequestTimeout'
  }
}

/**
 * The sort of request, for the breaker's streaks: `PUT narinfo`, `PUT nar`, `HEAD narinfo`,
 * `GET nix-cache-info`; a cache refusing narinfos while taking NARs still trips.
 */
function channelOf(what: string): string {
  const [method = '', url = ''] = what.split(' ')
  const kind = url.endsWith('.narinfo') ? 'narinfo' : /\/nar\/[^/]+$/.test(url) ? 'nar' : url.slice(url.lastIndexOf('/') + 1)
  return `${method} ${kind}`
}

/**
 * One request as the job's budget sees it. The guard below accounts through it, and so does a
 * client that retries by itself (the AWS SDK's retry hook), so both count the same things.
 */
export class BudgetedRequest {
  constructor(
    private readonly budget: JobBudget,
    /** Names the request in messages and log lines, e.g. `PUT https://cache/nar/….nar.zst`; never holds credentials. */
    readonly what: string,
    readonly channel: string = channelOf(what)
  ) {}

  /** Before every attempt: throws CacheUnavailableError once the breaker is open or the budget is spent. */
  check(): void {
    this.budget.check()
  }

  /** An attempt failed with trouble (not an answer such as a 404); it costs the budget from `since`, its last sign of life. */
  attemptFailed(since: number, text: string): void {
    this.budget.attemptFailed(since, text)
  }

  /**
   * For a client that retries by itself: the wait before its next attempt, or undefined when there
   * is none (the breaker is open, the attempts are used up, or the budget cannot afford the wait).
   */
  retryDelay(e: unknown, attempt: number, schedule: Partial<RetryOptions>, retryAfterMs?: number): number | undefined {
    if (this.budget.tripped !== undefined) return undefined
    return retryDelay(e, attempt, retryOptions({ ...schedule, remainingMs: () => this.budget.remainingMs() }), retryAfterMs)
  }

  /** Any answer ends a trouble spell, and its channel's failure streak. */
  succeeded(): void {
    this.budget.succeeded(this.channel)
  }

  /** The request failed for good, after its retries. */
  failed(kind: FailureKind, text: string): void {
    this.budget.requestFailed(kind, text, this.channel)
  }
}

/**
 * While a request follows the budget, it looks at the deadline this often: trouble may begin
 * while it runs (other requests failing, or the SDK's own retries inside one call).
 */
const DEADLINE_POLL_MS = 250

/**
 * Aborts one attempt when it shows no progress for `idleMs` (undici's own header timeout is
 * 300 s, and it has none for a request body the server stops reading), or, when given the
 * budget, once a failing cache's budget runs out. `touch()` is cheap: it is called for every body chunk.
 */
class Watchdog {
  private readonly controller = new AbortController()
  /** A record, not a number, so that a caller learning of progress by other means (captured output) can keep it. */
  readonly progress = { at: Date.now() }
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly idleMs: number | undefined,
    private readonly budget: JobBudget | undefined
  ) {
    this.schedule()
  }

  get signal(): AbortSignal {
    return this.controller.signal
  }

  touch(): void {
    this.progress.at = Date.now()
  }

  private schedule(): void {
    const now = Date.now()
    // Asked afresh each time: a trouble spell that ended meanwhile no longer bounds this attempt.
    const deadline = this.budget?.deadline()
    if (deadline !== undefined && now >= deadline) {
      this.controller.abort(new CacheUnavailableError("the job's time budget for a failing cache ran out"))
      return
    }
    let next = deadline ?? Infinity
    if (this.idleMs !== undefined) {
      const idleAt = this.progress.at + this.idleMs
      if (now >= idleAt) {
        this.controller.abort(new RequestTimeout(this.idleMs))
        return
      }
      next = Math.min(next, idleAt)
    }
    if (this.budget !== undefined) next = Math.min(next, now + DEADLINE_POLL_MS)
    if (next === Infinity) return
    this.timer = setTimeout(() => this.schedule(), Math.max(1, next - now))
    this.timer.unref()
  }

  stop(): void {
    clearTimeout(this.timer)
  }
}

/** What one attempt is given. */
export interface Attempt {
  /** Aborted when the attempt is abandoned (idle, or out of budget); hand it to the call. */
  readonly signal: AbortSignal
  /** A sign of life (body bytes moved): resets the idle timer. */
  touch(): void
  /** When the attempt last showed a sign of life; a caller may set `at` itself. */
  readonly progress: { at: number }
  /** The request's accounting, for a client that retries inside the attempt (the AWS SDK). */
  readonly request: BudgetedRequest
}

/** How one backend's requests are guarded: its budget, its timeouts, and what its errors mean. */
export interface RequestPolicy {
  budget: JobBudget
  /** Groups requests for the breaker; by default each request's `channelOf(what)`. */
  channel?: string
  /**
   * An attempt with no sign of life for this long is abandoned (a function is asked at each
   * attempt's start). Undefined: the client bounds idleness itself.
   */
  idleMs?: number | (() => number)
  /** Abandon an attempt once a failing cache's budget runs out while it runs. */
  followDeadline: boolean
  /**
   * False for a call that takes no abort signal: when its watchdog fires it is left running in
   * the background, and the budget records abandoned work, so the process exits by itself.
   */
  abortable?: boolean
  retry?: Partial<RetryOptions>
  /**
   * A failed attempt costs the budget from its start rather than from its last sign of life (a
   * timeout still from its last sign of life): for a client whose output, which counts as
   * progress, includes its own retries of a failing service (the Actions cache library).
   */
  costFromStart?: boolean
  /** Whether a failed attempt costs budget time; by default every failure but an answer. */
  isTrouble?: (e: unknown) => boolean
  /**
   * How a request that failed for good counts: a kind for the breaker; 'answer' (a reply that the
   * key is absent or already there), which costs nothing and ends trouble like a success; or
   * undefined, not at all.
   */
  verdict: (e: unknown) => FailureKind | 'answer' | undefined
  /** What went wrong, without the request's name: `HTTP 500 Internal Server Error`, `no answer for 30 s`; by default the error's message. */
  cause?: (e: unknown, what: string) => string
  /** One failure in the budget's messages; by default `<cause> from <what>`. */
  text?: (e: unknown, what: string) => string
  /** The log line of one retry; by default `<cause> from <what>; retry 2/5 in 1.6 s`. */
  retryLine?: (e: unknown, what: string, attempt: number, attempts: number, delayMs: number) => string
  /** The error the caller sees once the request failed for good; by default the last one. */
  final?: (e: unknown, what: string, attempts: number) => unknown
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

/** Runs every request of one backend under its policy. */
export class RequestGuard {
  private readonly attempts: number

  constructor(private readonly policy: RequestPolicy) {
    this.attempts = retryOptions(policy.retry).attempts
  }

  private cause(e: unknown, what: string): string {
    return this.policy.cause?.(e, what) ?? messageOf(e)
  }

  private text(e: unknown, what: string): string {
    return this.policy.text?.(e, what) ?? `${this.cause(e, what)} from ${what}`
  }

  /** `attempt` makes the request once, and throws when it failed; retried as the policy says. */
  async run<T>(what: string, attempt: (a: Attempt) => Promise<T>): Promise<T> {
    const p = this.policy
    const request = new BudgetedRequest(p.budget, what, p.channel)
    let tries = 0
    try {
      return await withRetry(
        (n) => {
          tries = n
          return this.once(request, attempt)
        },
        {
          ...p.retry,
          remainingMs: () => p.budget.remainingMs(),
          onRetry: (e, n, delayMs) => {
            const line = p.retryLine?.(e, what, n, this.attempts, delayMs) ?? retryLine(this.cause(e, what), what, n, this.attempts, delayMs)
            log.info(line)
            p.retry?.onRetry?.(e, n, delayMs)
          }
        }
      )
    } catch (e) {
      const verdict = e instanceof CacheUnavailableError ? undefined : p.verdict(e)
      if (verdict === 'answer') request.succeeded()
      else if (verdict !== undefined) request.failed(verdict, this.text(e, what))
      throw p.final ? p.final(e, what, tries) : e
    }
  }

  private async once<T>(request: BudgetedRequest, attempt: (a: Attempt) => Promise<T>): Promise<T> {
    const p = this.policy
    request.check()
    const idleMs = typeof p.idleMs === 'function' ? p.idleMs() : p.idleMs
    const startedAt = Date.now()
    const dog = new Watchdog(idleMs, p.followDeadline ? p.budget : undefined)
    const a: Attempt = { signal: dog.signal, touch: () => dog.touch(), progress: dog.progress, request }
    try {
      const value = p.abortable === false ? await abandonOnAbort(attempt(a), dog.signal, p.budget) : await attempt(a)
      request.succeeded()
      return value
    } catch (e) {
      // An aborted call rejects with the abort reason (our timeout) or a wrapper of it.
      const err = dog.signal.aborted ? (dog.signal.reason as unknown) : e
      // The budget ran out during the attempt: say why in the budget's own words.
      if (err instanceof CacheUnavailableError) request.check()
      else if (p.isTrouble?.(err) ?? (p.verdict(err) !== 'answer')) {
        const since = p.costFromStart && !(err instanceof RequestTimeout) ? startedAt : dog.progress.at
        request.attemptFailed(since, this.text(err, request.what))
      }
      throw err
    } finally {
      dog.stop()
    }
  }
}

/**
 * A call that cannot be aborted, raced against its watchdog: once the watchdog fires, the call is
 * left running (Promise.race still handles its outcome) and the budget records abandoned work.
 */
async function abandonOnAbort<T>(call: Promise<T>, signal: AbortSignal, budget: JobBudget): Promise<T> {
  let abandon = (): void => undefined
  const abandoned = new Promise<never>((_, reject) => {
    abandon = () => {
      budget.abandonedWork = true
      reject(signal.reason as Error)
    }
    if (signal.aborted) abandon()
    else signal.addEventListener('abort', abandon, { once: true })
  })
  try {
    return await Promise.race([call, abandoned])
  } finally {
    signal.removeEventListener('abort', abandon)
  }
}
