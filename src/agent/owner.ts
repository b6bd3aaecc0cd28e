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
export function scriptWatcher(ancestors: readonly ProcessId[] = [], settleMs = SETTLE_MS): () => boolean {
  const fromProc = groupOf('self')
  const own = fromProc ?? groupFromPs()
  // Unknown, or the agent leads its own group (it was started detached): nothing to follow.
  const leaderRunning = own === undefined || own === process.pid ? () => true : fromProc !== undefined ? () => groupOf(String(own)) === own : () => alive(own)
  const settledAt = Date.now() + settleMs
  let script: ProcessId | null | undefined
  return () => {
    if (!leaderRunning()) return false
    if (script === undefined) {
      if (Date.now() < settledAt) return true
      // The ancestors still running once start has long ended: the outermost is the script.
      // None (the script's shell leads the group, and only wrappers were below it): the leader.
      script = [...ancestors].reverse().find(isRunning) ?? null
    }
    return script === null || isRunning(script)
  }
}

/** A process, told apart from a later one given the same PID by when it started. */
export interface ProcessId {
  pid: number
  /** Field 22 of /proc/<pid>/stat: clock ticks after boot. */
  startTime: string
}

/**
 * How long after it starts the agent waits before it decides which process is the script: the
 * wrappers between the script and `start` (npx, the subshell of `eval "$(…)"`) end with `start`.
 */
const SETTLE_MS = 2_000

/**
 * The processes `start` runs under, from its parent up to its process group's leader, excluded
 * (Linux; elsewhere none). The script's shell is among them when it does not lead its group (a
 * CI system that runs scripts in its own group): the group's leader then outlives the script.
 */
export function scriptAncestors(): ProcessId[] {
  const chain: ProcessId[] = []
  let pid = statOf('self')?.ppid
  for (let depth = 0; pid !== undefined && pid > 1 && depth < 32; depth++) {
    const stat = statOf(String(pid))
    if (!stat || stat.pgrp === pid) break
    chain.push({ pid, startTime: stat.startTime })
    pid = stat.ppid
  }
  return chain
}

function isRunning(p: ProcessId): boolean {
  return statOf(String(p.pid))?.startTime === p.startTime
}

interface Stat {
  ppid: number
  pgrp: number
  startTime: string
}

/** /proc/<pid>/stat; undefined without /proc, or when the process has exited (a zombie has). */
function statOf(pid: string): Stat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name may hold spaces and parentheses: fields are counted after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // state ppid pgrp … starttime (field 22, the 20th after the name); a zombie has exited.
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined
    const ppid = Number(fields[1])
    const pgrp = Number(fields[2])
    if (!Number.isInteger(pgrp) || pgrp <= 0) return undefined
    return { ppid, pgrp, startTime: fields[19] ?? '' }
  } catch {
    return undefined
  }
}

/** The process group of /proc/<pid>; undefined without /proc, or when the process has exited. */
function groupOf(pid: string): number | undefined {
  return statOf(pid)?.pgrp
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
