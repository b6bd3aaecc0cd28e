import { existsSync } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { jobBudget } from '../runtime/budget.js'
import { fileCacheReadUrl } from '../pull/file-alias.js'
import { jobDir } from '../runtime/job-dir.js'
import { FileBackend } from '../executors/binary-cache/file.js'
import { collectJobFacts } from './collect.js'
import type { JobFacts } from '../plan/facts.js'
import { reportFailure } from '../runtime/failure.js'
import { log } from '../runtime/host.js'
import type { Inputs } from '../config/inputs.js'
import { locateStore, type StoreLocation } from '../nix/store-location.js'
import { configurePull, type LocalCache, type ServerSubstituter } from '../pull/configure.js'
import { pushToCache } from './push.js'
import type { PushResult } from '../plan/result.js'
import { report } from '../report/report.js'
import { saveSnapshot, takeSnapshot } from '../nix/snapshot.js'
import { loadMainState, saveMainState, type MainState } from './state.js'
import { removePullNetrc } from '../pull/credentials.js'
import { removeJobServingKey } from '../executors/gha/serving-key.js'
import { takeBackDaemonCredentials } from '../pull/daemon-credentials.js'
import { isDeterminateNix } from '../pull/trust.js'
import { displayUrl } from '../config/url-credentials.js'
import { confirmAgent, finishAgent, frontOf, startAgent, substituterOf } from './agent-handle.js'
import type { LaunchedAgent } from '../agent/control.js'
import { agentRole, executorFor, pullFront } from './executor-choice.js'
import { announceJob, jobsAlongside, neighboursNote } from './store-neighbours.js'

/**
 * The two halves of a job, shared by every entry point (the action's main and post steps, the
 * CLI's start, push and run): `beginJob` before the user's build, `finishJob` after it.
 */

async function snapshotStore(store: StoreLocation): Promise<MainState> {
  const startedAt = Date.now()
  const snapshot = await takeSnapshot(store)
  const dir = jobDir()
  await mkdir(dir.root, { recursive: true })
  const snapshotFile = dir.newSnapshot()
  await saveSnapshot(snapshotFile, snapshot)
  const state: MainState = { snapshotFile, method: snapshot.method }
  saveMainState(state)
  const source = snapshot.method === 'db' ? 'Nix database' : 'store directory'
  log.info(`Recorded ${snapshot.names.length} store paths (${source}) in ${Date.now() - startedAt} ms.`)
  return state
}

/** As Nix does, a missing netrc file is not an error; but a file the user named and that is not there deserves a word. */
function warnMissingNetrc(inputs: Inputs): void {
  if (inputs.netrcFile !== undefined && !existsSync(inputs.netrcFile)) {
    log.warning(`Input 'netrc-file': ${inputs.netrcFile} does not exist, so requests to the cache carry no netrc credentials.`)
  }
}

/**
 * The GitHub Actions cache: served on demand by the agent when it runs, so the build starts at
 * once; otherwise restored here, before the build. Both load only when used: the cache client is
 * most of the bundle's start-up time. Returns the local URL to pull from, if there is one.
 */
async function pullFromGithubActionsCache(inputs: Inputs, store: StoreLocation, agent: LaunchedAgent | undefined): Promise<LocalCache | undefined> {
  const url = agent ? await substituterOf(agent) : undefined
  if (url) {
    const { pullFromLocalSubstituter } = await import('../executors/gha/on-demand.js')
    return pullFromLocalSubstituter(url, inputs.substituterPort)
  }
  const { restoreGithubActionsCache } = await import('../executors/gha/restore.js')
  return restoreGithubActionsCache({ keyPrefix: inputs.keyPrefix }, store)
}

/** Where Nix pulls from a cache server that says so itself (Attic, Cachix, niks3). */
async function serverSubstituter(inputs: Inputs): Promise<ServerSubstituter | undefined> {
  const cache = inputs.cache
  if (cache.kind !== 'attic' && cache.kind !== 'cachix' && cache.kind !== 'niks3') return undefined
  return (await import('./server-pull.js')).serverSubstituter(cache, inputs.authToken)
}

/** Snapshots the store and sets the job's Nix up to pull from the cache. Failures are the caller's. */
export async function beginJob(inputs: Inputs): Promise<void> {
  const store = await locateStore()
  const state = await snapshotStore(store)
  await announceJob(store)
  // Started first, so that its start-up overlaps the rest of this step.
  const agent = await startAgent(inputs, store, state)
  try {
    // Create a file:// cache's directories as this user before a root daemon, opening it as a
    // substituter, creates them as root and so locks our later writes out.
    // A cache this job cannot write (read-only, another user's) can still be pulled from; the
    // post step says why it cannot push, once.
    if (inputs.cache.kind === 'file') {
      await new FileBackend(inputs.cache.dir).prepare(store.storeDir).catch((e: unknown) => log.info(`${(e as Error).message}: pulling only.`))
      inputs.cache.url = await fileCacheReadUrl(inputs.cache)
    }
    warnMissingNetrc(inputs)
    // The GitHub Actions cache is pulled from where this job put it: restored, or served by the agent.
    const local = executorFor(inputs.cache).executor === 'github-actions' ? await pullFromGithubActionsCache(inputs, store, agent) : undefined
    const server = inputs.pull ? await serverSubstituter(inputs) : undefined
    const front = agent && pullFront(inputs) ? await frontOf(agent) : undefined
    await configurePull(inputs, store, local, server, front)
  } finally {
    // Even when the step fails: the agent runs, so the post step must know to stop it.
    if (agent) await confirmAgent(agent, state, agentRole(inputs).role !== 'skip')
  }
}

export interface FinishedJob {
  facts: JobFacts
  result: PushResult
}

/**
 * Diffs the store against the snapshot, selects and pushes, and reports. Returns undefined when
 * there was nothing to compare with. Cache trouble is reported (a warning, or a failure with
 * `strict`), never thrown.
 */
export async function finishJob(inputs: Inputs): Promise<FinishedJob | undefined> {
  try {
    return await pushAndReport(inputs)
  } finally {
    await takeBackCredentials()
  }
}

/** The pull credentials `beginJob` handed out leave the disk with the job's last use of them. */
async function takeBackCredentials(): Promise<void> {
  await removePullNetrc().catch(() => undefined)
  // After the agent has stopped (pushAndReport stops it first): nothing signs with it any more.
  await removeJobServingKey(jobDir().substituterKey).catch(() => undefined)
  await takeBackDaemonCredentials(isDeterminateNix)
    .then((did) => did && log.info(`Daemon credentials: ${did}.`))
    .catch((e: unknown) => log.warning(`Could not take the cache's credentials back from the Nix daemon's configuration: ${String(e)}`))
}

/**
 * Another job of ours on the same store at the same time (store-neighbours.ts): with
 * `installables` the push is exact anyway; without, the summary and one warning say so.
 */
async function noteNeighbours(inputs: Inputs, store: StoreLocation, result: PushResult): Promise<void> {
  const others = await jobsAlongside(store)
  if (!others || inputs.installables.length > 0) return
  const note = neighboursNote(others)
  result.note = result.note ? `${result.note} ${note}` : note
  log.warning(note)
}

async function pushAndReport(inputs: Inputs): Promise<FinishedJob | undefined> {
  const startedAt = Date.now()
  const state = loadMainState()
  if (!state) {
    log.warning('nix-buildtime-cache: the main step recorded no store snapshot (did it fail?), so nothing is pushed.')
    return undefined
  }
  try {
    // First, so that nothing it still has in flight races the post step's own uploads.
    const agent = await finishAgent(state)
    const published = agent?.published ?? []
    const store = await locateStore()
    const facts = await collectJobFacts(state, store, inputs)
    const result = await pushToCache({ inputs, store, facts, published, staged: agent?.staged, snapshotFile: state.snapshotFile })
    await noteNeighbours(inputs, store, result)
    // For the GitHub Actions cache the agent publishes nothing: it prepares files for the layer.
    // An agent that only fronted the cache for pulls published nothing.
    const role = agentRole(inputs).role
    const duringBuild =
      agent && role !== 'skip'
        ? { kind: role === 'prepare' ? ('prepared' as const) : ('published' as const), paths: published.length, narBytes: published.reduce((a, p) => a + p.narSize, 0) }
        : undefined
    await report(displayUrl(inputs.cache.url), facts, result, startedAt, duringBuild)
    const problems = result.outcome.failed.length
    if (problems > 0) {
      const first = result.outcome.failed[0]
      const stopped = jobBudget().tripped
      // With the breaker open, most of the failures are paths that were never tried: say why once.
      const why = result.outcome.stoppedBy ?? (stopped ? `the cache was given up on: ${stopped}` : `first: ${first.path}: ${first.reason}`)
      reportFailure(new Error(`${problems} path(s) could not be pushed; ${why}`), inputs.strict)
    }
    const deep = result.outcome.unsubstitutable ?? []
    if (deep.length > 0) {
      // Not a failure of the cache (strict leaves it a warning): pushed, the NAR would fail every
      // consumer on Nix 2.34+, which would then build the path anyway.
      log.warning(`${deep.length} path(s) not pushed: nested deeper than 64 directory levels, or referencing such a path (first: ${deep[0]!.path}: ${deep[0]!.reason}); see the job summary.`)
    }
    for (const p of result.outcome.vanished) log.warning(`${p} disappeared before it could be pushed (garbage-collected?).`)
    return { facts, result }
  } catch (e) {
    reportFailure(e, inputs.strict)
    return undefined
  } finally {
    await rm(state.snapshotFile, { force: true })
  }
}
