import { spawn } from 'node:child_process'
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { log } from '../runtime/host.js'
import { agentFiles, jobDir } from '../runtime/job-dir.js'
import type { Inputs } from '../config/inputs.js'
import type { StoreLocation } from '../nix/store-location.js'
import type { Pushed } from '../plan/result.js'
import { scriptAncestors } from './owner.js'
import type { NarFile } from '../executors/binary-cache/nar-writer.js'
import { AGENT_NICE, encodeInputs, readPublished, readStaged, WARNING_PREFIX, type AgentDestination, type AgentJob, type AgentReady, type AgentStart } from './protocol.js'

/** The agent as the step state records it. */
export interface AgentState {
  pid: number
  dir: string
}

/**
 * How long the main step waits, at most, for the agent's ready file after its own work is done:
 * the agent must add at most 0.1 s to the step, spawning included. An agent that is still starting then is left to
 * finish; the post step finds out from the ready file whether it ever did.
 */
export const READY_WAIT_MS = 50
/** How long the post step waits for uploads in flight before it kills the agent. */
const STOP_TIMEOUT_MS = 15_000

/** The agent bundle sits next to the entry point that runs (dist/main.js, the CLI's bundle). */
function agentScript(): string | undefined {
  const entry = process.argv[1]
  if (!entry) return undefined
  const script = join(dirname(entry), 'agent.js')
  return existsSync(script) ? script : undefined
}

export interface LaunchedAgent {
  dir: string
  pid: number
  /**
   * The agent's ready file; 'starting' when it is alive but not ready within `waitMs`; or the
   * reason it did not start.
   */
  ready(waitMs: number): Promise<AgentReady | 'starting' | string>
}

/**
 * Starts the agent with its output in a log file: a child holding the step's stdout open would
 * keep the step from ending. Its environment is the step's.
 *
 * Under the GitHub runner it runs detached, in its own process group, and keeps
 * RUNNER_TRACKING_ID, so the runner's end-of-job clean-up kills it like any process the job
 * started. Elsewhere nothing would: it stays in the process group of the script that started it,
 * so that a CI system cancelling the script, or Ctrl-C, reaches it too, and it stops by itself
 * once that script has ended (owner.ts), even if `push` never runs.
 */
export async function launchAgent(opts: {
  tempDir: string
  snapshotFile: string
  store: StoreLocation
  inputs: Inputs
  /** None: the agent only fronts the cache for pulls. */
  destination?: AgentDestination
  /** The cache the job's Nix pulls through the agent (front.ts). */
  front?: { url: string }
}): Promise<LaunchedAgent | string> {
  const script = agentScript()
  if (!script) return 'dist/agent.js was not found next to the entry point'
  const runnerJob = process.env.RUNNER_TRACKING_ID || undefined
  // One agent per cache in a job: the action used twice for the same cache shares the first one
  // (it follows the store since the earlier snapshot), and both post steps read what it did.
  const dir = jobDir(opts.tempDir).agent(opts.inputs.cache.url)
  await mkdir(dir, { recursive: true })
  const files = agentFiles(dir)
  const recorded = await readJson<AgentJob>(files.job)
  const sameJob = runnerJob !== undefined && recorded?.runnerJob === runnerJob
  const running = await readReady(files.ready)
  // This job's agent that is still starting (a loaded machine): shared too, not started twice.
  const starting = sameJob && !running && recorded?.pid !== undefined && isAgent(recorded.pid) ? recorded.pid : undefined
  if (starting !== undefined) return { dir, pid: starting, ready: (waitMs) => waitReady(files.ready, waitMs, () => (isAgent(starting) ? undefined : 'it exited before it was ready')) }
  if (running && isAgent(running.pid)) {
    if (sameJob) return { dir, pid: running.pid, ready: async () => running }
    // An agent of an earlier job that was never pushed (the command-line tool's `start` on a
    // machine that outlives its jobs): it follows the store since that job's snapshot, so it
    // must not publish for this one.
    await endProcess(running.pid)
    log.info(`Stopped background agent ${running.pid}, left by an earlier job that did not push.`)
  }
  // An earlier agent of this job that is gone: its records stay (its paths were published), its
  // handshake not. An earlier job's records are not this job's.
  await rm(files.ready, { force: true })
  await rm(files.ended, { force: true })
  if (!sameJob) {
    await rm(files.published, { force: true })
    await rm(files.log, { force: true })
  }
  const followsScript = runnerJob === undefined
  const config: AgentStart = {
    dir,
    tempDir: opts.tempDir,
    snapshotFile: opts.snapshotFile,
    store: opts.store,
    inputs: encodeInputs(opts.inputs),
    destination: opts.destination,
    front: opts.front,
    followsScript,
    scriptAncestors: followsScript ? scriptAncestors() : undefined
  }
  const logFd = openSync(files.log, 'a')
  let child
  try {
    // glibc gives each thread that compresses its own malloc arena, and keeps freed 1 MiB stream
    // buffers instead of returning them: two arenas, and buffers of 128 KiB and more mapped and
    // unmapped one by one, keep the agent's resident memory near what it uses. (The step's own
    // environment, RUNNER_TRACKING_ID included, is otherwise passed on unchanged.)
    const env = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072', ...process.env }
    // Started through nice(1) where there is one: Linux priorities are per thread, and the threads
    // V8 starts before any JavaScript runs would otherwise keep the step's priority.
    const nice = ['/usr/bin/nice', '/bin/nice'].find((p) => existsSync(p))
    // --expose-gc: the agent collects its garbage early to stay small (run.ts, keepSmall).
    const node = [process.execPath, '--expose-gc', script]
    const [cmd, args] = nice ? [nice, ['-n', String(AGENT_NICE), ...node]] : [node[0]!, node.slice(1)]
    child = spawn(cmd, args, { detached: !followsScript, stdio: ['pipe', logFd, logFd], env })
  } finally {
    closeSync(logFd)
  }
  const pid = child.pid
  if (pid === undefined) return 'the agent process could not be started'
  let exited: string | undefined
  child.on('error', (e) => (exited = e.message))
  child.on('exit', (code, signal) => (exited = `it exited (${signal ?? code}) before it was ready`))
  // The configuration holds the signing key: it goes through the pipe, never onto disk.
  child.stdin?.on('error', () => undefined)
  child.stdin?.end(JSON.stringify(config))
  child.unref()
  // Whose agent this is, once it runs: a later main step of the same job shares it (see above).
  const job: AgentJob = { runnerJob, pid }
  await writeFile(files.job, JSON.stringify(job))
  return { dir, pid, ready: (waitMs) => waitReady(files.ready, waitMs, () => exited) }
}

/** The agent's ready file once it is there; why it ended, if it did; or 'starting' after `waitMs`. */
async function waitReady(file: string, waitMs: number, exited: () => string | undefined): Promise<AgentReady | 'starting' | string> {
  const until = Date.now() + waitMs
  for (;;) {
    const ready = await readReady(file)
    if (ready) return ready
    const ended = exited()
    if (ended) return ended
    if (Date.now() >= until) return 'starting'
    await sleep(5)
  }
}

/** A JSON file the agent or an earlier step wrote; undefined while it is missing or half-written. */
async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T
  } catch {
    return undefined
  }
}

const readReady = (file: string): Promise<AgentReady | undefined> => readJson<AgentReady>(file)

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

function kill(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, signal)
    return true
  } catch {
    return false
  }
}

/** True while `pid` is our agent; a PID reused by another process after the agent died is not. */
function isAgent(pid: number): boolean {
  if (!kill(pid, 0)) return false
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('agent.js')
  } catch {
    // No /proc (macOS): the PID is alive, which is the best we know.
    return true
  }
}

/** SIGTERM, a bounded wait for uploads in flight, then SIGKILL. */
async function endProcess(pid: number): Promise<'stopped' | 'killed'> {
  kill(pid, 'SIGTERM')
  const until = Date.now() + STOP_TIMEOUT_MS
  while (isAgent(pid) && Date.now() < until) await sleep(10)
  if (!isAgent(pid)) return 'stopped'
  kill(pid, 'SIGKILL')
  return 'killed'
}

export interface StoppedAgent {
  /** What the agent published (for the GitHub Actions cache: prepared) during the build. */
  published: Pushed[]
  /** NARs it uploaded without a narinfo (installables not resolved yet): the post step names them. */
  staged: NarFile[]
  /** The agent's warnings, to repeat in the job's log. */
  warnings: string[]
  /** Set when the agent had already died (it did not survive to the post step). */
  lost?: string
}

/** Stops the agent, waiting a bounded time for uploads in flight, and reads back what it did. */
export async function stopAgent(agent: AgentState): Promise<StoppedAgent> {
  const files = agentFiles(agent.dir)
  let lost: string | undefined
  if (!(await readReady(files.ready))) {
    // It never finished starting (the main step did not wait for it): whatever it is doing, stop
    // it, if that PID is still the agent's.
    if (isAgent(agent.pid)) kill(agent.pid, 'SIGKILL')
    return { published: [], staged: [], warnings: [], lost: 'the background agent never became ready' }
  }
  if (isAgent(agent.pid)) {
    if ((await endProcess(agent.pid)) === 'killed') {
      log.info(`The background agent did not stop within ${STOP_TIMEOUT_MS / 1000} s; it was killed, and the post step uploads what it had in flight.`)
    }
    // The action used twice in a job: the second post step finds the agent stopped, and says why.
    await writeFile(files.ended, 'an earlier post step of this job stopped it').catch(() => undefined)
  } else {
    const ended = (await readFile(files.ended, 'utf8').catch(() => '')).trim()
    lost = ended ? `the background agent had stopped: ${ended}` : 'the background agent was no longer running at the post step (killed, or it gave up)'
  }
  const logText = await readFile(files.log, 'utf8').catch(() => '')
  const warnings = logText
    .split('\n')
    .filter((l) => l.startsWith(WARNING_PREFIX))
    .map((l) => l.slice(WARNING_PREFIX.length))
  return { published: await readPublished(files.published), staged: await readStaged(files.staged), warnings, lost }
}
