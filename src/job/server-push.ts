import { host } from '../runtime/host.js'
import { serverSink, type ServerSink } from '../executors/server-sink.js'
import { heldByHash, infosToPush, planAsSelected, planFinal, selectFinal, type FinalInput } from '../plan/planner.js'
import type { PushResult } from '../plan/result.js'
import type { Selection } from '../plan/selection.js'
import { planIO, policyOf } from '../plan/io.js'
import type { PushChoice } from './executor-choice.js'
import { announce, reportCompletion, resultOf, type PushJob } from './planning.js'

type ServerChoice = Extract<PushChoice, { executor: 'attic' | 'cachix' | 'niks3' }>

/**
 * The post step's push to a cache server with an API of its own (Attic, Cachix, niks3): the same
 * plan as for a binary cache, with the server answering which paths it holds (Cachix counts paths
 * on cache.nixos.org as present) and Attic's upstream caches counting as upstream.
 */
export async function pushToServerCache(choice: ServerChoice, job: PushJob): Promise<PushResult> {
  const { inputs, facts } = job
  const selected = selectFinal(facts, policyOf(inputs))
  // With nothing selected there is nothing a mode would change, nor anything to say about it.
  if (selected.push.length === 0) return resultOf(planAsSelected(selected, job.published, facts.infos), choice.mode === 'dry-run' ? 'dry-run' : 'push')
  if (choice.mode === 'pull-only') {
    announce(choice.announce)
    return resultOf(planAsSelected(selected, job.published, facts.infos), 'pull-only', undefined, choice.note)
  }
  const sink = serverSink(choice.cache, inputs.authToken, inputs.secretKey, { probe: false })
  try {
    return await planAndPush(sink, choice, job, selected)
  } catch (e) {
    // Said once, in the server's words and what they mean for the token.
    const refusal = sink.refusal(e)
    if (refusal !== undefined) throw new Error(refusal, { cause: e })
    throw e
  }
}

async function planAndPush(sink: ServerSink, choice: ServerChoice, job: PushJob, selected: Selection): Promise<PushResult> {
  const { inputs, store, facts } = job
  const policy = policyOf(inputs)
  // Read first, as `attic push` does: an unreachable server or a refused token costs one request,
  // not one per path, and Attic's config names the API endpoint and the upstream keys. (niks3's
  // config has nothing for the push and needs no token: the sink skips it, the first check tells.)
  const upstream = (await sink.prepare()).filter((k) => !policy.skipSignedBy.includes(k))
  // Paths the server's upstream caches sign are served there (attic client/src/push.rs:449-466):
  // `attic push` leaves them out too, and they serve their referrers as skip-signed-by's do.
  const withUpstream = { ...policy, skipSignedBy: [...policy.skipSignedBy, ...upstream] }
  const input: FinalInput = { facts, policy: withUpstream, published: job.published }
  const plan = await planFinal(upstream.length > 0 ? selectFinal(facts, withUpstream) : selected, input, planIO(store.storeDir, heldByHash((hashes) => sink.existing(hashes))))
  reportCompletion(plan)
  if (choice.mode === 'dry-run' || plan.selection.push.length === 0) return resultOf(plan, choice.mode)
  const outcome = await sink.upload(infosToPush(plan), { parallelism: inputs.parallelism, realStoreDir: store.realStoreDir, spoolDir: host().tempDir })
  return resultOf(plan, 'push', outcome)
}
