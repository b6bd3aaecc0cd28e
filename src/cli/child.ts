import { spawn } from 'node:child_process'
import { constants } from 'node:os'
import { log } from '../runtime/host.js'

/** Signals a CI system or a terminal sends to stop a job, handed on to the command. */
const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT']

/**
 * Runs the user's command with the terminal's (or CI log's) stdio and resolves to its exit status,
 * as a shell reports it: the code, 128 + the signal's number when a signal ended it, 127 when it
 * was not found, 126 when it could not be started otherwise.
 */
export function runChild(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [file, ...args] = argv as [string, ...string[]]
  return new Promise((resolve) => {
    let settled = false
    // While the command runs, a stop request is the command's to honour; we push afterwards.
    const forward = (signal: NodeJS.Signals): void => {
      child.kill(signal)
    }
    const done = (status: number): void => {
      if (settled) return
      settled = true
      // From here on a signal stops us the usual way (a second Ctrl-C skips the push).
      for (const s of FORWARDED) process.off(s, forward)
      resolve(status)
    }
    const child = spawn(file, args, { stdio: 'inherit', env })
    for (const s of FORWARDED) process.on(s, forward)
    child.on('error', (e: NodeJS.ErrnoException) => {
      log.error(`cannot run ${file}: ${e.message}`)
      done(e.code === 'ENOENT' ? 127 : 126)
    })
    child.on('close', (code, signal) => done(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)))
  })
}
