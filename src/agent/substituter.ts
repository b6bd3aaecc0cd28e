import type { Inputs } from '../inputs.js'
import type { StoreLocation } from '../nix/store-location.js'

/** A substituter the agent serves for the rest of the job. */
export interface ServedSubstituter {
  url: string
  close(): Promise<void> | void
}

/**
 * The hook for a local substituter served by the agent (issue 14: a lazy GitHub Actions cache,
 * `serveGithubActionsCache(...)`). Called once, before the agent reports ready; its URL goes into
 * `ready.json` (`AgentReady.substituterUrl`) for the main step to configure Nix with, and
 * `close()` is called when the agent stops. Today no cache kind is served this way.
 */
export async function serveSubstituter(inputs: Inputs, store: StoreLocation, tempDir: string): Promise<ServedSubstituter | undefined> {
  void inputs
  void store
  void tempDir
  return undefined
}
