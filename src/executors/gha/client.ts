import { log } from '../../runtime/host.js'
import { isFeatureAvailable, restoreCache, saveCache } from '@actions/cache'
import { RetryableHttpError, type RetryOptions } from '../../runtime/retry.js'
import { CacheUnavailableError, jobBudget, type JobBudget } from '../../runtime/budget.js'
import { RequestGuard, RequestTimeout } from '../../runtime/request.js'
import { captureOutput, watchActivity } from './capture.js'
import { watchArchiveGrowth } from './archive-growth.js'
import { archiveBytes, classifyRestore, classifySave, type CallOutcome } from './classify.js'
import { entryPath, inEntryDir } from './entry-paths.js'

/**
 * The GitHub Actions cache as this action uses it: @actions/cache's saveCache and restoreCache,
 * with the classification, retries and circuit breaker the library leaves to its callers.
 */

/** The service as a whole cannot be used for this job; every later call would fail the same way. */
export class CacheServiceRefused extends Error {
  constructor(
    readonly reason: 'unavailable' | 'rate-limited' | 'read-only',
    message: string
  ) {
    super(message)
    this.name = 'CacheServiceRefused'
  }
}

/** One entry could not be transferred; other entries may still work. */
export class CacheEntryError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CacheEntryError'
  }
}

/**
 * A transfer showed no sign of life for the client's `stallMs`: the entry may well be intact, and
 * the service well; worth one more try, and never a reason to forget the entry.
 */
export class CacheTransferStalled extends CacheEntryError {
  constructor(message: string) {
    super(message)
    this.name = 'CacheTransferStalled'
  }
}

export interface Restored {
  key: string
  /** Compressed archive size, when the library logged it. */
  archiveBytes?: number
}

export interface Saved {
  /** False when the key already existed in this scope: the entry is there, just not ours. */
  created: boolean
  archiveBytes?: number
}

/** `path` is where the entry is saved from and restored to; only its name identifies the entry (entry-paths.ts). */
export interface CacheClient {
  restore(path: string, key: string, restoreKeys?: readonly string[]): Promise<Restored | undefined>
  save(path: string, key: string): Promise<Saved>
}

/** ACTIONS_CACHE_MODE, as @actions/cache reads it; unknown values allow everything. */
export function cacheMode(env: NodeJS.ProcessEnv = process.env): { readable: boolean; writable: boolean; mode: string } {
  const mode = (env.ACTIONS_CACHE_MODE ?? '').trim().toLowerCase()
  const known = ['none', 'read', 'write', 'write-only'].includes(mode)
  return {
    mode,
    readable: !known || mode === 'read' || mode === 'write',
    writable: !known || mode === 'write' || mode === 'write-only'
  }
}

/** Why the service cannot be used at all in this job, or undefined when it can. */
export function unavailableReason(env: NodeJS.ProcessEnv = process.env): string | undefined {
  // The library throws from saveCache (not even a warning) without a token; say why instead.
  if (!env.ACTIONS_RUNTIME_TOKEN) return 'ACTIONS_RUNTIME_TOKEN is not set (not on a GitHub runner, or a runner without the cache service)'
  if (!isFeatureAvailable()) return 'the runner gave no cache service URL (ACTIONS_RESULTS_URL / ACTIONS_CACHE_URL); local runners such as act may not provide one'
  return undefined
}

/** Retry policy for refusals the library does not retry itself. */
export const CLIENT_RETRY: Partial<RetryOptions> = {
  attempts: 4,
  baseDelayMs: 2000,
  maxDelayMs: 20_000,
  // A wait longer than this is not worth holding a runner for: the entry is skipped instead.
  maxRetryAfterMs: 60_000
}

export interface ClientOptions {
  retry?: Partial<RetryOptions>
  /**
   * Abandon a call that shows no sign of life for this long (rather than for what is left of the
   * job's budget), with CacheTransferStalled: for downloads something waits on (on-demand layers).
   */
  stallMs?: number
  /** The job's budget for a failing cache (default: `jobBudget()`). */
  budget?: JobBudget
}

/** One failure in words; the library's own errors and ours already name the call. */
function failureText(e: unknown, what: string): string {
  if (e instanceof RequestTimeout) return `${what}: no answer from the cache service within ${(e.idleMs / 1000).toFixed(0)} s; abandoned`
  return e instanceof Error ? e.message : String(e)
}

/**
 * Runs `run` (one call of the library, or several) as one guarded request (runtime/request.ts).
 * @actions/cache has no overall deadline (a service that accepts connections and never answers
 * holds it for many minutes), and takes no abort signal. A call is abandoned once it has written
 * nothing for what is left of the job's budget: the library logs a large transfer's progress
 * every second, so a healthy upload of a large layer is never cut short, only a call that shows
 * no sign of life. An abandoned call keeps running in the background; the entry points exit once
 * their work is done. Without `retry`, the call is made once.
 */
export function withinBudget<T>(what: string, budget: JobBudget, run: () => Promise<T>, retry: Partial<RetryOptions> = { attempts: 1 }, stallMs?: number): Promise<T> {
  const requests = new RequestGuard({
    budget,
    channel: 'actions cache',
    idleMs: () => Math.min(budget.remainingMs(), stallMs ?? Infinity),
    // Only silence abandons a call: one that keeps reporting progress may outlast the budget.
    followDeadline: false,
    abortable: false,
    // The library's own retry lines count as progress; a failing call costs all the time it took, as before.
    costFromStart: true,
    retry: {
      ...retry,
      isRetryable: (e) => e instanceof RetryableHttpError && (e.retryAfterMs ?? 0) <= (retry.maxRetryAfterMs ?? Infinity)
    },
    // Whatever the library throws by itself is its answer (a key it rejects, say), not trouble.
    isTrouble: (e) => e instanceof RetryableHttpError || e instanceof CacheServiceRefused || e instanceof RequestTimeout,
    // Refusals (CacheServiceRefused) open this client's own breaker instead.
    verdict: (e) => (e instanceof RequestTimeout ? 'timeout' : e instanceof RetryableHttpError ? 'server-error' : undefined),
    text: failureText,
    retryLine: (e, _what, attempt, attempts, delayMs) => {
      const why = e instanceof RetryableHttpError && e.status === 429 ? 'rate-limited by the cache service' : 'the cache service failed'
      const source = e instanceof RetryableHttpError && e.retryAfterMs !== undefined ? ' as Retry-After asks' : ''
      return `${why} (${what}); retry ${attempt + 1}/${attempts} in ${(delayMs / 1000).toFixed(1)} s${source}`
    },
    final: (e) => {
      if (e instanceof CacheUnavailableError) return new CacheServiceRefused('unavailable', e.message)
      // Stalled before the budget ran out: this transfer, not the service.
      if (e instanceof RequestTimeout && stallMs !== undefined && e.idleMs <= stallMs && budget.remainingMs() > 0) {
        return new CacheTransferStalled(`${what}: no progress for ${(e.idleMs / 1000).toFixed(1)} s; abandoned`)
      }
      if (e instanceof RequestTimeout) return new CacheServiceRefused('unavailable', failureText(e, what))
      if (e instanceof RetryableHttpError) return new CacheServiceRefused(e.status === 429 ? 'rate-limited' : 'unavailable', `${e.message}; gave up`)
      return e
    }
  })
  return requests.run(what, async (a) => {
    // Bounded by silence in seconds, a download must count the bytes it writes as life too.
    const stop = stallMs !== undefined ? watchArchiveGrowth(a.progress) : () => undefined
    try {
      return await watchActivity(a.progress, run)
    } finally {
      stop()
    }
  })
}

function describe(outcome: CallOutcome): string {
  return 'detail' in outcome ? outcome.detail : outcome.kind
}

export function actionsCacheClient(opts: ClientOptions = {}): CacheClient {
  const retry = { ...CLIENT_RETRY, ...opts.retry }
  const budget = opts.budget ?? jobBudget()
  let refused: CacheServiceRefused | undefined

  /**
   * Runs one library call until it gives a definite answer. Rate limits wait for Retry-After and
   * 5xx back off (the library has already retried those); both give up after `attempts`. A refusal
   * trips the breaker: the service is not asked again in this step.
   */
  const call = async <T>(what: string, once: () => Promise<{ outcome: CallOutcome; value: T }>): Promise<{ outcome: CallOutcome; value: T }> => {
    if (refused) throw refused
    let serverErrors = 0
    try {
      return await withinBudget(
        what,
        budget,
        async () => {
          const r = await once()
          const o = r.outcome
          if (o.kind === 'rate-limited') throw new RetryableHttpError(`${what}: rate-limited (${o.detail})`, 429, o.retryAfterMs)
          if (o.kind === 'server-error') {
            // The library has already tried five times over about half a minute: one more round at most.
            if (++serverErrors >= 2) throw new CacheServiceRefused('unavailable', `${what}: ${o.detail}`)
            throw new RetryableHttpError(`${what}: ${o.detail}`, 503)
          }
          return r
        },
        retry,
        opts.stallMs
      )
    } catch (e) {
      if (e instanceof CacheServiceRefused) refused = e
      throw e
    }
  }

  const refuse = (o: CallOutcome): never => {
    if (o.kind === 'unavailable' || o.kind === 'read-only') {
      refused = new CacheServiceRefused(o.kind, o.detail)
      throw refused
    }
    throw new CacheEntryError(describe(o))
  }

  return {
    async restore(path, key, restoreKeys = []) {
      const entry = entryPath(path)
      const { outcome, value } = await call(`Restoring ${key}`, async () => {
        const c = await inEntryDir(entry.dir, () => captureOutput(() => restoreCache([entry.name], key, [...restoreKeys])))
        if (c.threw) throw c.error
        relay(c.lines)
        return { outcome: classifyRestore(c.value, c.lines), value: { key: c.value, bytes: archiveBytes(c.lines) } }
      })
      if (outcome.kind === 'miss') return undefined
      if (outcome.kind !== 'ok' || value.key === undefined) return refuse(outcome)
      return { key: value.key, archiveBytes: value.bytes }
    },

    async save(path, key) {
      const entry = entryPath(path)
      const { outcome, value } = await call(`Saving ${key}`, async () => {
        const c = await inEntryDir(entry.dir, () => captureOutput(() => saveCache([entry.name], key)))
        if (c.threw) throw c.error
        relay(c.lines)
        return { outcome: classifySave(c.value ?? -1, c.lines), value: archiveBytes(c.lines) }
      })
      if (outcome.kind === 'ok') return { created: true, archiveBytes: value }
      if (outcome.kind === 'exists') return { created: false }
      return refuse(outcome)
    }
  }
}

/** What the library said, for users who turn on debug logging; never as warnings of its own. */
function relay(lines: readonly string[]): void {
  for (const line of lines) {
    if (line.startsWith('::add-mask::') || line.startsWith('::debug::')) continue // already written through
    const text = line.replace(/^::(warning|error|notice)[^:]*::/, '$1: ').replace(/%0D/g, '').replace(/%0A/g, ' ').replace(/%25/g, '%')
    log.debug(`@actions/cache: ${text}`)
  }
}
