import { InputError, parseCache } from '../config/inputs.js'
import { collectableCache, NotCollectable } from '../executors/index.js'
import { GcUsageError, parseGcArgs } from '../gc/args.js'
import { parseGcOptions } from '../gc/options.js'
import { collectGarbage, GcStopped } from '../gc/run.js'
import { gcLines, gcMarkdown } from '../gc/summary.js'
import { host, log, setHost, type Host } from '../runtime/host.js'

/**
 * The action with a `gc` input (a scheduled workflow): the retention GC of the `cache` input's
 * cache, with the `gc` input's options (those of `nix-buildtime-cache gc`), instead of a job.
 */

/** Whether this step collects rather than runs a job. */
export const gcAsked = (input: (name: string) => string): boolean => input('gc').trim() !== ''

/** Runs the GC when the `gc` input asks for it; false when it does not. Bad inputs throw InputError. */
export async function collectIfAsked(processHost: Host, input: (name: string) => string): Promise<boolean> {
  if (!gcAsked(input)) return false
  setHost(processHost)
  // Options split at white space, never by a shell: a pin with a space in it says \s.
  const words = input('gc').trim().split(/\s+/)
  let args
  let options
  try {
    args = parseGcArgs(words, { cacheOption: false })
    if (args === 'help') throw new GcUsageError('--help is not an option here')
    options = parseGcOptions(args.options)
  } catch (e) {
    if (e instanceof GcUsageError) throw new InputError('gc', `${e.message}; expected options of nix-buildtime-cache gc, such as '--keep-days 30 --max-size 50G'`)
    if (e instanceof InputError) throw new InputError('gc', `--${e.message.replace(/^Input '([^']*)': /, '$1: ')}`)
    throw e
  }
  let cache
  try {
    cache = await collectableCache(parseCache(input('cache')))
  } catch (e) {
    if (e instanceof NotCollectable) throw new InputError('cache', e.message)
    throw e
  }
  try {
    const result = await collectGarbage(cache, options)
    for (const line of gcLines(result)) log.info(line)
    await host().writeSummary(gcMarkdown(result))
  } catch (e) {
    if (e instanceof GcStopped) host().fail(`gc stopped: ${e.message}`)
    else throw e
  } finally {
    cache.close?.()
  }
  return true
}
