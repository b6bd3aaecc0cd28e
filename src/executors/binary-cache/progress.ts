import { log } from '../../runtime/host.js'
import { formatBytes } from '../../runtime/units.js'

/** How often a long upload says how far it has got. */
export const PROGRESS_INTERVAL_MS = 10_000

/**
 * Progress lines for long uploads, so a job that spends minutes pushing does not look hung.
 * Nothing is printed for uploads shorter than one interval; the lines go into one log group.
 */
export class UploadProgress {
  /** NAR byte counters of the NARs being written now (the writer's meters). */
  readonly inflight = new Set<{ readonly bytes: number }>()
  private done = 0
  private doneBytes = 0
  private grouped = false
  private timer: NodeJS.Timeout | undefined
  private readonly startedAt = Date.now()

  constructor(
    private readonly total: number,
    private readonly totalBytes: number,
    private readonly where: string,
    private readonly intervalMs = PROGRESS_INTERVAL_MS
  ) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), this.intervalMs)
    // Progress must never keep a process alive.
    this.timer.unref()
  }

  /** One path finished, pushed or not: its NAR was read either way. */
  finished(narSize: number): void {
    this.done++
    this.doneBytes += narSize
  }

  private line(): string {
    let bytes = this.doneBytes
    for (const m of this.inflight) bytes += m.bytes
    const seconds = (Date.now() - this.startedAt) / 1000
    const rate = seconds > 0 ? `${formatBytes(Math.round(bytes / seconds))}/s` : '-'
    return (
      `${this.done}/${this.total} paths, ${formatBytes(bytes)} of ${formatBytes(this.totalBytes)} of NARs read ` +
      `(${rate}), ${Math.round(seconds)} s`
    )
  }

  private tick(): void {
    if (!this.grouped) {
      log.startGroup(`Uploading ${this.total} paths to ${this.where}`)
      this.grouped = true
    }
    log.info(this.line())
  }

  stop(): void {
    clearInterval(this.timer)
    if (!this.grouped) return
    log.info(`done: ${this.line()}`)
    log.endGroup()
  }
}
