import { AsyncLocalStorage } from 'node:async_hooks'
import { EOL } from 'node:os'

/**
 * @actions/cache reports every failure by logging it (warnings, errors, debug lines) and returning
 * "no hit" or -1, so the only record of *why* a call failed is what it wrote to stdout. This runs
 * a call with its output diverted into a buffer, so that the caller can classify the failure and
 * decide itself what the user sees (one warning, not one per library log line).
 *
 * The diversion is per async context, so parallel calls each get their own lines and anything
 * else the action logs meanwhile is untouched. Masks (`::add-mask::`) and debug lines are still
 * written through at once: the runner must see masks before any later output, and debug lines
 * are only shown when the user asked for them.
 */

const sink = new AsyncLocalStorage<string[]>()
/** When the calls of an async context last wrote anything (see `watchActivity`). */
const activity = new AsyncLocalStorage<{ at: number }>()

type Write = (chunk: unknown, ...rest: unknown[]) => boolean
/** Our diversion, recognised so that it is installed once, and again if something replaced it. */
let diversion: Write | undefined

function install(): void {
  const stdout = process.stdout as unknown as { write: Write }
  if (diversion !== undefined && stdout.write === diversion) return
  const original: Write = stdout.write.bind(process.stdout)
  diversion = stdout.write = (chunk: unknown, ...rest: unknown[]): boolean => {
    const seen = activity.getStore()
    if (seen) seen.at = Date.now()
    const lines = sink.getStore()
    if (!lines) return original(chunk, ...rest)
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8')
    const through: string[] = []
    for (const line of text.split(/\r?\n/)) {
      if (line === '') continue
      lines.push(line)
      if (line.startsWith('::add-mask::') || line.startsWith('::debug::')) through.push(line)
    }
    if (through.length > 0) original(through.join(EOL) + EOL)
    const callback = rest.find((r): r is () => void => typeof r === 'function')
    callback?.()
    return true
  }
}

export interface Captured<T> {
  /** Set when fn resolved. */
  value?: T
  /** Set when fn threw. */
  error?: unknown
  threw: boolean
  lines: string[]
}

export async function captureOutput<T>(fn: () => Promise<T>): Promise<Captured<T>> {
  install()
  const lines: string[] = []
  try {
    const value = await sink.run(lines, fn)
    return { value, threw: false, lines }
  } catch (error) {
    return { error, threw: true, lines }
  }
}

/**
 * Runs `fn` with `record.at` set to the time of its last output: @actions/cache logs its transfer
 * progress every second, so output is how a caller tells a slow transfer from a hung one.
 */
export function watchActivity<T>(record: { at: number }, fn: () => Promise<T>): Promise<T> {
  install()
  return activity.run(record, fn)
}
