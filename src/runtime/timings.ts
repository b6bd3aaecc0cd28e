/**
 * Every time limit of the action's cache I/O, in one place. A dead or unresponsive cache must cost
 * the whole job (main step, a background agent, post step) at most about two minutes, however many
 * paths there are (issue 10): per-request idle timeouts bound one attempt, the retry schedule bounds
 * one request, and the job budget and circuit breaker bound all of them together.
 */
export interface Timings {
  /** No connection, no response headers, no body bytes sent or received for this long: the attempt is abandoned. */
  idleMs: number
  /** TCP (and TLS) connection set-up, where the client lets us bound it separately (AWS SDK). */
  connectMs: number
  /**
   * Wall-clock time the cache may spend failing in one job (failed attempts and the waits between
   * them; time spent on requests that succeed is never counted). Kept under two minutes so that
   * the step's own work after the last request still fits the promise.
   */
  jobBudgetMs: number
  /** Requests of one kind (timeouts, refused connections, 5xx, 4xx refusals) failing in a row, after their retries, that open the breaker. */
  breakerThreshold: number
  /** Tries per request, counting the first. */
  retryAttempts: number
  retryBaseDelayMs: number
  retryMaxDelayMs: number
  /**
   * A GitHub Actions cache layer downloaded on demand, while Nix waits for it: no response
   * headers, or no progress, for this long, and the download is abandoned (then tried once more).
   */
  layerStallMs: number
  /**
   * S3 only: the longest a retention GC's check of an object (HeadObject) may precede the
   * DeleteObjects that removes it; a GC that would take longer checks again. A push that touched
   * an object while a GC was deleting waits this long before it checks the object is still there
   * (docs/gc.md, "Pushes and a GC at the same time").
   */
  gcWindowMs: number
}

export const TIMINGS: Readonly<Timings> = {
  idleMs: 30_000,
  connectMs: 10_000,
  jobBudgetMs: 110_000,
  breakerThreshold: 5,
  retryAttempts: 5,
  retryBaseDelayMs: 500,
  retryMaxDelayMs: 30_000,
  layerStallMs: 15_000,
  gcWindowMs: 20_000
}

/**
 * The timings in effect. Tests shorten them through an undocumented variable holding JSON, e.g.
 * `NIX_BUILDTIME_CACHE_TEST_TIMEOUTS={"idleMs":1000,"jobBudgetMs":5000}`; unknown keys and
 * non-numbers are ignored, so a typo can never lengthen anything silently.
 */
export function timings(env: NodeJS.ProcessEnv = process.env): Timings {
  const text = env.NIX_BUILDTIME_CACHE_TEST_TIMEOUTS
  const t: Timings = { ...TIMINGS }
  if (!text) return t
  let over: unknown
  try {
    over = JSON.parse(text)
  } catch {
    return t
  }
  if (typeof over !== 'object' || over === null) return t
  for (const key of Object.keys(t) as Array<keyof Timings>) {
    const v = (over as Record<string, unknown>)[key]
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) t[key] = v
  }
  return t
}
