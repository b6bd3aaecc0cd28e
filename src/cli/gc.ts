import { writeFile } from 'node:fs/promises'
import { InputError, parseCache } from '../config/inputs.js'
import { collectableCache, NotCollectable } from '../executors/index.js'
import { parseGcOptions, type GcOptionText } from '../gc/options.js'
import { collectGarbage, GcStopped } from '../gc/run.js'
import { gcLines, gcMarkdown } from '../gc/summary.js'
import { UsageError } from './options.js'

/** `nix-buildtime-cache gc --cache URI [options]`: the retention GC (docs/gc.md). */

export interface GcArgs {
  cache: string
  options: GcOptionText
  json: boolean
  summaryFile?: string
}

const VALUE_OPTIONS = new Set(['keep-days', 'keep-jobs', 'max-size', 'grace'])

export function parseGcArgs(args: readonly string[]): GcArgs | 'help' {
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
      if (v === undefined) throw new UsageError(`${option} needs a value`)
      return v
    }
    const flag = (): boolean => {
      if (inline === undefined || inline === 'true') return true
      if (inline === 'false') return false
      throw new UsageError(`${option} takes no value (or =true / =false)`)
    }
    const name = option.slice(2)
    if (!option.startsWith('--')) throw new UsageError(`unexpected argument '${arg}' (see gc --help)`)
    if (name === 'cache') cache = value()
    else if (VALUE_OPTIONS.has(name)) (options as Record<string, string>)[name] = value()
    else if (name === 'pin') pins.push(value())
    else if (name === 'dry-run') options['dry-run'] = flag()
    else if (name === 'force') options.force = flag()
    else if (name === 'json') json = flag()
    else if (name === 'summary') summaryFile = value()
    else throw new UsageError(`unknown option '${option}' of gc (see gc --help)`)
  }
  if (cache === undefined) throw new UsageError('gc needs --cache URI (a file:///dir or s3://bucket?… cache)')
  if (pins.length > 0) options.pin = pins
  return { cache, options, json, summaryFile }
}

export function gcHelp(): string {
  return `Usage: nix-buildtime-cache gc --cache URI [options]
  Deletes from a file:// or s3:// cache what no recent job pushed or used, keeping whole closures.
  --keep-days N          keep what a job within the last N days pushed or used (30 when neither this nor --keep-jobs is given)
  --keep-jobs N          keep what the last N job records pushed or used
  --max-size SIZE        evict least-recently-used closures further, until the cache is at most SIZE (e.g. 50G)
  --pin REGEX            always keep store paths matching this JavaScript regular expression (repeatable)
  --grace DURATION       delete nothing modified more recently than this (default 7d; 0s collects everything at once)
  --dry-run              write nothing to the cache; report what would go
  --force                skip damaged job records instead of stopping
  --json                 print the result as one line of JSON, the last on stdout
  --summary FILE         write the Markdown summary to FILE
  See docs/gc.md.
`
}

/** Runs gc; resolves to the exit status (2: bad usage; 1: the GC stopped or failed). */
export async function gcCommand(args: readonly string[], say: (line: string) => void): Promise<number> {
  let parsed: GcArgs | 'help'
  let cache
  let options
  try {
    parsed = parseGcArgs(args)
    if (parsed === 'help') {
      process.stdout.write(gcHelp())
      return 0
    }
    cache = parseCache(parsed.cache)
    options = parseGcOptions(parsed.options)
  } catch (e) {
    if (e instanceof UsageError) say(e.message)
    else if (e instanceof InputError) say(`--${e.input}: ${e.message.replace(/^Input '[^']*': /, '')}`)
    else throw e
    return 2
  }
  let target
  try {
    target = await collectableCache(cache)
  } catch (e) {
    if (!(e instanceof NotCollectable)) throw e
    say(`--cache: ${e.message}`)
    return 2
  }
  try {
    const result = await collectGarbage(target, options)
    for (const line of gcLines(result)) process.stderr.write(`${line}\n`)
    if (parsed.summaryFile) await writeFile(parsed.summaryFile, gcMarkdown(result))
    if (parsed.json) process.stdout.write(`${JSON.stringify({ status: 0, ...result })}\n`)
    return 0
  } catch (e) {
    if (!(e instanceof GcStopped)) throw e
    say(`gc stopped: ${e.message}`)
    if (parsed.json) process.stdout.write(`${JSON.stringify({ status: 1, error: e.message })}\n`)
    return 1
  } finally {
    target.close?.()
  }
}
