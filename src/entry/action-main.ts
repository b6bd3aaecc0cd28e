import { actionInput, githubHost } from '../action/host.js'
import { collectIfAsked } from '../action/gc.js'
import { openJob, runProcess } from '../job/lifecycle.js'
import { beginJob } from '../job/job.js'

/** The action's main step: before the job's build; or, with the `gc` input, the cache's GC. */
await runProcess('action-main', async () => {
  if (await collectIfAsked(githubHost, actionInput)) return
  await beginJob(openJob(githubHost, actionInput))
})
