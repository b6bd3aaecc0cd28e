import { existsSync } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { jobBudget } from './budget.js'
import { fileCacheReadUrl } from './file-alias.js'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { FileBackend } from './backends/file.js'
import { collectJobFacts, type JobFacts } from './collect.js'
import { reportFailure } from './failure.js'
import { host, log } from './host.js'
import type { Inputs } from './inputs.js'
import { locateStore, type StoreLocation } from './nix/store-location.js'
import { configurePull } from './pull.js'
import { selectAndPush, type PushResult } from './push.js'
import { report } from './report.js'
import { saveSnapshot, takeSnapshot } from './snapshot.js'
import { loadMainState, saveMainState } from './state.js'
import { removePullNetrc } from './pull-credentials.js'
import { takeBackDaemonCredentials } from './daemon-credentials.js'
import { isDeterminateNix } from './trust.js'
import { displayUrl } from './url-credentials.js'

/**
 * The two halves of a job, shared by every entry point (the action's main and post steps, the
 * CLI's start, push and run): `beginJob` before the user's build, `finishJob` after it.
 */

async function snapshotStore(store: StoreLocation): Promise<void> {
  const startedAt = Date.now()
  const snapshot = await takeSnapshot(store)
  const dir = join(host().tempDir, 'nix-buildtime-cache')
  await mkdir(dir, { recursive: true })
  // Unique per use, so the action can appear more than once in a job.
  const snapshotFile = join(dir, `snapshot-${randomBytes(6).toString('hex')}`)
  await saveSnapshot(snapshotFile, snapshot)
  saveMainState({ snapshotFile, method: snapshot.method })
  const source = snapshot.method === 'db' ? 'Nix database' : 'store directory'
  log.info(`Recorded ${snapshot.names.length} store paths (${source}) in ${Date.now() - startedAt} ms.`)
}

/** As Nix does, a missing netrc file is not an error; but a file the user named and that is not there deserves a word. */
function warnMissingNetrc(inputs: Inputs): void {
  if (inputs.netrcFile !== undefined && !existsSync(inputs.netrcFile)) {
    log.warning(`Input 'netrc-file': ${inputs.netrcFile} does not exist, so requests to the cache carry no netrc credentials.`)
  }
}

/** Snapshots the store and sets the job's Nix up to pull from the cache. Failures are the caller's. */
export async function beginJob(inputs: Inputs): Promise<void> {
  const store = await locateStore()
  await snapshotStore(store)
  // Create a file:// cache's directories as this user before a root daemon, opening it as a
  // substituter, creates them as root and so locks our later writes out.
  // A cache this job cannot write (read-only, another user's) can still be pulled from; the
  // post step says why it cannot push, once.
  if (inputs.cache.kind === 'file') {
    await new FileBackend(inputs.cache.dir).prepare(store.storeDir).catch((e: unknown) => log.info(`${(e as Error).message}: pulling only.`))
    inputs.cache.url = await fileCacheReadUrl(inputs.cache)
  }
  warnMissingNetrc(inputs)
  await configurePull(inputs, store)
  // Loaded only when used: the cache client is most of the bundle's start-up time.
  if (inputs.cache.kind === 'github-actions') {
    const { restoreGithubActionsCache } = await import('./backends/gha/restore.js')
    await restoreGithubActionsCache(inputs, store)
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
  await takeBackDaemonCredentials(isDeterminateNix)
    .then((did) => did && log.info(`Daemon credentials: ${did}.`))
    .catch((e: unknown) => log.warning(`Could not take the cache's credentials back from the Nix daemon's configuration: ${String(e)}`))
}

async function pushAndReport(inputs: Inputs): Promise<FinishedJob | undefined> {
  const startedAt = Date.now()
  const state = loadMainState()
  if (!state) {
    log.warning('nix-buildtime-cache: the main step recorded no store snapshot (did it fail?), so nothing is pushed.')
    return undefined
  }
  try {
    const store = await locateStore()
    const facts = await collectJobFacts(state, store, inputs)
    const result =
      inputs.cache.kind === 'github-actions'
        ? await (await import('./backends/gha/save.js')).saveToGithubActionsCache(inputs, store, facts)
        : await selectAndPush(inputs, store, facts)
    await report(displayUrl(inputs.cache.url), facts, result, startedAt)
    const problems = result.outcome.failed.length
    if (problems > 0) {
      const first = result.outcome.failed[0]
      const stopped = jobBudget().tripped
      // With the breaker open, most of the failures are paths that were never tried: say why once.
      const why = stopped ? `the cache was given up on: ${stopped}` : `first: ${first.path}: ${first.reason}`
      reportFailure(new Error(`${problems} path(s) could not be pushed; ${why}`), inputs.strict)
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
