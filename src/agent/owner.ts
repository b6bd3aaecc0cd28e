import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

/**
 * Whether the script that started the agent is still running, where no runner will end the
 * agent with the job (the command-line tool; see control.ts). The agent shares that script's
 * process group, whose leader is the script's shell (a CI system's non-interactive shell runs
 * every command in its own group) or, for `run`, the tool itself. Once the leader has exited, the
 * job the agent works for is over, `push` or not.
 *
 * Returns a check to call now and then. Linux: the leader's /proc entry, which also tells a PID
 * reused by another process apart (it is not in our group). Elsewhere (macOS): `ps` once for our
 * group, then whether its leader's PID is alive.
 */
export function scriptWatcher(): () => boolean {
  const fromProc = groupOf('self')
  const own = fromProc ?? groupFromPs()
  // Unknown, or the agent leads its own group (it was started detached): nothing to follow.
  if (own === undefined || own === process.pid) return () => true
  if (fromProc !== undefined) return () => groupOf(String(own)) === own
  return () => alive(own)
}

/** The process group of /proc/<pid>; undefined without /proc, or when the process has exited. */
function groupOf(pid: string): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name may hold spaces and parentheses: fields are counted after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // state ppid pgrp …; a zombie has exited.
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined
    const group = Number(fields[2])
    return Number.isInteger(group) && group > 0 ? group : undefined
  } catch {
    return undefined
  }
}

function groupFromPs(): number | undefined {
  try {
    const group = Number(execFileSync('ps', ['-o', 'pgid=', '-p', String(process.pid)], { encoding: 'utf8', timeout: 5_000 }).trim())
    return Number.isInteger(group) && group > 0 ? group : undefined
  } catch {
    return undefined
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}
