import { writeFile } from 'node:fs/promises'
import { InputError, parseCache } from '../config/inputs.js'
import { collectableCache, NotCollectable } from '../executors/index.js'
import { parseGcOptions } from '../gc/options.js'
import { collectGarbage, GcStopped } from '../gc/run.js'
import { gcLines, gcMarkdown } from '../gc/summary.js'
import { UsageError } from './options.js'
import { GcUsageError, parseGcArgs, type GcArgs } from '../gc/args.js'

/** `nix-buildtime-cache gc --cache URI [options]`: the retention GC (docs/gc.md). */

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
    if (e instanceof UsageError || e instanceof GcUsageError) say(e.message)
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
