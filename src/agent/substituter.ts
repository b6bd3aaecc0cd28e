import { log } from '../runtime/host.js'
import type { Inputs } from '../config/inputs.js'
import type { StoreLocation } from '../nix/store-location.js'

/** A substituter the agent serves for the rest of the job. */
export interface ServedSubstituter {
  url: string
  close(): Promise<void> | void
}

/**
 * A local substituter served by the agent: the GitHub Actions cache, downloaded on demand
 * (issue 14). Called once, before the agent reports ready; its URL goes into `ready.json`
 * (`AgentReady.substituterUrl`) for the main step to configure Nix with, and `close()` is called
 * when the agent stops. A failure here only costs the on-demand restore: the main step then
 * restores eagerly, as without an agent. The agent serves it when its role is to prepare the
 * GitHub Actions layer (job/executor-choice.ts).
 */
export async function serveSubstituter(inputs: Pick<Inputs, 'keyPrefix' | 'substituterPort'>, store: StoreLocation): Promise<ServedSubstituter | undefined> {
  try {
    const { serveGithubActionsCache } = await import('../executors/gha/on-demand.js')
    return await serveGithubActionsCache({ keyPrefix: inputs.keyPrefix, port: inputs.substituterPort }, store)
  } catch (e) {
    log.warning(`The GitHub Actions cache could not be served on demand (${e instanceof Error ? e.message : String(e)}); the main step restores it instead.`)
    return undefined
  }
}
