import { log } from '../runtime/host.js'
import { cachedHashes } from '../executors/gha/lazy.js'
import { saveToGithubActionsCache } from '../executors/gha/save.js'
import { loadRestoredState } from '../executors/gha/state.js'
import { heldByHash, planFinal, selectFinal } from '../plan/planner.js'
import type { PushResult } from '../plan/result.js'
import { choosePush, githubActionsConditions } from './executor-choice.js'
import { planIO, policyOf } from '../plan/io.js'
import { announce, reportCompletion, resultOf, type PushJob } from './planning.js'

/**
 * The post step for `cache: github-actions`: plans as for any cache, with what the restored
 * layers hold as the destination's answer, then saves the layer when the job may write.
 */
export async function saveToGithubActions(job: PushJob): Promise<PushResult> {
  const { inputs, store, facts } = job
  const restored = (await loadRestoredState()) ?? { held: [], failed: [], paths: [] }
  if (restored.onDemand && restored.failed.length > 0) {
    log.warning(
      `${restored.failed.length} cache layer(s) could not be used when Nix asked for them (first: ${restored.failed[0]}; details in the agent's log); ` +
        'their paths were substituted elsewhere or built, and the next manifest leaves them out.'
    )
  }
  // What the restored layers hold, and what the layers an on-demand job never needed list, is already cached.
  const cached = cachedHashes(restored)
  const held = heldByHash(async (hashes) => new Set(hashes.filter((h) => cached.has(h))))
  const policy = policyOf(inputs)
  // The agent only prepared files for the layer: nothing of this job is in the cache before the save.
  const plan = await planFinal(selectFinal(facts, policy), { facts, policy, published: [] }, planIO(store.storeDir, held))
  reportCompletion(plan)

  const choice = choosePush(inputs, await githubActionsConditions(restored))
  announce(choice.announce)
  if (choice.mode !== 'push') return resultOf(plan, choice.mode, undefined, choice.note)
  const saved = await saveToGithubActionsCache(plan, restored, {
    keyPrefix: inputs.keyPrefix,
    maxSize: inputs.maxSize,
    signer: inputs.secretKey,
    parallelism: inputs.parallelism,
    storeDir: store.storeDir,
    realStoreDir: store.realStoreDir,
    closure: facts.closure
  })
  return resultOf(plan, 'push', saved.outcome, saved.note)
}
