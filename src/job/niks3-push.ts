import { host } from '../runtime/host.js'
import { jobBudget } from '../runtime/budget.js'
import { Niks3Api, Niks3Refused, niks3RefusalMessage } from '../executors/niks3/api.js'
import { pushToNiks3 } from '../executors/niks3/push.js'
import { heldByHash, infosToPush, planAsSelected, planFinal, selectFinal, type FinalInput } from '../plan/planner.js'
import type { PushResult } from '../plan/result.js'
import type { Selection } from '../plan/selection.js'
import { planIO, policyOf } from '../plan/io.js'
import type { PushChoice } from './executor-choice.js'
import { announce, reportCompletion, resultOf, type PushJob } from './planning.js'

type Niks3Choice = Extract<PushChoice, { executor: 'niks3' }>

/** The post step's push to a niks3 server: the same plan as for a binary cache, the server answering which narinfos the bucket holds. */
export async function pushToNiks3Cache(choice: Niks3Choice, job: PushJob): Promise<PushResult> {
  const { inputs, facts } = job
  const selected = selectFinal(facts, policyOf(inputs))
  if (selected.push.length === 0) return resultOf(planAsSelected(selected, job.published, facts.infos), choice.mode === 'dry-run' ? 'dry-run' : 'push')
  if (choice.mode === 'pull-only') {
    announce(choice.announce)
    return resultOf(planAsSelected(selected, job.published, facts.infos), 'pull-only', undefined, choice.note)
  }
  const api = new Niks3Api({ endpoint: choice.cache.endpoint, token: inputs.authToken, budget: jobBudget() })
  try {
    return await planAndPush(api, choice, job, selected)
  } catch (e) {
    if (e instanceof Niks3Refused) throw new Error(niks3RefusalMessage(e, choice.cache.endpoint), { cause: e })
    throw e
  }
}

async function planAndPush(api: Niks3Api, choice: Niks3Choice, job: PushJob, selected: Selection): Promise<PushResult> {
  const { inputs, store, facts } = job
  const input: FinalInput = { facts, policy: policyOf(inputs), published: job.published }
  const plan = await planFinal(
    selected,
    input,
    planIO(
      store.storeDir,
      heldByHash(async (hashes) => {
        const present = await api.present(hashes.map((h) => `${h}.narinfo`))
        return new Set(hashes.filter((h) => present.has(`${h}.narinfo`)))
      })
    )
  )
  reportCompletion(plan)
  if (choice.mode === 'dry-run' || plan.selection.push.length === 0) return resultOf(plan, choice.mode)
  const outcome = await pushToNiks3(infosToPush(plan), {
    api,
    endpoint: choice.cache.endpoint,
    parallelism: inputs.parallelism,
    realStoreDir: store.realStoreDir,
    spoolDir: host().tempDir
  })
  return resultOf(plan, 'push', outcome)
}
