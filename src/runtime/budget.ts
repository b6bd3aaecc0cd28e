import { seconds } from './units.js'
import { timings, type Timings } from './timings.js'
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { dirname } from 'node:path'

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
 * the processes of a job it is carried in the job directory (`JobBudgetFile`).
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

  /**
   * Trouble time spent by a wait that ended without ending in a success, counted at once: the
   * agent's front (pull/front.ts) giving a dead cache up after its idle timeout. A spell kept open
   * until the next success would instead charge the whole build to a cache that recovered.
   */
  charge(ms: number, message?: string): void {
    if (this.troubleSince === undefined && this.firstTrouble === undefined) this.firstTrouble = message
    this.spentMs += Math.max(0, ms)
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


/**
 * The job's budget on disk, as one process holds it. Every process of a job (the action's steps,
 * the command-line tool's start, push or run, and their background agent) reads it from the job
 * directory and hands on what it spent. Processes of a job overlap (the agent runs alongside the
 * main step, and saves as it stops), so a save adds what this process spent since it read or
 * last saved to what is on disk, instead of writing its total over another's. The command-line
 * tool's state directory outlives its jobs, so a new job names itself in the file: a process of
 * an earlier job (an agent a later `start` stops) then adds nothing to it.
 */
export class JobBudgetFile {
  private job: string | undefined
  /** What the budget this process read had spent by then (or by its last save): already on disk. */
  private handedOnMs = 0
  private handedOnTripped = false

  constructor(readonly path: string) {}

  /** Begins a new job's budget, with nothing spent. */
  startNewJob(): void {
    try {
      this.write({ job: randomBytes(6).toString('hex'), spentMs: 0 })
    } catch {
      // Not writable: at least the earlier job's budget must not carry over.
      try {
        rmSync(this.path, { force: true })
      } catch {
        // Nor removable: the directory is not ours to fix.
      }
    }
  }

  load(t: Timings = timings()): JobBudget {
    const persisted = this.read()
    this.job = persisted.job
    const budget = new JobBudget({ budgetMs: t.jobBudgetMs, breakerThreshold: t.breakerThreshold, spentMs: persisted.spentMs, tripped: persisted.tripped })
    this.handedOnMs = budget.spent()
    return budget
  }

  /** Whether `budget` has spent time, or tripped, since it was loaded or last saved. */
  behind(budget: JobBudget): boolean {
    return budget.spent() > this.handedOnMs || (budget.tripped !== undefined && !this.handedOnTripped)
  }

  /** Hands what `budget` spent since it was loaded to the job's other processes. Never throws: losing it only loosens the bound. */
  save(budget: JobBudget): void {
    try {
      const onDisk = this.read()
      // A later job has begun afresh: the one this process spent for is over.
      if (onDisk.job !== this.job) return
      const mine = budget.toJSON()
      const next: BudgetFileContent = { spentMs: onDisk.spentMs + Math.max(0, mine.spentMs - this.handedOnMs) }
      if (this.job !== undefined) next.job = this.job
      const tripped = onDisk.tripped ?? mine.tripped
      if (tripped !== undefined) next.tripped = tripped
      this.write(next)
      this.handedOnMs = mine.spentMs
      this.handedOnTripped = mine.tripped !== undefined
    } catch {
      // Read-only or full: the job's later processes start with a fresh budget.
    }
  }

  private read(): BudgetFileContent {
    let raw: Partial<Record<keyof BudgetFileContent, unknown>> = {}
    try {
      raw = JSON.parse(readFileSync(this.path, 'utf8')) as typeof raw
    } catch {
      // No file yet (the job's first process) or an unreadable one: nothing spent.
    }
    const content: BudgetFileContent = { spentMs: typeof raw.spentMs === 'number' ? raw.spentMs : 0 }
    if (typeof raw.tripped === 'string') content.tripped = raw.tripped
    if (typeof raw.job === 'string') content.job = raw.job
    return content
  }

  /** Renamed into place, so that a process reading it at the same time never sees half of it. */
  private write(content: BudgetFileContent): void {
    mkdirSync(dirname(this.path), { recursive: true })
    const tmp = `${this.path}.${process.pid}.tmp`
    writeFileSync(tmp, JSON.stringify(content))
    renameSync(tmp, this.path)
  }
}

interface BudgetFileContent extends Persisted {
  /** Set by the job that began the file afresh (`startNewJob`). */
  job?: string
}

/** The job's budget in a file, as a later process of the job would read it. */
export function loadJobBudget(file: string, t: Timings = timings()): JobBudget {
  return new JobBudgetFile(file).load(t)
}

let jobFile: JobBudgetFile | undefined
let current: JobBudget | undefined

/**
 * While a cache is failing, what it costs reaches the job's file this often, not only when the
 * process ends: a process killed mid-request (the agent at the post step's stop wait, a CLI agent
 * whose script was killed) then gives the job back at most this much of its budget.
 */
export const KEEP_SPENT_EVERY_MS = 1_000
let keeper: NodeJS.Timeout | undefined

function keepSpent(): void {
  keeper ??= setInterval(() => {
    if (jobFile && current && jobFile.behind(current)) jobFile.save(current)
  }, KEEP_SPENT_EVERY_MS)
  // Never what keeps a process up.
  keeper.unref()
}

/**
 * Makes this process's budget its job's, kept in `file` (the job directory's, runtime/job-dir.ts);
 * `newJob` begins it afresh. It is read at the first `jobBudget()`, not here: a post step must
 * see what the agent saved as it stopped. Without it a process's budget is its own.
 */
export function openJobBudget(file: string, opts: { newJob?: boolean } = {}): void {
  jobFile = new JobBudgetFile(file)
  current = undefined
  if (opts.newJob) jobFile.startNewJob()
}

/** The process's budget: the job's, read the first time it is asked for. */
export function jobBudget(): JobBudget {
  if (!current) {
    const t = timings()
    current = jobFile ? jobFile.load(t) : new JobBudget({ budgetMs: t.jobBudgetMs, breakerThreshold: t.breakerThreshold })
    if (jobFile) keepSpent()
  }
  return current
}

/** Hands what this process spent to the job's other processes (at its end; the agent also as it stops publishing). */
export function saveJobBudget(): void {
  if (jobFile && current) jobFile.save(current)
}

/** A cache call was abandoned while still running: its sockets would keep the process up until the library gives up. */
export function abandonedWork(): boolean {
  return current?.abandonedWork ?? false
}
