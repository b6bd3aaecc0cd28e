import { jobBudget, type FailureKind } from '../runtime/budget.js'
import { RequestGuard, RequestTimeout } from '../runtime/request.js'
import { RetryableHttpError } from '../runtime/retry.js'
import { timings } from '../runtime/timings.js'
import { seconds } from '../runtime/units.js'

/**
 * How long one probe attempt may wait for a sign of life. Nix itself waits up to 300 s per
 * attempt (curl's stalled-download-timeout) for a substituter that accepts connections and never
 * answers, and retries: a cache we make a substituter must first show it answers within seconds.
 */
export const PROBE_IDLE_MS = 3_000
/** Tries of the probe, counting the first: one dropped packet must not cost the job its pulls. */
const PROBE_ATTEMPTS = 2

/** The probe's outcome: undefined when the cache answered, else why it is not worth pulling from. */
export type ProbeVerdict = string | undefined

class ServerTrouble extends RetryableHttpError {}

function kindOf(e: unknown): FailureKind {
  if (e instanceof RequestTimeout) return 'timeout'
  if (e instanceof ServerTrouble) return 'server-error'
  return 'connection'
}

function causeOf(e: unknown): string {
  if (!(e instanceof Error)) return String(e)
  const cause = e.cause instanceof Error ? `: ${e.cause.message}` : ''
  return `${e.message}${cause}`
}

/**
 * Whether an HTTP(S) binary cache answers `GET nix-cache-info` within a few seconds. Any answer
 * below 500 counts (a 401, 403 or 404 is a server that answers; Nix says what it makes of it);
 * no answer, a refused connection or a 5xx does not. The time it costs counts in the job's
 * budget (runtime/request.ts), as the post step would spend it on the same cache. No credentials
 * are sent: an answer of any kind is all the probe needs.
 */
export async function probeHttpCache(url: string): Promise<ProbeVerdict> {
  const base = url.replace(/[?#].*$/, '').replace(/\/+$/, '')
  const what = `GET ${base}/nix-cache-info`
  const idleMs = Math.min(PROBE_IDLE_MS, timings().idleMs)
  const guard = new RequestGuard({
    budget: jobBudget(),
    idleMs,
    followDeadline: true,
    retry: { attempts: PROBE_ATTEMPTS },
    verdict: kindOf,
    cause: (e) => (e instanceof RequestTimeout ? `no answer for ${seconds(idleMs)}` : causeOf(e))
  })
  try {
    await guard.run(what, async ({ signal }) => {
      const res = await fetch(`${base}/nix-cache-info`, { signal })
      await res.body?.cancel().catch(() => undefined)
      if (res.status >= 500) throw new ServerTrouble(`HTTP ${res.status}`, res.status)
    })
    return undefined
  } catch (e) {
    const reason = e instanceof RequestTimeout ? `no answer for ${seconds(idleMs)}` : causeOf(e)
    return `${reason} from ${what}`
  }
}
