import { seconds } from './units.js'
import { timings, type Timings } from './timings.js'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** How a request failed, for the breaker: only failures of one kind in a row open it. */
export type FailureKind = 'timeout' | 'connection' | 'server-error' | 'refused'

const KIND_TEXT: Record<FailureKind, string> = {
  timeout: 'timed out',
  connection: 'could not connect',
  'server-error': 'failed on the server',
  refused: 'were refused'
}

/** The cache is not asked again in this job: the breaker is open or the job's budget is spent. */
export class CacheUnavailableError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CacheUnavailableError'
  }
}

/** What survives from one step (process) to the next. */
interface Persisted {
  spentMs: number
  tripped?: string
}

export interface BudgetOptions {
  budgetMs: number
  breakerThreshold: number
  now?: () => number
  /** Trouble time already spent by earlier steps of the job. */
  spentMs?: number
  /** Why an earlier step opened the breaker. */
  tripped?: string
}

/**
 * The job-wide budget and circuit breaker shared by every cache client (HTTP, S3, the GitHub
 * Actions cache service). Trouble time runs from a failed attempt's last sign of life until the
 * next success, so parallel requests failing together are counted once, and a slow cache that
 * still answers costs nothing. Within one process it is shared through `jobBudget()`; between
 * the steps of a job it is carried in a small file under RUNNER_TEMP (`loadJobBudget` at start,
 * `saveJobBudget` at the end). Steps run one after another, so last-writer-wins is enough; a
 * background agent (issue 12) saves before the post step loads.
 */
export class JobBudget {
  private spentMs: number
  private troubleSince: number | undefined
  /** Failures in a row, per channel (say, narinfo PUTs): a cache refusing narinfos while taking NARs still trips. */
  private readonly streaks = new Map<string, { kind: FailureKind; count: number; first: string }>()
  /** The first failure of the current trouble spell, to say what went wrong when the budget runs out. */
  private firstTrouble: string | undefined
  private trippedReason: string | undefined
  private readonly now: () => number
  /** A call was abandoned while still running (the GitHub Actions cache library): the process must exit by itself. */
  abandonedWork = false

  constructor(private readonly opts: BudgetOptions) {
    this.now = opts.now ?? Date.now
    this.spentMs = opts.spentMs ?? 0
    this.trippedReason = opts.tripped
  }

  /** Why the cache is no longer asked, or undefined while it still is. */
  get tripped(): string | undefined {
    this.expire()
    return this.trippedReason
  }

  private expire(): void {
    if (this.trippedReason === undefined && this.remainingMs() <= 0) {
      this.trippedReason = `the cache kept failing for ${seconds(this.opts.budgetMs)} in this job${this.firstTrouble ? ` (first: ${this.firstTrouble})` : ''}`
    }
  }

  /** Trouble time spent so far in the job, including a trouble spell still running. */
  spent(): number {
    return this.spentMs + (this.troubleSince === undefined ? 0 : Math.max(0, this.now() - this.troubleSince))
  }

  remainingMs(): number {
    return Math.max(0, this.opts.budgetMs - this.spent())
  }

  /**
   * The latest time an attempt starting now may run, or undefined while the cache is healthy: a
   * long upload to a cache that answers is never cut short by the budget, only by its idle timeout.
   */
  deadline(): number | undefined {
    return this.troubleSince === undefined ? undefined : this.now() + this.remainingMs()
  }

  /** Throws when the cache must not be asked again. Call before every attempt. */
  check(): void {
    this.expire()
    if (this.trippedReason !== undefined) throw new CacheUnavailableError(`${this.trippedReason}; not asking it again in this job`)
  }

  /** An attempt failed; its trouble began at `since` (its start, or its last progress). */
  attemptFailed(since: number, message?: string): void {
    if (this.troubleSince === undefined) this.firstTrouble = message
    this.troubleSince = Math.min(this.troubleSince ?? since, since)
  }

  /** A request failed for good (after its retries). `channel` groups requests of one sort, e.g. `PUT narinfo`. */
  requestFailed(kind: FailureKind, message: string, channel = ''): void {
    let streak = this.streaks.get(channel)
    if (streak?.kind === kind) streak.count++
    else this.streaks.set(channel, (streak = { kind, count: 1, first: message }))
    if (this.trippedReason === undefined && streak.count >= this.opts.breakerThreshold) {
      this.trippedReason = `${streak.count} requests in a row ${KIND_TEXT[kind]} (first: ${streak.first})`
    }
  }

  /** A request succeeded: the trouble spell (if any) ends, and so does its channel's failure streak. */
  succeeded(channel = ''): void {
    if (this.troubleSince !== undefined) {
      this.spentMs += Math.max(0, this.now() - this.troubleSince)
      this.troubleSince = undefined
      this.firstTrouble = undefined
    }
    this.streaks.delete(channel)
  }

  toJSON(): Persisted {
    const p: Persisted = { spentMs: this.spent() }
    if (this.trippedReason !== undefined) p.tripped = this.trippedReason
    return p
  }
}


/** Where the job's budget is carried between steps; undefined outside a runner (no RUNNER_TEMP). */
export function budgetFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.RUNNER_TEMP ? join(env.RUNNER_TEMP, 'nix-buildtime-cache', 'budget.json') : undefined
}

let current: JobBudget | undefined

/** The process's budget: loaded from the job's budget file the first time it is asked for. */
export function jobBudget(): JobBudget {
  current ??= loadJobBudget(budgetFile())
  return current
}

export function loadJobBudget(file: string | undefined, t: Timings = timings()): JobBudget {
  let persisted: Partial<Persisted> = {}
  if (file) {
    try {
      persisted = JSON.parse(readFileSync(file, 'utf8')) as Partial<Persisted>
    } catch {
      // No file yet (the first step of the job) or an unreadable one: start afresh.
    }
  }
  return new JobBudget({
    budgetMs: t.jobBudgetMs,
    breakerThreshold: t.breakerThreshold,
    spentMs: typeof persisted.spentMs === 'number' ? persisted.spentMs : 0,
    tripped: typeof persisted.tripped === 'string' ? persisted.tripped : undefined
  })
}

/** Hands what this step spent to the job's later steps. Never throws: losing it only loosens the bound. */
export function saveJobBudget(file: string | undefined = budgetFile()): void {
  if (!file || !current) return
  try {
    mkdirSync(join(file, '..'), { recursive: true })
    writeFileSync(file, JSON.stringify(current))
  } catch {
    // Read-only or full RUNNER_TEMP: the next step starts with a fresh budget.
  }
}

/**
 * The end of a step: hands the budget to the job's later steps, and ends the process when a call
 * was abandoned (its sockets would otherwise keep the step running until the library gives up).
 */
export function finishBudget(): void {
  saveJobBudget()
  if (current?.abandonedWork) process.exit()
}
