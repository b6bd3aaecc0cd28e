// Asynchronous child processes for the end-to-end harness.
// Every child is started in its own process group so that it can be killed with all of
// its descendants (nix, nginx workers, ...), and every live child is killed when the
// test process exits.
import { spawn, type ChildProcess } from 'node:child_process'

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
}

const live = new Set<ChildProcess>()
let exitHookInstalled = false

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on('exit', () => {
    for (const child of live) killTree(child, 'SIGKILL')
  })
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

/** Starts a long-running child in its own process group; it is killed when the test process exits. */
export function spawnTracked(cmd: string, args: readonly string[], opts: { env: NodeJS.ProcessEnv; cwd?: string }): ChildProcess {
  installExitHook()
  const child = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  live.add(child)
  child.on('exit', () => live.delete(child))
  child.on('error', () => live.delete(child))
  return child
}

/** Runs a command to completion and collects its output. Rejects only if it cannot be started. */
export function runProcess(cmd: string, args: readonly string[], opts: ProcOptions): Promise<ProcResult> {
  installExitHook()
  return new Promise<ProcResult>((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: true })
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
