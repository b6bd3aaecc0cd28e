import { readFile, stat } from 'node:fs/promises'
import type { RawInputs } from '../config/inputs.js'

/** A bad command line: one line on stderr, exit status 2. */
export class UsageError extends Error {}

export type Command = 'run' | 'start' | 'push' | 'help'

/** Where the secrets come from when no file is named: never the command line, which `ps` shows. */
export const SECRET_KEY_ENV = 'NIX_BUILDTIME_CACHE_SECRET_KEY'
export const AUTH_HEADER_ENV = 'NIX_BUILDTIME_CACHE_AUTH_HEADER'
export const AUTH_TOKEN_ENV = 'NIX_BUILDTIME_CACHE_AUTH_TOKEN'

/**
 * `value`: `--name VALUE`; `list`: the same, repeatable, values joined by newlines (which every
 * list input accepts as a separator); `flag`: `--name` / `--no-name`.
 */
type OptionKind = 'value' | 'list' | 'flag'

export interface InputOption {
  input: string
  kind: OptionKind
  /** As in action.yml, except `cache`, which has no default outside GitHub. */
  default: string
  meta: string
  help: string
}

/** The action's inputs that are command-line options, in the order `--help` lists them. */
export const INPUT_OPTIONS: readonly InputOption[] = [
  { input: 'cache', kind: 'value', default: '', meta: 'URI', help: 'file:///dir, http(s)://host/path, s3://bucket?region=…, attic+https://host/cache, cachix://name, niks3+https://host, or a Nix store URI (ssh-ng://host, pushed with nix copy). Required.' },
  { input: 'installables', kind: 'list', default: '', meta: 'INSTALLABLE', help: 'Flake ref, .drv or output path whose build-time closure may be pushed (repeatable). Default: the derivations instantiated meanwhile.' },
  { input: 'public-keys', kind: 'list', default: '', meta: 'NAME:KEY', help: "A public key trusted for the cache, for pull-only runs (repeatable). The secret key's public half is always trusted." },
  { input: 'skip-signed-by', kind: 'list', default: 'cache.nixos.org-1', meta: 'NAME', help: 'Never push paths signed by this key name (repeatable; default cache.nixos.org-1; giving any replaces it).' },
  { input: 'exclude', kind: 'list', default: '', meta: 'REGEX', help: 'Never push store paths matching this JavaScript regular expression (repeatable).' },
  { input: 'include-derivations', kind: 'flag', default: 'false', meta: '', help: 'Push .drv files too.' },
  { input: 'push-pre-existing', kind: 'flag', default: 'false', meta: '', help: 'Also push closure paths that were in the store before, where the cache lacks them.' },
  { input: 'dry-run', kind: 'flag', default: 'false', meta: '', help: 'Select and report, upload nothing.' },
  { input: 'compression', kind: 'value', default: '', meta: 'zstd|xz|none', help: "NAR compression (default: an s3:// URI's compression=, else zstd)." },
  { input: 'parallelism', kind: 'value', default: '8', meta: 'N', help: 'Paths compressed and uploaded at once, 1-64 (default 8).' },
  { input: 'netrc-file', kind: 'value', default: '', meta: 'FILE', help: 'Credentials for an http(s) cache (default: $NETRC, else ~/.netrc).' },
  { input: 'pull', kind: 'flag', default: 'true', meta: '', help: 'Do not make the cache a substituter for the command (or later ones, after start): only push.' },
  { input: 'push-during-build', kind: 'flag', default: 'true', meta: '', help: 'Do not publish from a background agent while the command (or the build after start) runs: push everything at the end.' },
  { input: 'strict', kind: 'flag', default: 'false', meta: '', help: 'Push trouble fails (exit 1) instead of being a warning.' }
]

/** The action's inputs that are not options, and why. */
export const NOT_OPTIONS: Readonly<Record<string, string>> = {
  'secret-key': `a key on the command line is visible to every user of the machine; use --secret-key-file FILE or ${SECRET_KEY_ENV}`,
  'auth-header': `a credential on the command line is visible to every user of the machine; use --auth-header-file FILE or ${AUTH_HEADER_ENV}`,
  'auth-token': `a token on the command line is visible to every user of the machine; use --auth-token-file FILE or ${AUTH_TOKEN_ENV}`,
  'key-prefix': 'it only applies to the GitHub Actions cache, which only the GitHub Action writes',
  'max-size': 'it only applies to the GitHub Actions cache, which only the GitHub Action writes',
  'substituter-port': 'it only applies to the GitHub Actions cache, which only the GitHub Action reads',
  gc: 'the GC is a command of its own: nix-buildtime-cache gc --cache URI [options] (see gc --help)'
}

/** What start hands to push, so that push needs no options again. Never holds a secret itself. */
export interface SavedOptions {
  /** Values of the input options given, by input name; list values joined by newlines. */
  given: Record<string, string>
  secretKeyFile?: string
  authHeaderFile?: string
  authTokenFile?: string
}

export interface CliArgs extends SavedOptions {
  command: Command
  stateDir?: string
  summaryFile?: string
  dotenvFile?: string
  json: boolean
  /** `run`'s command and its arguments. */
  argv: string[]
}

const COMMANDS: readonly Command[] = ['run', 'start', 'push']
const byName = new Map(INPUT_OPTIONS.map((o) => [o.input, o]))

function flagValue(option: string, inline: string | undefined, negated: boolean): string {
  if (inline === undefined) return String(!negated)
  if (!negated && (inline === 'true' || inline === 'false')) return inline
  throw new UsageError(`${option} takes no value (or =true / =false)`)
}

/** Parses `<command> [options] [-- command args…]`; throws UsageError naming the bad option. */
export function parseArgs(args: readonly string[]): CliArgs {
  const [command, ...rest] = args
  const result: CliArgs = { command: 'help', given: {}, json: false, argv: [] }
  if (command === '-h' || command === '--help' || command === 'help') return result
  if (command === undefined) throw new UsageError('give a command: run, start, push or gc (see --help)')
  if (!(COMMANDS as readonly string[]).includes(command)) {
    throw new UsageError(`unknown command '${command}'; expected run, start, push or gc (see --help)`)
  }
  result.command = command as Command
  const lists = new Map<string, string[]>()
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string
    if (arg === '--') {
      result.argv = rest.slice(i + 1)
      break
    }
    if (arg === '-h' || arg === '--help') return { ...result, command: 'help' }
    if (!arg.startsWith('-') && command === 'run') {
      result.argv = rest.slice(i)
      break
    }
    // Only the name is ever echoed: a value may be a credential typed in the wrong place.
    const eq = arg.indexOf('=')
    const option = eq > 0 ? arg.slice(0, eq) : arg
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined
    if (!option.startsWith('--')) throw new UsageError(arg.startsWith('-') ? `unknown option '${option}' (see --help)` : `unexpected argument '${arg}'`)
    const name = option.slice(2)
    const value = (): string => {
      if (inline !== undefined) return inline
      const v = rest[++i]
      if (v === undefined) throw new UsageError(`${option} needs a value`)
      // `--cache --json`: the next word is an option, not the value the user forgot. A value that
      // really starts with `--` can still be given inline (`--exclude=--x`).
      if (v.startsWith('--')) throw new UsageError(`${option}: missing value (the next argument, ${v.split('=')[0]}, is an option; write ${option}=VALUE for a value starting with --)`)
      return v
    }
    const negated = name.startsWith('no-') && byName.get(name.slice(3))?.kind === 'flag'
    const input = byName.get(negated ? name.slice(3) : name)
    if (input?.kind === 'flag') result.given[input.input] = flagValue(option, inline, negated)
    else if (input?.kind === 'list') lists.set(input.input, [...(lists.get(input.input) ?? []), value()])
    else if (input) result.given[input.input] = value()
    else if (name in NOT_OPTIONS) throw new UsageError(`${option} is not an option: ${NOT_OPTIONS[name]}`)
    else if (name === 'secret-key-file') result.secretKeyFile = value()
    else if (name === 'auth-header-file') result.authHeaderFile = value()
    else if (name === 'auth-token-file') result.authTokenFile = value()
    else if (name === 'state-dir') result.stateDir = value()
    else if (name === 'summary' && command !== 'start') result.summaryFile = value()
    // Not --env-file: Node takes that one for itself wherever it appears on the command line.
    else if (name === 'dotenv' && command === 'start') result.dotenvFile = value()
    else if (name === 'json') result.json = flagValue(option, inline, false) === 'true'
    else if (name === 'summary' || name === 'dotenv') throw new UsageError(`${option} is not an option of ${command}`)
    else throw new UsageError(`unknown option '${option}' (see --help)`)
  }
  for (const [name, values] of lists) result.given[name] = values.join('\n')
  if (command === 'run' && result.argv.length === 0) {
    throw new UsageError('run needs the command to run after --, for example: run --cache file:///srv/cache -- nix build .#app')
  }
  if (command !== 'run' && result.argv.length > 0) throw new UsageError(`unexpected argument '${result.argv[0]}'`)
  return result
}

/** The option (or variable) a user gives an input through, for messages about its value. */
export function optionLabel(input: string): string {
  if (input === 'secret-key') return `--secret-key-file (or ${SECRET_KEY_ENV})`
  if (input === 'auth-header') return `--auth-header-file (or ${AUTH_HEADER_ENV})`
  if (input === 'auth-token') return `--auth-token-file (or ${AUTH_TOKEN_ENV})`
  return `--${input}`
}

/**
 * As ssh says of a private key others can read, but a warning rather than a refusal: the key is
 * already exposed, and refusing it would only cost the job its cache.
 */
export function exposedSecretWarning(option: string, file: string, mode: number): string | undefined {
  if ((mode & 0o077) === 0) return undefined
  const octal = (mode & 0o777).toString(8).padStart(4, '0')
  return `${option}: ${file} is readable by ${mode & 0o007 ? 'other users' : 'its group'} (mode ${octal}); it is used, but it should be private to you: chmod 600 ${file}`
}

async function secretFrom(option: string, file: string | undefined, envName: string, env: NodeJS.ProcessEnv, warn: (m: string) => void): Promise<string> {
  if (file === undefined) return (env[envName] ?? '').trim()
  try {
    const text = (await readFile(file, 'utf8')).trim()
    const exposed = exposedSecretWarning(option, file, (await stat(file)).mode)
    if (exposed) warn(exposed)
    return text
  } catch (e) {
    throw new UsageError(`${option}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`)
  }
}

/**
 * The inputs as the engine's parser reads them: the options given, else the action's defaults;
 * the secrets from their files or variables.
 */
export async function rawInputs(opts: SavedOptions, env: NodeJS.ProcessEnv = process.env, warn: (m: string) => void = () => undefined): Promise<RawInputs> {
  const secretKey = await secretFrom('--secret-key-file', opts.secretKeyFile, SECRET_KEY_ENV, env, warn)
  const authHeader = await secretFrom('--auth-header-file', opts.authHeaderFile, AUTH_HEADER_ENV, env, warn)
  const authToken = await secretFrom('--auth-token-file', opts.authTokenFile, AUTH_TOKEN_ENV, env, warn)
  return (name) => {
    if (name === 'secret-key') return secretKey
    if (name === 'auth-header') return authHeader
    if (name === 'auth-token') return authToken
    return opts.given[name] ?? byName.get(name)?.default ?? ''
  }
}
