import { CacheUnavailableError } from '../../runtime/budget.js'
import { limiter } from '../../runtime/limiter.js'

/** A probe's answer: whether the cache has the narinfo, or why it could not tell (counted as absent). */
export type ProbeAnswer = boolean | { failed: string }

export interface Probing {
  /** Probes in flight at once. */
  concurrency: number
  /** Asks the cache about one hash; may throw. */
  probe(hash: string): Promise<ProbeAnswer>
  /** The warning text for a probe that threw. */
  describe(hash: string, e: unknown): string
  warn(message: string): void
}

/**
 * The hashes whose narinfo the cache has. A probe that fails counts as absent, because uploading
 * a path again is harmless and a sick cache must not fail the job; the failures make one warning,
 * not one per path, since with a sick server every probe fails the same way. An open breaker
 * (CacheUnavailableError) is not a failed probe: it ends the probing, and the push stops.
 */
export async function probeEach(hashes: readonly string[], p: Probing): Promise<Set<string>> {
  const limit = limiter(Math.max(1, p.concurrency))
  const failures: string[] = []
  const present = await Promise.all(
    hashes.map((hash) =>
      limit(async () => {
        try {
          const answer = await p.probe(hash)
          if (typeof answer === 'boolean') return answer
          failures.push(answer.failed)
        } catch (e) {
          if (e instanceof CacheUnavailableError) throw e
          failures.push(p.describe(hash, e))
        }
        return false
      })
    )
  )
  if (failures.length > 0) {
    const more = failures.length > 1 ? ` (and ${failures.length - 1} more)` : ''
    p.warn(`${failures[0]}${more}; assuming ${failures.length === 1 ? 'it is' : 'they are'} not cached`)
  }
  return new Set(hashes.filter((_, i) => present[i]))
}
