import { rename, writeFile } from 'node:fs/promises'
import { getPriority, setPriority } from 'node:os'
import { host, log, setHost } from '../runtime/host.js'
import { AgentHost } from '../agent/host.js'
import { AGENT_NICE, agentFiles, decodeInputs, type AgentConfig, type AgentReady } from '../agent/protocol.js'
import { serveSubstituter } from '../agent/substituter.js'

/**
 * The background agent's entry point (`dist/agent.js`), started detached by the main step with
 * its output going to a log file. It publishes what the build makes, as it appears, until the
 * post step stops it (SIGTERM) or the runner's end-of-job clean-up kills it. It must start fast:
 * only the handshake is loaded before `ready.json` is written, the uploader after.
 */

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of process.stdin) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

let stopping = false
let wake: (() => void) | undefined
const stopRequested = (): boolean => stopping

process.on('SIGTERM', () => {
  stopping = true
  wake?.()
})

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms)
    wake = () => {
      clearTimeout(t)
      resolve()
    }
  })
}

async function main(): Promise<void> {
  // The build comes first: the agent and the nix commands it runs yield the CPU to it. The main
  // step starts it through nice(1) where it can; otherwise this is the next best thing, first
  // thing, because Linux priorities are per thread and the thread pool that compresses NARs takes
  // the priority of the thread that creates it, on its first use.
  try {
    if (getPriority() < AGENT_NICE) setPriority(AGENT_NICE)
  } catch {
    // Not permitted on this system: run at normal priority.
  }
  const config = JSON.parse(await readStdin()) as AgentConfig
  setHost(new AgentHost(config.tempDir))
  const inputs = decodeInputs(config.inputs)
  for (const s of [inputs.secretKeyText, inputs.secretKeyText?.slice(inputs.secretKeyText.indexOf(':') + 1), inputs.authHeader?.value]) {
    if (s) host().setSecret(s)
  }
  const files = agentFiles(config.dir)
  const substituter = await serveSubstituter(inputs, config.store)
  const ready: AgentReady = { pid: process.pid }
  if (substituter) ready.substituterUrl = substituter.url
  await writeFile(`${files.ready}.tmp`, JSON.stringify(ready))
  await rename(`${files.ready}.tmp`, files.ready)
  log.info(`agent ${process.pid} ready`)
  try {
    const { runAgent } = await import('../agent/run.js')
    await runAgent(config, inputs, { stopRequested, pause })
  } catch (e) {
    if (!substituter) throw e
    log.warning(`Publishing during the build stopped: ${e instanceof Error ? e.message : String(e)}; the post step pushes the rest.`)
  }
  // Nix pulls through the substituter for the rest of the job, whether or not publishing goes on:
  // it closes only when the post step (or the runner's clean-up) ends the agent.
  while (substituter && !stopRequested()) await pause(60_000)
  await substituter?.close()
  log.info('agent stopped')
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    // The job never fails because of the agent: the post step pushes whatever it did not.
    log.warning(`The background agent stopped: ${e instanceof Error ? e.message : String(e)}; the post step pushes the rest.`)
    process.exit(0)
  }
)
