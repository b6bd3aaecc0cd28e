import { actionInput, githubHost } from '../action/host.js'
import { setHost } from '../runtime/host.js'
import { readInputs } from '../config/inputs.js'
import { finishJob } from '../job/job.js'
import { finishBudget } from '../runtime/budget.js'

/** The action's post step: after the job's build, even when it failed. */
async function post(): Promise<void> {
  setHost(githubHost)
  let inputs
  try {
    inputs = readInputs(actionInput)
  } catch {
    // The main step has already failed with the input's error; saying it twice helps nobody.
    return
  }
  await finishJob(inputs)
}

await post()
finishBudget()
