// Times real processes. Peak memory comes from GNU time's report of the waited-for child
// (ru_maxrss), read back from a file so the child's own output is untouched.
import { chmod, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runProcess, type ProcOptions, type ProcResult } from '../../__tests__/helpers/proc.js'
import { node24 } from '../../__tests__/helpers/runner.js'
import { seconds } from './stats.js'

export interface Timed {
  seconds: number
  result: ProcResult
}

export async function timeProcess(cmd: string, args: readonly string[], opts: ProcOptions): Promise<Timed> {
  const start = process.hrtime.bigint()
  const result = await runProcess(cmd, args, opts)
  return { seconds: seconds(start), result }
}

export async function timeOk(cmd: string, args: readonly string[], opts: ProcOptions): Promise<number> {
  const t = await timeProcess(cmd, args, opts)
  if (t.result.code !== 0) throw new Error(`${cmd} ${args.slice(0, 4).join(' ')} failed (${t.result.code}): ${t.result.stderr.slice(-2000)}`)
  return t.seconds
}

/**
 * A stand-in for the Node 24 binary that runs it under /usr/bin/time, writing the peak RSS
 * (KiB) to $BENCH_MAXRSS_FILE. The runner emulation takes it as its `node`, so the steps run
 * exactly as before, one fork/exec later.
 */
export async function measuredNode(dir: string): Promise<string> {
  const wrapper = join(dir, 'node-maxrss')
  // bash, not sh: dash drops environment variables whose names are not identifiers, such as
  // the runner's INPUT_SECRET-KEY; bash passes them on.
  await writeFile(wrapper, `#!/bin/bash\nexec /usr/bin/time -f %M -o "$BENCH_MAXRSS_FILE" ${node24()} "$@"\n`)
  await chmod(wrapper, 0o755)
  return wrapper
}

/** Reads and removes the peak-RSS file the wrapper wrote; bytes. */
export async function takeMaxRss(file: string): Promise<number> {
  const text = await readFile(file, 'utf8')
  await rm(file, { force: true })
  // GNU time prefixes "Command exited with non-zero status N" when the child fails.
  const kib = Number(text.trim().split('\n').pop())
  if (!Number.isFinite(kib)) throw new Error(`cannot read peak RSS from ${file}: ${text}`)
  return kib * 1024
}

export interface CpuTimed {
  /** Wall time, from spawn to exit. */
  seconds: number
  /** User + system CPU seconds of the process and the children it waited for. */
  cpu: number
  /** Peak RSS, bytes. */
  maxRss: number
}

/**
 * Runs a command under GNU time and returns its wall time, CPU time and peak RSS. CPU time hardly
 * changes with the load of a shared machine, where wall time can double; so ratios of CPU time
 * are the figures that carry over between runs on a busy machine.
 */
export async function timeCpu(cmd: string, args: readonly string[], opts: ProcOptions & { scratch: string }): Promise<CpuTimed & { result: ProcResult }> {
  const file = join(opts.scratch, `cpu-${process.pid}-${Date.now()}`)
  const t = await timeProcess('/usr/bin/time', ['-f', '%U %S %M', '-o', file, cmd, ...args], opts)
  if (t.result.code !== 0) throw new Error(`${cmd} ${args.slice(0, 4).join(' ')} failed (${t.result.code}): ${t.result.stderr.slice(-2000)}`)
  const last = (await readFile(file, 'utf8')).trim().split('\n').pop() ?? ''
  await rm(file, { force: true })
  const [user, sys, kib] = last.split(' ').map(Number)
  if (![user, sys, kib].every((x) => Number.isFinite(x))) throw new Error(`cannot read GNU time's report: ${last}`)
  return { seconds: t.seconds, cpu: user! + sys!, maxRss: kib! * 1024, result: t.result }
}
