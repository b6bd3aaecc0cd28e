import { InputError, parseSize } from '../config/inputs.js'

/** What `gc` is asked to do (docs/gc.md). */
export interface GcOptions {
  /** Keep what a job within the last N days pushed or used. */
  keepDays?: number
  /** Keep what the last N jobs pushed or used. */
  keepJobs?: number
  /** Evict least-recently-used closures further, down to this many bytes. */
  maxSize?: number
  /** Store paths matching any of these are always kept. */
  pins: RegExp[]
  /** Nothing modified more recently than this is deleted. */
  graceMs: number
  dryRun: boolean
  /** Skip damaged records (with a warning) instead of stopping. */
  force: boolean
}

/** Keeps what a job within this many days used when neither --keep-days nor --keep-jobs is given. */
export const DEFAULT_KEEP_DAYS = 30
/**
 * Longer than any CI job can run (hosted GitHub jobs: 6 hours; self-hosted: 5 days) plus its
 * post step: the concurrency protocol holds for jobs shorter than the grace (docs/gc.md).
 */
export const DEFAULT_GRACE = '7d'

const DURATION_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 }

/** `0s`, `90m`, `6h`, `7d`, `2w`. */
export function parseDuration(name: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d|w)$/.exec(text.trim())
  if (!m) throw new InputError(name, `expected a duration such as 0s, 90m, 6h, 7d or 2w, got '${text}'`)
  return Math.round(Number(m[1]) * (DURATION_UNITS[m[2] as string] as number))
}

function count(name: string, text: string): number {
  const n = Number(text)
  if (!/^\d+$/.test(text.trim()) || n < 1) throw new InputError(name, `expected a whole number of at least 1, got '${text}'`)
  return n
}

function pattern(text: string): RegExp {
  try {
    return new RegExp(text)
  } catch {
    throw new InputError('pin', `expected a JavaScript regular expression matched against store paths, got '${text}'`)
  }
}

/** The options as given by name (CLI options or the action's `gc` input), each value a string; lists repeat. */
export interface GcOptionText {
  'keep-days'?: string
  'keep-jobs'?: string
  'max-size'?: string
  pin?: readonly string[]
  grace?: string
  'dry-run'?: boolean
  force?: boolean
}

export function parseGcOptions(t: GcOptionText): GcOptions {
  const opts: GcOptions = {
    pins: (t.pin ?? []).map(pattern),
    graceMs: parseDuration('grace', t.grace ?? DEFAULT_GRACE),
    dryRun: t['dry-run'] ?? false,
    force: t.force ?? false
  }
  if (t['keep-days'] !== undefined) opts.keepDays = count('keep-days', t['keep-days'])
  if (t['keep-jobs'] !== undefined) opts.keepJobs = count('keep-jobs', t['keep-jobs'])
  if (opts.keepDays === undefined && opts.keepJobs === undefined) opts.keepDays = DEFAULT_KEEP_DAYS
  if (t['max-size'] !== undefined) opts.maxSize = parseSize('max-size', t['max-size'])
  return opts
}
