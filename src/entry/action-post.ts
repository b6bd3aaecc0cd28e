import { actionInput, githubHost } from '../action/host.js'
import { openJob, runProcess } from '../job/lifecycle.js'
import { finishJob } from '../job/job.js'

/** The action's post step: after the job's build, even when it failed. */
await runProcess('action-post', async () => {
  await finishJob(openJob(githubHost, actionInput))
})
