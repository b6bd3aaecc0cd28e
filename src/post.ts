import { actionInput, githubHost } from './action/github-host.js'
import { setHost } from './host.js'
import { readInputs } from './inputs.js'
import { finishJob } from './job.js'
import { finishBudget } from './budget.js'

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
