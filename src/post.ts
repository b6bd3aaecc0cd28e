import { log, setHost } from './host.js'
import { actionInput, githubHost } from './action/github-host.js'
import { rm } from 'node:fs/promises'
import { collectJobFacts } from './collect.js'
import { reportFailure } from './failure.js'
import { readInputs } from './inputs.js'
import { locateStore } from './nix/store-location.js'
import { selectAndPush } from './push.js'
import { report } from './report.js'
import { loadMainState } from './state.js'
import { removePullNetrc } from './pull-credentials.js'
import { takeBackDaemonCredentials } from './daemon-credentials.js'
import { isDeterminateNix } from './trust.js'
import { displayUrl } from './url-credentials.js'

async function post(): Promise<void> {
  setHost(githubHost)
  const startedAt = Date.now()
  let inputs
  try {
    inputs = readInputs(actionInput)
  } catch {
    // The main step has already failed with the input's error; saying it twice helps nobody.
    return
  }
  const state = loadMainState()
  if (!state) {
    log.warning('nix-buildtime-cache: the main step recorded no store snapshot (did it fail?), so nothing is pushed.')
    return
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
      reportFailure(new Error(`${problems} path(s) could not be pushed; first: ${first.path}: ${first.reason}`), inputs.strict)
    }
    for (const p of result.outcome.vanished) log.warning(`${p} disappeared before it could be pushed (garbage-collected?).`)
  } catch (e) {
    reportFailure(e, inputs.strict)
  } finally {
    await rm(state.snapshotFile, { force: true })
  }
}

try {
  await post()
} finally {
  await removePullNetrc().catch(() => undefined)
  await takeBackDaemonCredentials(isDeterminateNix)
    .then((did) => did && log.info(`Daemon credentials: ${did}.`))
    .catch((e: unknown) => log.warning(`Could not take the cache's credentials back from the Nix daemon's configuration: ${String(e)}`))
}
