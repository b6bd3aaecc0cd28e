import { mkdir, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { reportFailure } from '../runtime/failure.js'
import { InputError, type Inputs } from '../config/inputs.js'
import { openJob } from '../job/lifecycle.js'
import { beginJob, finishJob, type FinishedJob } from '../job/job.js'
import { displayUrl } from '../config/url-credentials.js'
import { loadMainState } from '../job/state.js'
import { runChild } from './child.js'
import { helpText } from './help.js'
import { gcCommand } from './gc.js'
import { CliHost } from './host.js'
import { AUTH_HEADER_ENV, AUTH_TOKEN_ENV, optionLabel, parseArgs, rawInputs, SECRET_KEY_ENV, UsageError, type CliArgs, type SavedOptions } from './options.js'
import { cliResult, reportLines } from './result.js'
import { dotenv, shellExports } from './shell.js'
import { defaultStateDir } from './state-dir.js'

/** The state key under which start hands its options to push. */
const OPTIONS_KEY = 'cli_options'
const STATE_FILE = 'state.json'

/** The session's host once there is one, so that even a last-resort message is masked. */
let active: CliHost | undefined
const say = (line: string): void => {
  process.stderr.write(`nix-buildtime-cache: ${active ? active.redact(line) : line}\n`)
}

/** One line on stderr; exit status 2. InputError names the input, which here is an option. */
function usageFailure(e: UsageError | InputError): number {
  say(e instanceof InputError ? `${optionLabel(e.input)}: ${e.message.replace(/^Input '[^']*': /, '')}` : e.message)
  return 2
}

/** The GitHub Actions cache needs the runtime token the runner gives actions, not scripts. */
function refuseGithubActionsCache(inputs: Inputs, env: NodeJS.ProcessEnv): void {
  if (inputs.cache.kind !== 'github-actions') return
  if (env.ACTIONS_RUNTIME_TOKEN && env.ACTIONS_RESULTS_URL) return
  throw new UsageError(
    '--cache github-actions works only inside a GitHub Actions job (it needs the runtime token the runner gives actions; use the action there). ' +
      'Elsewhere give a binary cache: file:///dir, http(s)://…, s3://bucket?… or a Nix store URI.'
  )
}

/** The state directory, or one line saying why it cannot be (a file in the way, no permission). */
async function makeStateDir(dir: string, given: boolean): Promise<void> {
  const label = given ? '--state-dir' : `the state directory (default; choose another with --state-dir)`
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 })
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new UsageError(`${label}: ${dir} is not a directory (a file is in the way)`)
    throw new UsageError(`${label}: cannot create ${dir}: ${code ?? String(e)}`)
  }
}

async function checkDotenvDir(file: string): Promise<void> {
  const dir = dirname(resolve(file))
  const isDir = await stat(dir).then((s) => s.isDirectory(), () => false)
  if (!isDir) throw new UsageError(`--dotenv: the directory of ${file} (${dir}) does not exist; create it first, or name a file in an existing directory`)
}

interface Session {
  host: CliHost
  inputs: Inputs
  stateDir: string
}

async function openSession(cli: CliArgs, persistState: boolean): Promise<Session> {
  // Absolute, since the snapshot's path is recorded in the state.
  const stateDir = cli.stateDir ? resolve(cli.stateDir) : defaultStateDir()
  await makeStateDir(stateDir, cli.stateDir !== undefined)
  // Before anything starts (an agent): start could not hand its settings on.
  if (cli.dotenvFile !== undefined) await checkDotenvDir(cli.dotenvFile)
  const host = new CliHost(stateDir, { stateFile: persistState ? join(stateDir, STATE_FILE) : undefined, summaryFile: cli.summaryFile })
  active = host
  let options: SavedOptions = cli
  if (cli.command === 'push') {
    // Push runs with start's options, overridden one by one by its own.
    const saved = JSON.parse(host.getState(OPTIONS_KEY) || '{}') as Partial<SavedOptions>
    options = {
      given: { ...saved.given, ...cli.given },
      secretKeyFile: cli.secretKeyFile ?? saved.secretKeyFile,
      authHeaderFile: cli.authHeaderFile ?? saved.authHeaderFile,
      authTokenFile: cli.authTokenFile ?? saved.authTokenFile
    }
  }
  // start and run each begin a job; push is the rest of start's, with what start and its agent spent of the budget.
  // A key file's permissions are pointed out where it is named, not again by every push.
  const warnOnce = cli.command !== 'push' || cli.secretKeyFile !== undefined || cli.authHeaderFile !== undefined
  const inputs = openJob(host, await rawInputs(options, process.env, (m) => warnOnce && host.warning(m)), { newJob: cli.command !== 'push' })
  refuseGithubActionsCache(inputs, process.env)
  if (cli.command === 'start') {
    // A start that was never pushed must not leave its snapshot for this one's push.
    const stale = loadMainState()
    if (stale) await rm(stale.snapshotFile, { force: true })
    host.clearState()
    const absolute = (file: string | undefined): string | undefined => (file === undefined ? undefined : resolve(file))
    const saved: SavedOptions = { given: cli.given, secretKeyFile: absolute(cli.secretKeyFile), authHeaderFile: absolute(cli.authHeaderFile), authTokenFile: absolute(cli.authTokenFile) }
    host.saveState(OPTIONS_KEY, JSON.stringify(saved))
  }
  return { host, inputs, stateDir }
}

/** Prints the short report (and the JSON line); returns the exit status. */
function finish(s: Session, cli: CliArgs, finished: FinishedJob | undefined, startedAt: number, commandStatus?: number): number {
  const trouble = s.host.failure !== undefined
  let status = commandStatus ?? 0
  if (trouble && status === 0) status = 1
  const result = cliResult({
    cache: displayUrl(s.inputs.cache.url),
    finished,
    outputs: s.host.outputs,
    trouble,
    status,
    commandStatus,
    seconds: (Date.now() - startedAt) / 1000
  })
  for (const line of reportLines(result)) process.stderr.write(`${s.host.redact(line)}\n`)
  if (cli.json) process.stdout.write(`${s.host.redact(JSON.stringify(result))}\n`)
  return status
}

async function start(cli: CliArgs): Promise<number> {
  const s = await openSession(cli, true)
  try {
    await beginJob(s.inputs)
  } catch (e) {
    reportFailure(e, s.inputs.strict)
  }
  const vars = s.host.exported
  if (cli.dotenvFile) await writeFile(cli.dotenvFile, dotenv(vars), { mode: 0o600 })
  if (cli.json) process.stdout.write(`${s.host.redact(JSON.stringify({ status: s.host.failure ? 1 : 0, env: vars, stateDir: s.stateDir }))}\n`)
  else if (!cli.dotenvFile) process.stdout.write(shellExports(vars))
  return s.host.failure ? 1 : 0
}

async function push(cli: CliArgs): Promise<number> {
  const s = await openSession(cli, true)
  const startedAt = Date.now()
  let finished: FinishedJob | undefined
  if (loadMainState()) {
    finished = await finishJob(s.inputs)
  } else {
    reportFailure(new Error(`no snapshot in ${s.stateDir}: run \`nix-buildtime-cache start\` first (with the same --state-dir).`), s.inputs.strict)
  }
  // A second push must not diff against a snapshot that finishJob has already removed.
  await rm(join(s.stateDir, STATE_FILE), { force: true })
  return finish(s, cli, finished, startedAt)
}

async function run(cli: CliArgs): Promise<number> {
  const s = await openSession(cli, false)
  let begun = true
  try {
    await beginJob(s.inputs)
  } catch (e) {
    reportFailure(e, s.inputs.strict)
    begun = false
    if (s.inputs.strict) return 1
  }
  // The command's Nix gets the pull settings; it never gets our secrets.
  const env: NodeJS.ProcessEnv = { ...process.env, ...s.host.exported }
  delete env[SECRET_KEY_ENV]
  delete env[AUTH_HEADER_ENV]
  delete env[AUTH_TOKEN_ENV]
  const commandStatus = await runChild(cli.argv, env)
  const startedAt = Date.now()
  const finished = begun ? await finishJob(s.inputs) : undefined
  return finish(s, cli, finished, startedAt, commandStatus)
}

/** Runs the command line; resolves to the exit status. */
export async function main(args: readonly string[]): Promise<number> {
  // gc takes options of its own, and concerns a cache, not a job.
  if (args[0] === 'gc') {
    try {
      return await gcCommand(args.slice(1), say)
    } catch (e) {
      say(e instanceof Error ? e.message : String(e))
      return 1
    }
  }
  let cli: CliArgs
  try {
    cli = parseArgs(args)
  } catch (e) {
    if (e instanceof UsageError) return usageFailure(e)
    throw e
  }
  try {
    if (cli.command === 'run') return await run(cli)
    if (cli.command === 'start') return await start(cli)
    if (cli.command === 'push') return await push(cli)
    process.stdout.write(helpText())
    return 0
  } catch (e) {
    if (e instanceof UsageError || e instanceof InputError) return usageFailure(e)
    say(e instanceof Error ? e.message : String(e))
    return 1
  }
}
