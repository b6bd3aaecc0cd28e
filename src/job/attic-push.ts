import { jobBudget } from '../runtime/budget.js'
import { AtticApi, AtticRefused, refusalMessage } from '../executors/attic/api.js'
import { pushToAttic } from '../executors/attic/push.js'
import { heldByHash, infosToPush, planAsSelected, planFinal, selectFinal, type FinalInput } from '../plan/planner.js'
import type { PushResult } from '../plan/result.js'
import type { Selection } from '../plan/selection.js'
import { planIO, policyOf } from '../plan/io.js'
import type { PushChoice } from './executor-choice.js'
import { announce, reportCompletion, resultOf, type PushJob } from './planning.js'

/**
 * The post step's push to an Attic server: the same plan as for a binary cache, with the server
 * answering which paths it lacks, and the server's upstream caches counting as upstream.
 */
export async function pushToAtticCache(choice: Extract<PushChoice, { executor: 'attic' }>, job: PushJob): Promise<PushResult> {
  const { inputs, facts } = job
  const selected = selectFinal(facts, policyOf(inputs))
  // With nothing selected there is nothing a mode would change, nor anything to say about it.
  if (selected.push.length === 0) return resultOf(planAsSelected(selected, job.published, facts.infos), choice.mode === 'dry-run' ? 'dry-run' : 'push')
  if (choice.mode === 'pull-only') {
    announce(choice.announce)
    return resultOf(planAsSelected(selected, job.published, facts.infos), 'pull-only', undefined, choice.note)
  }
  const api = new AtticApi({ endpoint: choice.cache.endpoint, cacheName: choice.cache.cacheName, token: inputs.authToken, budget: jobBudget() })
  try {
    return await planAndPush(api, choice, job, selected)
  } catch (e) {
    // Said once, in the server's words and what they mean for the token.
    if (e instanceof AtticRefused) throw new Error(refusalMessage(e, choice.cache.cacheName), { cause: e })
    throw e
  }
}

async function planAndPush(api: AtticApi, choice: Extract<PushChoice, { executor: 'attic' }>, job: PushJob, selected: Selection): Promise<PushResult> {
  const { inputs, store, facts } = job
  const policy = policyOf(inputs)
  // Read first, as `attic push` does: it names the API endpoint and the upstream keys, and an
  // unreachable server or a refused token costs one request, not one per path.
  const config = await api.cacheConfig()
  const upstream = (config.upstream_cache_key_names ?? []).filter((k) => !policy.skipSignedBy.includes(k))
  // Paths the server's upstream caches sign are served there (client/src/push.rs:449-466):
  // `attic push` leaves them out too, and they serve their referrers as skip-signed-by's do.
  const withUpstream = { ...policy, skipSignedBy: [...policy.skipSignedBy, ...upstream] }
  const input: FinalInput = { facts, policy: withUpstream, published: job.published }
  const plan = await planFinal(
    upstream.length > 0 ? selectFinal(facts, withUpstream) : selected,
    input,
    planIO(
      store.storeDir,
      heldByHash(async (hashes) => {
        const missing = await api.missingPaths(hashes)
        return new Set(hashes.filter((h) => !missing.has(h)))
      })
    )
  )
  reportCompletion(plan)
  if (choice.mode === 'dry-run' || plan.selection.push.length === 0) return resultOf(plan, choice.mode)
  const outcome = await pushToAttic(infosToPush(plan), {
    api,
    parallelism: inputs.parallelism,
    realStoreDir: store.realStoreDir
  })
  return resultOf(plan, 'push', outcome)
}
