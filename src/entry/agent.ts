import { openJob, runProcess } from '../job/lifecycle.js'
import { agentProcess } from '../agent/main.js'

/** The background agent's entry point (`dist/agent.js`); agent/main.ts is what it does. */
await runProcess('agent', () => agentProcess(openJob))
