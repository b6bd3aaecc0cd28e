import { actionInput, githubHost } from '../action/host.js'
import { gcAsked } from '../action/gc.js'
import { openJob, runProcess } from '../job/lifecycle.js'
import { finishJob } from '../job/job.js'

/** The action's post step: after the job's build, even when it failed. A GC step has none. */
await runProcess('action-post', async () => {
  if (gcAsked(actionInput)) return
  await finishJob(openJob(githubHost, actionInput))
})
