import { setTimeout as sleep } from 'node:timers/promises'
import { touchMayBeLost } from './gc-window.js'

/** What the settler asks of the cache (S3). */
export interface SettlerIO {
  /**
   * How long ago, by the cache's own clock, a GC last renewed its heartbeat (its answer's `Date`
   * less the heartbeat's `Last-Modified`); undefined when no GC has ever deleted. Throws when it
   * cannot tell.
   */
  heartbeatAge(): Promise<number | undefined>
  /** Whether `key` is there now, with no touch. Throws when it cannot tell. */
  exists(key: string): Promise<boolean>
}

interface Touch {
  /** When the touch was sent and answered, on the monotonic clock. */
  sent: number
  answered: number
}

/**
 * Remembers what this push touched (found and relied on), and before a narinfo names any of it,
 * makes sure a retention GC deleting at that moment did not take it after all (gc-window.ts).
 * Without a GC about, that costs one heartbeat check, shared by every caller that needs one.
 */
export class TouchSettler {
  private readonly touches = new Map<string, Touch>()
  /** Found gone after a touch, and not written since. */
  private readonly lost = new Set<string>()
  private readonly checks = new Map<string, Promise<boolean>>()
  private beat?: { sent: number; lastBeatAt: Promise<number | undefined> }

  private told = false

  constructor(
    private readonly io: SettlerIO,
    private readonly windowMs: number,
    private readonly now: () => number = () => performance.now(),
    /** Told once, the first time a check must wait out a GC's window, so a slower push says why. */
    private readonly onFirstWait: (windowMs: number) => void = () => undefined
  ) {}

  /** `key` was touched by a request sent at `sent`, answered just now. */
  touched(key: string, sent: number): void {
    this.touches.set(key, { sent, answered: this.now() })
    this.lost.delete(key)
  }

  /** `key` was written anew: a GC's check made before the write found nothing to delete. */
  written(key: string): void {
    this.touches.delete(key)
    this.lost.delete(key)
  }

  /** Those of `keys` this push touched and a GC then deleted; keys it never touched are not its to check. */
  async settle(keys: readonly string[]): Promise<Set<string>> {
    const gone = new Set(keys.filter((k) => this.lost.has(k)))
    const open = keys.filter((k) => this.touches.has(k))
    if (open.length === 0) return gone
    const lastBeatAt = await this.lastBeatAfter(Math.max(...open.map((k) => (this.touches.get(k) as Touch).sent)))
    await Promise.all(
      open.map(async (key) => {
        const touch = this.touches.get(key)
        if (touch === undefined) {
          if (this.lost.has(key)) gone.add(key)
          return
        }
        if (!touchMayBeLost(lastBeatAt, touch.sent, this.windowMs)) {
          this.touches.delete(key)
          return
        }
        if (!(await this.check(key, touch))) gone.add(key)
      })
    )
    return gone
  }

  /**
   * When the latest heartbeat was renewed (monotonic clock), read after `after`: one read serves
   * every caller whose touches it follows. Unknown (the read failed) counts as just now.
   */
  private lastBeatAfter(after: number): Promise<number | undefined> {
    if (this.beat && this.beat.sent >= after) return this.beat.lastBeatAt
    const sent = this.now()
    const lastBeatAt = this.io.heartbeatAge().then(
      (age) => (age === undefined ? undefined : this.now() - age),
      () => Infinity
    )
    this.beat = { sent, lastBeatAt }
    return lastBeatAt
  }

  /** Asked once the window has passed since the touch, when no GC can still delete on an older check. */
  private check(key: string, touch: Touch): Promise<boolean> {
    const pending = this.checks.get(key)
    if (pending) return pending
    const run = (async (): Promise<boolean> => {
      const wait = touch.answered + this.windowMs - this.now()
      if (!this.told) {
        this.told = true
        this.onFirstWait(this.windowMs)
      }
      if (wait > 0) await sleep(Math.ceil(wait))
      // An answer it cannot get counts as gone: the caller writes the object again, or names it not.
      const present = await this.io.exists(key).catch(() => false)
      if (this.touches.get(key) === touch) {
        this.touches.delete(key)
        if (!present) this.lost.add(key)
      }
      return present
    })().finally(() => this.checks.delete(key))
    this.checks.set(key, run)
    return run
  }
}
