import { host, log } from '../runtime/host.js'
import type { Inputs } from '../config/inputs.js'
import type { StoreLocation } from '../nix/store-location.js'
import { launchAgent, READY_WAIT_MS, stopAgent, type LaunchedAgent, type StoppedAgent } from '../agent/control.js'
import { agentRole, pullFront } from './executor-choice.js'
import { saveMainState, type MainState } from './state.js'

/**
 * The background agent's place in the job: started by the main step right after the snapshot,
 * confirmed at the end of the main step (its start-up overlaps the rest of the step), stopped
 * first thing in the post step.
 */

export async function startAgent(inputs: Inputs, store: StoreLocation, state: MainState): Promise<LaunchedAgent | undefined> {
  const role = agentRole(inputs)
  if (role.role === 'skip' && role.tell) log.info(`Everything is pushed in the post step (${role.reason}).`)
  const front = pullFront(inputs)
  if (role.role === 'skip' && !front) return undefined
  try {
    const destination = role.role === 'skip' ? undefined : role
    const launched = await launchAgent({ tempDir: host().tempDir, snapshotFile: state.snapshotFile, store, inputs, destination, front })
    if (typeof launched !== 'string') return launched
    fallBack(launched, destination !== undefined)
  } catch (e) {
    fallBack(e instanceof Error ? e.message : String(e), role.role !== 'skip')
  }
  return undefined
}

function fallBack(why: string, publishes = true): void {
  const instead = publishes ? 'everything is pushed in the post step' : 'Nix pulls from the cache directly'
  log.warning(`The background agent could not start (${why}); ${instead}.`)
}

/**
 * How long the main step waits for the agent to serve the GitHub Actions cache: Node's start-up
 * and a listening socket, a fraction of a second even on a busy runner. Past it, the main step
 * restores the cache itself.
 */
const SUBSTITUTER_WAIT_MS = 5_000

/** The URL of the substituter the agent serves, once it is ready; undefined when it serves none. */
export async function substituterOf(launched: LaunchedAgent): Promise<string | undefined> {
  const ready = await launched.ready(SUBSTITUTER_WAIT_MS)
  return typeof ready === 'object' ? ready.substituterUrl : undefined
}

/** The loopback URL the agent fronts the cache at for the job's Nix, once it is ready; undefined when it does not. */
export async function frontOf(launched: LaunchedAgent): Promise<string | undefined> {
  const ready = await launched.ready(SUBSTITUTER_WAIT_MS)
  return typeof ready === 'object' ? ready.frontUrl : undefined
}

/** Waits (briefly) for the agent's handshake and records it in the state for the post step. */
export async function confirmAgent(launched: LaunchedAgent, state: MainState, publishes = true): Promise<void> {
  const ready = await launched.ready(READY_WAIT_MS)
  if (typeof ready === 'string' && ready !== 'starting') {
    fallBack(ready, publishes)
    return
  }
  saveMainState({ ...state, agent: { pid: launched.pid, dir: launched.dir } })
  const does = publishes ? 'publishes paths as the build makes them' : "fronts the cache for the job's Nix"
  log.info(`Background agent ${launched.pid} ${does} (log: ${launched.dir}/agent.log).`)
}

/** Stops the agent and repeats its warnings in the job's log, where users read them. */
export async function finishAgent(state: MainState): Promise<StoppedAgent | undefined> {
  if (!state.agent) return undefined
  try {
    const stopped = await stopAgent(state.agent)
    // As information: the post step tries again whatever the agent could not do, and reports the
    // cache's trouble itself, once.
    for (const w of stopped.warnings) log.info(`Background agent: ${w}`)
    if (stopped.lost) log.info(`${stopped.lost}; the post step pushes everything it had not.`)
    if (stopped.published.length > 0) log.info(`The background agent published ${stopped.published.length} path(s) during the build.`)
    return stopped
  } catch (e) {
    log.warning(`The background agent could not be stopped cleanly: ${e instanceof Error ? e.message : String(e)}`)
    return undefined
  }
}
