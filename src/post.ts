import { log, setHost } from './host.js'
import { actionInput, githubHost } from './action/github-host.js'
import { rm } from 'node:fs/promises'
import { collectJobFacts } from './collect.js'
import { reportFailure } from './failure.js'
import { finishBudget, jobBudget } from './budget.js'
import { readInputs } from './inputs.js'
import { locateStore } from './nix/store-location.js'
import { selectAndPush } from './push.js'
import { report } from './report.js'
import { loadMainState } from './state.js'

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
      const stopped = jobBudget().tripped
      // With the breaker open, most of the failures are paths that were never tried: say why once.
      const why = stopped ? `the cache was given up on: ${stopped}` : `first: ${first.path}: ${first.reason}`
      reportFailure(new Error(`${problems} path(s) could not be pushed; ${why}`), inputs.strict)
    }
    for (const p of result.outcome.vanished) log.warning(`${p} disappeared before it could be pushed (garbage-collected?).`)
  } catch (e) {
    reportFailure(e, inputs.strict)
  } finally {
    await rm(state.snapshotFile, { force: true })
  }
}

/** URLs may carry credentials; the log and summary must not. */
function displayUrl(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//').replace(/\?.*$/, '')
}

await post()
finishBudget()
