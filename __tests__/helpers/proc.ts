// Asynchronous child processes for the end-to-end harness.
// Every child is started in its own process group so that it can be killed with all of
// its descendants (nix, nginx workers, ...); whatever is still running is killed after each
// test file (cleanupAll), and servers also by a watchdog if the test process dies.
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { afterAll } from '@jest/globals'

export interface ProcResult {
  /** Exit code, or null when the process was ended by a signal. */
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** True when the process was killed because it ran past timeoutMs. */
  timedOut: boolean
}

export interface ProcOptions {
  env: NodeJS.ProcessEnv
  cwd?: string
  /** Written to stdin, which is then closed (stdin is always closed). */
  input?: string | Buffer
  /** Kill the whole process group after this many ms. Default: no limit. */
  timeoutMs?: number
  /** Run as another user (the tests run as root). */
  user?: RunAs
}

export interface RunAs {
  uid: number
  gid: number
}

// The harness's sleep is the unit tests' one (fixtures.ts, which has no hooks to import).
export { sleep } from './fixtures.js'

/** Running (a killed process whose parent is gone may linger as a zombie until something reaps it). */
export const alive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !/^\d+ \(.*\) [ZX]/.test(stat)
  } catch {
    return false
  }
}

const live = new Set<ChildProcess>()
const dirsToRemove = new Set<string>()
let hooksInstalled = false

/**
 * Kills every child still running (SIGKILL to its process group) and removes every directory
 * registered with removeAtExit. Runs automatically after each test file (a root-level jest
 * afterAll registered when this module is loaded) and at process exit outside jest.
 */
export function cleanupAll(): void {
  for (const child of live) killTree(child, 'SIGKILL')
  live.clear()
  for (const dir of dirsToRemove) {
    try {
      rmSync(dir, { recursive: true, force: true })
    } catch {
      // best effort
    }
  }
  dirsToRemove.clear()
}

function installExitHook(): void {
  if (hooksInstalled) return
  hooksInstalled = true
  // Inside jest, `process` is a copy whose 'exit' never fires; the afterAll below covers that.
  process.on('exit', cleanupAll)
}

try {
  // A root-level hook of whichever test file loads the harness (each file has its own module registry).
  afterAll(cleanupAll)
} catch {
  // not inside a jest test file
}

/** Removes a temp directory after the test file (or at process exit). */
export function removeAtExit(dir: string): void {
  installExitHook()
  dirsToRemove.add(dir)
}

/** Sends a signal to the child's whole process group (falls back to the child alone). */
export function killTree(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    try {
      child.kill(signal)
    } catch {
      // already gone
    }
  }
}

/** Starts a long-running child (a server) in its own process group; killed by cleanupAll or when the test process dies. */
export function spawnTracked(cmd: string, args: readonly string[], opts: { env: NodeJS.ProcessEnv; cwd?: string }): ChildProcess {
  installExitHook()
  const child = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  live.add(child)
  child.on('exit', () => live.delete(child))
  child.on('error', () => live.delete(child))
  if (child.pid !== undefined) {
    // If the test process dies without cleaning up (a killed jest worker), the watchdog's stdin
    // reaches EOF and it kills the server's process group. A normal exit ends the watchdog.
    const watchdog = spawn('/bin/sh', ['-c', 'read _; kill -9 -"$1" 2>/dev/null', 'watchdog', String(child.pid)], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore']
    })
    watchdog.on('error', () => undefined)
    watchdog.stdin.on('error', () => undefined)
    watchdog.unref()
    const stop = (): void => {
      watchdog.kill('SIGKILL')
      watchdog.stdin.destroy()
    }
    child.on('exit', stop)
    child.on('error', stop)
  }
  return child
}

/** Runs a command to completion and collects its output. Rejects only if it cannot be started. */
export function runProcess(cmd: string, args: readonly string[], opts: ProcOptions): Promise<ProcResult> {
  installExitHook()
  return new Promise<ProcResult>((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: opts.env,
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      uid: opts.user?.uid,
      gid: opts.user?.gid
    })
    live.add(child)
    const out: Buffer[] = []
    const err: Buffer[] = []
    let timedOut = false
    let timer: NodeJS.Timeout | undefined
    if (opts.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        timedOut = true
        killTree(child, 'SIGKILL')
      }, opts.timeoutMs)
    }
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    child.stdin.on('error', () => {
      // the child may exit without reading its input
    })
    child.on('error', (e) => {
      live.delete(child)
      if (timer) clearTimeout(timer)
      reject(new Error(`cannot run ${cmd}: ${e.message}`))
    })
    child.on('close', (code, signal) => {
      live.delete(child)
      if (timer) clearTimeout(timer)
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut
      })
    })
    child.stdin.end(opts.input ?? '')
  })
}

/** A short description of a finished command, for error messages. */
export function describeFailure(cmd: string, args: readonly string[], r: ProcResult): string {
  const how = r.timedOut ? 'timed out' : r.signal ? `was killed by ${r.signal}` : `exited with ${r.code}`
  return `${cmd} ${args.join(' ')} ${how}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`
}
