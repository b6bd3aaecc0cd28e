// One job using the action, run through the harness' runner emulation (__tests__/helpers/
// runner.ts runStep): main step, the job's own work, post step with main's state and exports.
// Each step is timed as a whole process and its peak RSS is recorded.
import { join } from 'node:path'
import { createRunnerDirs, runStep, type RunnerDirs, type StepResult, type Step } from '../../__tests__/helpers/runner.js'
import { runProcess, type ProcResult } from '../../__tests__/helpers/proc.js'
import { removeTree } from '../../__tests__/helpers/nix-store.js'
import { seconds } from './stats.js'
import { takeMaxRss } from './timing.js'

export interface StepRun {
  seconds: number
  /** Peak RSS of the step's node process, bytes. */
  maxRss: number
  result: StepResult
}

export interface JobContext {
  /** The /usr/bin/time wrapper around Node 24 (timing.ts measuredNode). */
  node: string
  /** Where runner directories are created. */
  parentDir: string
}

export class BenchJob {
  mainRun?: StepRun
  private exports: Record<string, string> = {}

  private constructor(
    private readonly ctx: JobContext,
    readonly dirs: RunnerDirs,
    private readonly inputs: Record<string, string>,
    private readonly env: Record<string, string>
  ) {}

  static async create(ctx: JobContext, inputs: Record<string, string>, env: Record<string, string>): Promise<BenchJob> {
    return new BenchJob(ctx, await createRunnerDirs(ctx.parentDir), inputs, env)
  }

  /** The job environment later steps see: the job's env plus GITHUB_ENV exports. */
  get jobEnv(): Record<string, string> {
    return { ...this.env, ...this.exports }
  }

  async step(step: Step, state?: Record<string, string>): Promise<StepRun> {
    const rssFile = join(this.dirs.temp, `maxrss-${step}`)
    const start = process.hrtime.bigint()
    const result = await runStep(step, {
      inputs: this.inputs,
      env: { ...this.jobEnv, BENCH_MAXRSS_FILE: rssFile },
      state,
      dirs: this.dirs,
      node: this.ctx.node,
      timeoutMs: 600_000
    })
    const run = { seconds: seconds(start), maxRss: await takeMaxRss(rssFile), result }
    if (result.code !== 0) throw new Error(`${step} step exited with ${result.code}:\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-3000)}`)
    Object.assign(this.exports, result.env)
    return run
  }

  async main(): Promise<StepRun> {
    this.mainRun = await this.step('main')
    return this.mainRun
  }

  /** The post step with the state main saved (no state at all if main never ran). */
  post(): Promise<StepRun> {
    return this.step('post', this.mainRun?.result.state ?? {})
  }

  /** A `run:` step of the job. */
  exec(cmd: string, args: readonly string[], input?: string | Buffer): Promise<ProcResult> {
    return runProcess(cmd, args, { env: this.jobEnv, cwd: this.dirs.workspace, input })
  }

  async execOk(cmd: string, args: readonly string[], input?: string | Buffer): Promise<ProcResult> {
    const r = await this.exec(cmd, args, input)
    if (r.code !== 0) throw new Error(`${cmd} ${args.slice(0, 4).join(' ')} failed: ${r.stderr.slice(-2000)}`)
    return r
  }

  cleanup(): Promise<void> {
    return removeTree(this.dirs.root)
  }
}

/** Step outputs the bench reads. */
export function numberOutput(run: StepRun, name: string): number {
  const v = run.result.outputs[name]
  if (v === undefined) throw new Error(`the step set no output '${name}':\n${run.result.stdout.slice(-2000)}`)
  return Number(v)
}
