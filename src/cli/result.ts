import type { FinishedJob } from '../job/job.js'
import { SKIP_REASONS, type SkipReason } from '../plan/selection.js'
import { formatBytes } from '../runtime/units.js'
import { emptyOutcome, pushedByJob, selectedByJob, type Pushed, type PushMode } from '../plan/result.js'
import { isAtticUri } from '../config/attic-uri.js'
import { isCachixUri } from '../config/cachix-uri.js'
import { isNiks3Uri } from '../config/niks3-uri.js'

/** What `--json` prints: one line, the last on stdout. */
export interface CliResult {
  /** The exit status of nix-buildtime-cache itself. */
  status: number
  /** `run`: the exit status of the command. */
  commandStatus?: number
  cache: string
  /** `none` when there was nothing to compare with (start did not run, or the snapshot failed). */
  mode: PushMode | 'none'
  /** Whether pushing went without trouble (no failure, nothing vanished, no error). */
  ok: boolean
  pushed: Pushed[]
  /** Paths selected for upload: what a dry run would push. */
  selected: string[]
  skipped: Record<SkipReason, string[]>
  failed: Array<{ path: string; reason: string }>
  vanished: string[]
  /** Not pushed because current Nix could not substitute them (nested too deep), with why. */
  unsubstitutable: Array<{ path: string; reason: string }>
  /** The action's outputs: pushed-count, pushed-bytes, nar-bytes, skipped-count, paths-file. */
  outputs: Record<string, string | number>
  seconds: number
}

export function cliResult(opts: {
  cache: string
  finished: FinishedJob | undefined
  outputs: Record<string, string | number>
  trouble: boolean
  status: number
  commandStatus?: number
  seconds: number
}): CliResult {
  const r = opts.finished?.result
  const outcome = r?.outcome ?? emptyOutcome()
  const skipped = Object.fromEntries(SKIP_REASONS.map((reason) => [reason, r?.selection.skipped[reason] ?? []])) as Record<SkipReason, string[]>
  return {
    status: opts.status,
    ...(opts.commandStatus === undefined ? {} : { commandStatus: opts.commandStatus }),
    cache: opts.cache,
    mode: r?.mode ?? 'none',
    ok: !opts.trouble && r !== undefined && outcome.failed.length === 0 && outcome.vanished.length === 0,
    pushed: r ? pushedByJob(r) : [],
    selected: r ? selectedByJob(r) : [],
    skipped,
    failed: outcome.failed,
    vanished: outcome.vanished,
    unsubstitutable: outcome.unsubstitutable ?? [],
    outputs: opts.outputs,
    seconds: Math.round(opts.seconds * 10) / 10
  }
}

/** A cache server that signs for itself, whose token (not a signing key) lets a job push. */
const signsItself = (cache: string): boolean => isAtticUri(cache) || isCachixUri(cache) || isNiks3Uri(cache)

/** The short report on stderr: what was pushed, what not and why, bytes, time. */
export function reportLines(r: CliResult): string[] {
  const nar = r.pushed.reduce((a, p) => a + p.narSize, 0)
  const file = r.pushed.reduce((a, p) => a + p.fileSize, 0)
  const plural = (n: number): string => `${n} path${n === 1 ? '' : 's'}`
  const head =
    r.mode === 'push'
      ? `pushed ${plural(r.pushed.length)} (${formatBytes(file)} compressed, ${formatBytes(nar)} NAR)`
      : r.mode === 'dry-run'
        ? `dry run: would push ${plural(r.selected.length)}`
        : r.mode === 'pull-only'
          ? `pushed nothing (${signsItself(r.cache) ? 'no auth token' : 'no secret key'}: pull-only); ${plural(r.selected.length)} selected`
          : 'pushed nothing'
  const lines = [`nix-buildtime-cache: ${head} to ${r.cache} in ${r.seconds.toFixed(1)} s.`]
  const skipped = SKIP_REASONS.filter((reason) => r.skipped[reason].length > 0).map((reason) => `${reason} ${r.skipped[reason].length}`)
  if (skipped.length > 0) lines.push(`nix-buildtime-cache: not pushed: ${skipped.join(', ')}.`)
  if (r.failed.length + r.vanished.length > 0) lines.push(`nix-buildtime-cache: ${r.failed.length} failed, ${r.vanished.length} vanished.`)
  return lines
}
