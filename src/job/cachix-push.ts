import { host } from '../runtime/host.js'
import { jobBudget } from '../runtime/budget.js'
import { CachixApi, CachixRefused, cachixRefusalMessage } from '../executors/cachix/api.js'
import { pushToCachix } from '../executors/cachix/push.js'
import { heldByHash, infosToPush, planAsSelected, planFinal, selectFinal, type FinalInput } from '../plan/planner.js'
import type { PushResult } from '../plan/result.js'
import type { Selection } from '../plan/selection.js'
import { planIO, policyOf } from '../plan/io.js'
import type { PushChoice } from './executor-choice.js'
import { announce, reportCompletion, resultOf, type PushJob } from './planning.js'

type CachixChoice = Extract<PushChoice, { executor: 'cachix' }>

/**
 * The post step's push to a Cachix cache: the same plan as for a binary cache, the server
 * answering which paths it lacks (it counts paths on cache.nixos.org as present).
 */
export async function pushToCachixCache(choice: CachixChoice, job: PushJob): Promise<PushResult> {
  const { inputs, facts } = job
  const selected = selectFinal(facts, policyOf(inputs))
  if (selected.push.length === 0) return resultOf(planAsSelected(selected, job.published, facts.infos), choice.mode === 'dry-run' ? 'dry-run' : 'push')
  if (choice.mode === 'pull-only') {
    announce(choice.announce)
    return resultOf(planAsSelected(selected, job.published, facts.infos), 'pull-only', undefined, choice.note)
  }
  const api = new CachixApi({ apiBase: choice.cache.apiBase, cacheName: choice.cache.cacheName, token: inputs.authToken, budget: jobBudget() })
  try {
    return await planAndPush(api, choice, job, selected)
  } catch (e) {
    if (e instanceof CachixRefused) throw new Error(cachixRefusalMessage(e, choice.cache.cacheName), { cause: e })
    throw e
  }
}

async function planAndPush(api: CachixApi, choice: CachixChoice, job: PushJob, selected: Selection): Promise<PushResult> {
  const { inputs, store, facts } = job
  // Read first: an unreachable service or a refused token costs one request, not one per path.
  const cache = await api.cache()
  const input: FinalInput = { facts, policy: policyOf(inputs), published: job.published }
  const plan = await planFinal(
    selected,
    input,
    planIO(
      store.storeDir,
      heldByHash(async (hashes) => {
        const missing = await api.missing(hashes)
        return new Set(hashes.filter((h) => !missing.has(h)))
      })
    )
  )
  reportCompletion(plan)
  if (choice.mode === 'dry-run' || plan.selection.push.length === 0) return resultOf(plan, choice.mode)
  // A self-signed cache takes the client's signature; signing a managed one's paths would only add a
  // signature nobody trusts, so the key is used only when the cache lists its public half.
  const signer = inputs.secretKey && cache.publicSigningKeys.includes(inputs.secretKey.publicKey) ? inputs.secretKey : undefined
  const outcome = await pushToCachix(infosToPush(plan), {
    api,
    compression: cache.preferredCompressionMethod === 'XZ' ? 'xz' : 'zstd',
    signer,
    parallelism: inputs.parallelism,
    realStoreDir: store.realStoreDir,
    spoolDir: host().tempDir
  })
  return resultOf(plan, 'push', outcome)
}
