import { host, log, setHost } from './host.js'
import { actionInput, githubHost } from './action/github-host.js'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { randomBytes } from 'node:crypto'
import { InputError, readInputs, type Inputs } from './inputs.js'
import { locateStore, type StoreLocation } from './nix/store-location.js'
import { configurePull } from './pull.js'
import { FileBackend } from './backends/file.js'
import { saveSnapshot, takeSnapshot } from './snapshot.js'
import { saveMainState } from './state.js'
import { reportFailure } from './failure.js'
import { finishBudget } from './budget.js'
import { fileCacheReadUrl } from './file-alias.js'
import { existsSync } from 'node:fs'

async function snapshotStore(store: StoreLocation): Promise<void> {
  const startedAt = Date.now()
  const snapshot = await takeSnapshot(store)
  const dir = join(process.env.RUNNER_TEMP || tmpdir(), 'nix-buildtime-cache')
  await mkdir(dir, { recursive: true })
  // Unique per use, so the action can appear more than once in a job.
  const snapshotFile = join(dir, `snapshot-${randomBytes(6).toString('hex')}`)
  await saveSnapshot(snapshotFile, snapshot)
  saveMainState({ snapshotFile, method: snapshot.method })
  const source = snapshot.method === 'db' ? 'Nix database' : 'store directory'
  log.info(`Recorded ${snapshot.names.length} store paths (${source}) in ${Date.now() - startedAt} ms.`)
}

/** As Nix does, a missing netrc file is not an error; but a file the user named and that is not there deserves a word. */
async function warnMissingNetrc(inputs: Inputs): Promise<void> {
  if (inputs.netrcFile !== undefined && !existsSync(inputs.netrcFile)) {
    log.warning(`Input 'netrc-file': ${inputs.netrcFile} does not exist, so requests to the cache carry no netrc credentials.`)
  }
}

async function main(): Promise<void> {
  setHost(githubHost)
  let inputs: Inputs
  try {
    inputs = readInputs(actionInput)
  } catch (e) {
    host().fail(e instanceof InputError ? e.message : String(e))
    return
  }
  try {
    const store = await locateStore()
    await snapshotStore(store)
    // Create a file:// cache's directories as this user before a root daemon, opening it as a
    // substituter, creates them as root and so locks our later writes out.
    if (inputs.cache.kind === 'file') {
      await new FileBackend(inputs.cache.dir).prepare(store.storeDir)
      inputs.cache.url = await fileCacheReadUrl(inputs.cache)
    }
    await warnMissingNetrc(inputs)
    await configurePull(inputs, store)
    // Loaded only when used: the cache client is most of the bundle's start-up time.
    if (inputs.cache.kind === 'github-actions') {
      const { restoreGithubActionsCache } = await import('./backends/gha/restore.js')
      await restoreGithubActionsCache(inputs, store)
    }
  } catch (e) {
    reportFailure(e, inputs.strict)
  }
}

await main()
finishBudget()
