import { rename, writeFile } from 'node:fs/promises'
import { getPriority, setPriority } from 'node:os'
import { log, type Host } from '../runtime/host.js'
import type { Inputs } from '../config/inputs.js'
import { agentFiles } from '../runtime/job-dir.js'
import { AgentHost } from './host.js'
import { AGENT_NICE, decodeInputs, type AgentReady, type AgentStart } from './protocol.js'
import { serveSubstituter } from './substituter.js'
import type { AgentControl } from './run.js'
import { serveFront, serveUntilJobEnds } from './front.js'

/**
 * The background agent's process, started detached by the main step (or `start`) with its output
 * going to a log file. It publishes what the build makes, as it appears, until the post step stops
 * it (SIGTERM) or the runner's end-of-job clean-up kills it. It must start fast: only the
 * handshake is loaded before `ready.json` is written, the uploader after.
 *
 * `openJob` is the job lifecycle's (job/lifecycle.ts, which the entry point hands in): it installs
 * the agent's host, masks the inputs' secrets and makes the job's budget the agent's.
 */
export async function agentProcess(openJob: (host: Host, inputs: Inputs) => Inputs): Promise<void> {
  const control = stopControl()
  // The build comes first: the agent and the nix commands it runs yield the CPU to it. The main
  // step starts it through nice(1) where it can; otherwise this is the next best thing, first
  // thing, because Linux priorities are per thread and the thread pool that compresses NARs takes
  // the priority of the thread that creates it, on its first use.
  try {
    if (getPriority() < AGENT_NICE) setPriority(AGENT_NICE)
  } catch {
    // Not permitted on this system: run at normal priority.
  }
  const config = JSON.parse(await readStdin()) as AgentStart
  const inputs = openJob(new AgentHost(config.tempDir), decodeInputs(config.inputs))
  const files = agentFiles(config.dir)
  const substituter = config.destination?.role === 'prepare' ? await serveSubstituter(inputs, config.store) : undefined
  const front = await serveFront(config, inputs)
  const ready: AgentReady = { pid: process.pid }
  if (substituter) ready.substituterUrl = substituter.url
  if (front) ready.frontUrl = front.url
  await writeFile(`${files.ready}.tmp`, JSON.stringify(ready))
  await rename(`${files.ready}.tmp`, files.ready)
  log.info(`agent ${process.pid} ready`)
  try {
    const { runAgent } = await import('./run.js')
    if (config.destination) await runAgent({ ...config, destination: config.destination }, inputs, control)
  } catch (e) {
    if (!substituter && !front) throw e
    log.warning(`Publishing during the build stopped: ${e instanceof Error ? e.message : String(e)}; the post step pushes the rest.`)
  }
  // Nix pulls through the substituter for the rest of the job, whether or not publishing goes on:
  // it closes only when the post step (or the runner's clean-up) ends the agent.
  while (substituter && !control.stopRequested()) await control.pause(60_000)
  if (front) await serveUntilJobEnds(config, control)
  await substituter?.close()
  await front?.close()
  log.info('agent stopped')
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of process.stdin) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** SIGTERM (the post step, or the runner's clean-up) asks the agent to stop, and cuts its pauses short. */
function stopControl(): AgentControl {
  let stopping = false
  let wake: (() => void) | undefined
  process.on('SIGTERM', () => {
    stopping = true
    wake?.()
  })
  return {
    stopRequested: () => stopping,
    pause: (ms) =>
      new Promise((resolve) => {
        const t = setTimeout(resolve, ms)
        wake = () => {
          clearTimeout(t)
          resolve()
        }
      })
  }
}
