import { actionInput, githubHost } from '../action/host.js'
import { reportFailure } from '../runtime/failure.js'
import { host, setHost } from '../runtime/host.js'
import { InputError, readInputs, type Inputs } from '../config/inputs.js'
import { beginJob } from '../job/job.js'
import { finishBudget } from '../runtime/budget.js'

/** The action's main step: before the job's build. */
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
    await beginJob(inputs)
  } catch (e) {
    reportFailure(e, inputs.strict)
  }
}

await main()
// Saves the job's cache budget for the next step, and exits if a cache call had to be abandoned.
finishBudget()
