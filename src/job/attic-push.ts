import { log } from '../runtime/host.js'
import { jobBudget } from '../runtime/budget.js'
import { AtticApi } from '../executors/attic/api.js'
import { pushToAttic } from '../executors/attic/push.js'
import { heldByHash, infosToPush, planAsSelected, planFinal, selectFinal, type FinalInput } from '../plan/planner.js'
import type { PushResult } from '../plan/result.js'
import { planIO, policyOf } from '../plan/io.js'
import type { PushChoice } from './executor-choice.js'
import { announce, reportCompletion, resultOf, type PushJob } from './planning.js'

/**
 * The post step's push to an Attic server: the same plan as for a binary cache, with the server
 * answering which paths it lacks, and the server's upstream caches counting as upstream.
 */
export async function pushToAtticCache(choice: Extract<PushChoice, { executor: 'attic' }>, job: PushJob): Promise<PushResult> {
  const { inputs, store, facts } = job
  const policy = policyOf(inputs)
  const selected = selectFinal(facts, policy)
  if (selected.push.length === 0 || choice.mode === 'pull-only') {
    if (selected.push.length > 0) announce(choice.announce)
    return resultOf(planAsSelected(selected, job.published, facts.infos), selected.push.length === 0 ? 'push' : 'pull-only', undefined, selected.push.length === 0 ? undefined : choice.note)
  }
  const api = new AtticApi({ endpoint: choice.cache.endpoint, cacheName: choice.cache.cacheName, token: inputs.authToken, budget: jobBudget() })
  // Read first, as `attic push` does: it names the API endpoint and the upstream keys, and an
  // unreachable server or a refused token costs one request, not one per path.
  const config = await api.cacheConfig()
  const upstream = (config.upstream_cache_key_names ?? []).filter((k) => !policy.skipSignedBy.includes(k))
  // Paths the server's upstream caches sign are served there; `attic push` leaves them out too.
  const withUpstream = upstream.length > 0 ? selectFinal(facts, { ...policy, skipSignedBy: [...policy.skipSignedBy, ...upstream] }) : selected
  const input: FinalInput = { facts, policy: { ...policy, skipSignedBy: [...policy.skipSignedBy, ...upstream] }, published: job.published }
  const plan = await planFinal(
    withUpstream,
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
    realStoreDir: store.realStoreDir,
    warn: (m) => log.warning(m)
  })
  return resultOf(plan, 'push', outcome)
}
