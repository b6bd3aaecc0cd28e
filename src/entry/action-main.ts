import { actionInput, githubHost } from '../action/host.js'
import { openJob, runProcess } from '../job/lifecycle.js'
import { beginJob } from '../job/job.js'

/** The action's main step: before the job's build. */
await runProcess('action-main', () => beginJob(openJob(githubHost, actionInput)))
