import { existsSync } from 'node:fs'
import { log } from '../runtime/host.js'
import { jobBudget } from '../runtime/budget.js'
import { timings } from '../runtime/timings.js'
import type { Inputs } from '../config/inputs.js'
import { credentialsFor, loadNetrc } from '../config/netrc.js'
import { urlCredentials, withoutCredentials } from '../config/url-credentials.js'
import { nixConfig } from '../nix/store-location.js'
import { serveCacheFront, type CacheFront, type CacheUpstream } from '../pull/front.js'
import { httpUpstream } from '../pull/front-http.js'
import { s3Upstream } from '../pull/front-s3.js'
import { scriptWatcher } from './owner.js'
import type { AgentStart } from './protocol.js'
import type { AgentControl } from './run.js'

/**
 * How long the front waits for a sign of life from the cache (connection, headers, body bytes)
 * before it gives the cache up for the rest of the job: seconds, where Nix would wait 300 s per
 * attempt. A narinfo is one small answer; a cache that is alive answers it well within this.
 */
export const FRONT_IDLE_MS = 10_000

/**
 * The headers the agent reads the cache with: the `auth-header` input, the URL's own
 * credentials, else the netrc entry for its host (the user's netrc, then the one Nix reads), as
 * curl in Nix would have used.
 */
async function authHeaders(inputs: Inputs): Promise<Record<string, string>> {
  if (inputs.authHeader) return { [inputs.authHeader.name]: inputs.authHeader.value }
  const basic = (login: string, password: string): Record<string, string> => ({ Authorization: `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}` })
  const fromUrl = urlCredentials(inputs.cache.url)
  if (fromUrl) return basic(fromUrl.login, fromUrl.password)
  const host = new URL(withoutCredentials(inputs.cache.url)).hostname
  const nixNetrc = (await nixConfig().catch(() => new Map<string, string>())).get('netrc-file') || undefined
  const entries = [...(await loadNetrc(inputs.netrcFile).catch(() => [])), ...(nixNetrc ? await loadNetrc(nixNetrc).catch(() => []) : [])]
  const entry = credentialsFor(host, entries)
  return entry ? basic(entry.login ?? '', entry.password ?? '') : {}
}

/**
 * How the front asks the cache: an S3 bucket through the AWS SDK with the agent's credentials
 * (its default chain), an HTTP(S) cache with the headers above.
 */
function upstreamFor(inputs: Inputs, url: string): CacheUpstream {
  if (inputs.cache.kind === 's3') return s3Upstream(inputs.cache.s3)
  return httpUpstream(withoutCredentials(url), () => authHeaders(inputs))
}

/**
 * The front for the cache the job pulls from (pull/front.ts), when the job asked for one
 * (job/executor-choice.ts, `pullFront`). A failure here costs only the bounds: the main step then
 * makes the cache itself the substituter, as before.
 */
export async function serveFront(config: AgentStart, inputs: Inputs): Promise<CacheFront | undefined> {
  if (!config.front) return undefined
  try {
    return await serveCacheFront({
      upstream: upstreamFor(inputs, config.front.url),
      storeDir: config.store.storeDir,
      idleMs: Math.min(FRONT_IDLE_MS, timings().idleMs),
      jobGaveUp: () => jobBudget().tripped,
      charge: (ms, why) => jobBudget().charge(ms, why)
    })
  } catch (e) {
    log.warning(`The cache could not be fronted for the job's Nix (${e instanceof Error ? e.message : String(e)}); Nix pulls from it directly.`)
    return undefined
  }
}

/**
 * Nix pulls through the front until the job ends: the post step's SIGTERM, the job directory
 * gone, or (the command-line tool) the end of the script that started the agent.
 */
export async function serveUntilJobEnds(config: AgentStart, control: AgentControl): Promise<void> {
  const scriptRunning = config.followsScript ? scriptWatcher(config.scriptAncestors) : () => true
  while (!control.stopRequested() && existsSync(config.dir) && scriptRunning()) await control.pause(1000)
}
