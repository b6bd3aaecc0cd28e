import type { GcOptionText } from './options.js'

/** A bad gc option (command line, or the action's `gc` input): one line, no stack. */
export class GcUsageError extends Error {}

export interface GcArgs {
  cache: string
  options: GcOptionText
  json: boolean
  summaryFile?: string
}

const VALUE_OPTIONS = new Set(['keep-days', 'keep-jobs', 'max-size', 'grace'])

/** `--cache` may be left out where the cache comes from elsewhere (the action's `cache` input): `cache` is then ''. */
export function parseGcArgs(args: readonly string[], opts: { cacheOption?: boolean } = {}): GcArgs | 'help' {
  let cache: string | undefined
  const options: GcOptionText = {}
  const pins: string[] = []
  let json = false
  let summaryFile: string | undefined
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    if (arg === '-h' || arg === '--help') return 'help'
    const eq = arg.indexOf('=')
    const option = eq > 0 ? arg.slice(0, eq) : arg
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined
    const value = (): string => {
      if (inline !== undefined) return inline
      const v = args[++i]
      if (v === undefined) throw new GcUsageError(`${option} needs a value`)
      return v
    }
    const flag = (): boolean => {
      if (inline === undefined || inline === 'true') return true
      if (inline === 'false') return false
      throw new GcUsageError(`${option} takes no value (or =true / =false)`)
    }
    const name = option.slice(2)
    if (!option.startsWith('--')) throw new GcUsageError(`unexpected argument '${arg}' (see nix-buildtime-cache gc --help)`)
    if (name === 'cache' && opts.cacheOption !== false) cache = value()
    else if (VALUE_OPTIONS.has(name)) (options as Record<string, string>)[name] = value()
    else if (name === 'pin') pins.push(value())
    else if (name === 'dry-run') options['dry-run'] = flag()
    else if (name === 'force') options.force = flag()
    else if (name === 'json') json = flag()
    else if (name === 'summary') summaryFile = value()
    else throw new GcUsageError(`unknown option '${option}' of gc (see nix-buildtime-cache gc --help)`)
  }
  if (cache === undefined && opts.cacheOption !== false) throw new GcUsageError('gc needs --cache URI (a file:///dir or s3://bucket?… cache)')
  if (pins.length > 0) options.pin = pins
  return { cache: cache ?? '', options, json, summaryFile }
}

