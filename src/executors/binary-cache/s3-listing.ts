import { randomBytes } from 'node:crypto'
import { DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3'
import type { S3Location } from '../../config/s3-uri.js'
import { s3ClientConfig } from '../../config/s3-client-config.js'
import { JobBudget, type FailureKind } from '../../runtime/budget.js'
import { RequestGuard, type RequestPolicy } from '../../runtime/request.js'
import { isTransientError, retryLine, retryOptions, withRetry } from '../../runtime/retry.js'
import { log } from '../../runtime/host.js'
import { timings } from '../../runtime/timings.js'
import type { CollectableCache, ListedObject, Removal } from './listing.js'
import { AnotherGcDeleting, DELETE_BATCH } from './listing.js'
import { GC_HEARTBEAT_KEY, heartbeatEveryMs, heartbeatLiveMs } from './gc-window.js'
import { readHeartbeat, writeHeartbeat, type Heartbeat } from './s3-heartbeat.js'
import { describeS3Error } from './s3.js'

/**
 * An S3 cache as the GC sees it: ListObjectsV2 in pages of 1,000, GetObject for narinfos and
 * records, DeleteObjects in batches of up to 1,000, and a heartbeat object while it deletes (the
 * GC needs s3:ListBucket, s3:GetObject, s3:DeleteObject, and s3:PutObject on the heartbeat;
 * docs/s3.md). Every request runs through the request guard; the SDK itself does not retry, so
 * each retry is one of ours, logged and paid from the budget.
 */

interface SdkError {
  name?: unknown
  $metadata?: { httpStatusCode?: number }
}
const statusOf = (e: unknown): number | undefined => (e as SdkError | undefined)?.$metadata?.httpStatusCode
const isAbsent = (e: unknown): boolean => statusOf(e) === 404 || (e as SdkError | undefined)?.name === 'NoSuchKey' || (e as SdkError | undefined)?.name === 'NotFound'

function kindOf(e: unknown): FailureKind | 'answer' {
  if (isAbsent(e)) return 'answer'
  const status = statusOf(e)
  if (status === undefined) return 'connection'
  return status >= 500 || status === 429 ? 'server-error' : 'refused'
}

/**
 * A 5xx or 429 answer is worth another attempt, as is a dropped connection. The SDK's errors are
 * not the guard's HTTP errors, so without this a single 500 stopped the whole GC: S3 asks clients
 * to retry its 500 and 503 answers, and s3rver gives them while it rewrites an object.
 */
const isRetryable = (e: unknown): boolean => e instanceof DeleteTooLate || kindOf(e) === 'server-error' || isTransientError(e)

/** A DeleteObjects not answered within the window after its checks: tried again with new checks. */
class DeleteTooLate extends Error {}

const HEAD_PARALLEL = 32

export class S3Collectable implements CollectableCache {
  readonly displayUrl: string
  requests = 0
  private readonly client: S3Client
  private readonly bucket: string
  private readonly guard: RequestGuard
  private readonly deleteGuard: RequestGuard
  private readonly budget: JobBudget
  private readonly windowMs: number
  /** When the heartbeat was last renewed (the request's start, on the monotonic clock). */
  private lastBeat = -Infinity
  /** This run, as its heartbeat names it. */
  private readonly run = randomBytes(6).toString('hex')

  constructor(opts: { location: S3Location; budget?: JobBudget; credentials?: S3ClientConfig['credentials'] }) {
    const { location } = opts
    this.bucket = location.bucket
    this.displayUrl = `s3://${location.bucket}`
    const t = timings()
    this.budget = opts.budget ?? new JobBudget({ budgetMs: t.jobBudgetMs, breakerThreshold: t.breakerThreshold })
    this.windowMs = t.gcWindowMs
    const policy: RequestPolicy = {
      budget: this.budget,
      idleMs: t.idleMs,
      followDeadline: true,
      verdict: kindOf,
      retry: { isRetryable },
      isTrouble: (e) => kindOf(e) !== 'answer' && kindOf(e) !== 'refused',
      cause: describeS3Error
    }
    this.guard = new RequestGuard(policy)
    // DeleteObjects is retried by remove(), with its checks (see there), not on its own.
    this.deleteGuard = new RequestGuard({ ...policy, retry: { attempts: 1 } })
    const config: S3ClientConfig = {
      ...s3ClientConfig(location, opts.credentials),
      maxAttempts: 1,
      requestHandler: { connectionTimeout: t.connectMs, socketTimeout: t.idleMs }
    }
    this.client = new S3Client(config)
    if (location.forcePathStyle) {
      // Bucket-level requests (list, delete) go to `/<bucket>/`; servers that sign the path as
      // they route it (s3rver, older Ceph) then compute `/<bucket>` and refuse the signature.
      // Both name the same bucket on AWS.
      const bucketPath = `/${location.bucket}/`
      this.client.middlewareStack.add(
        (next) => async (args) => {
          const request = args.request as { path?: string }
          if (request.path === bucketPath) request.path = bucketPath.slice(0, -1)
          return next(args)
        },
        { step: 'build', name: 'bucketPathWithoutSlash' }
      )
    }
  }

  private send<T>(what: string, call: (signal: AbortSignal) => Promise<T>, guard: RequestGuard = this.guard): Promise<T> {
    this.requests++
    return guard.run(`${what} ${this.displayUrl}`, (a) => call(a.signal))
  }

  async *pages(): AsyncIterable<ListedObject[]> {
    let token: string | undefined
    do {
      const res = await this.send('LIST', (abortSignal) =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, ContinuationToken: token, MaxKeys: 1000 }), { abortSignal })
      ).catch((e: unknown) => {
        throw new Error(`LIST ${this.displayUrl}: ${describeS3Error(e)}`, { cause: e })
      })
      const page: ListedObject[] = []
      for (const o of res.Contents ?? []) {
        // The heartbeat is the GC's own (gc-window.ts), neither the cache's nor a writer's.
        if (o.Key === undefined || o.Key === GC_HEARTBEAT_KEY) continue
        page.push({ key: o.Key, size: o.Size ?? 0, mtimeMs: o.LastModified?.getTime() ?? 0 })
      }
      if (page.length > 0) yield page
      token = res.IsTruncated ? res.NextContinuationToken : undefined
    } while (token !== undefined)
  }

  async read(key: string): Promise<string | undefined> {
    try {
      return await this.send(`GET ${key}`, async (abortSignal) => {
        const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal })
        return (await res.Body?.transformToString()) ?? ''
      })
    } catch (e) {
      if (isAbsent(e)) return undefined
      throw new Error(`GET ${this.displayUrl}/${key}: ${describeS3Error(e)}`, { cause: e })
    }
  }

  /** The modification time now, or undefined when the object is gone. */
  private async lastModified(key: string): Promise<number | undefined> {
    try {
      const res = await this.send(`HEAD ${key}`, (abortSignal) => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal }))
      return res.LastModified?.getTime() ?? 0
    } catch (e) {
      if (isAbsent(e)) return undefined
      throw new Error(`HEAD ${this.displayUrl}/${key}: ${describeS3Error(e)}`, { cause: e })
    }
  }

  /**
   * S3 cannot rename, so each key's modification time is read again (HEAD) just before the batch
   * is deleted: what a push touched since the listing stays (docs/gc.md names the window left).
   * A DeleteObjects that fails (a 500) is tried again with its checks: retried on its own after a
   * backoff of up to 30 s, it would widen that window by the backoff.
   */
  async remove(keys: readonly string[], cutoffMs: number): Promise<Removal> {
    if (keys.length > DELETE_BATCH) throw new Error(`at most ${DELETE_BATCH} keys per delete`)
    // Keys a failed attempt may have deleted before it failed: gone on the next, they count as deleted.
    const tried = new Set<string>()
    const attempts = retryOptions().attempts
    return withRetry(() => this.checkAndDelete(keys, cutoffMs, tried), {
      isRetryable,
      remainingMs: () => this.budget.remainingMs(),
      onRetry: (e, n, delayMs) => log.info(retryLine(describeS3Error(e), `DELETE ${keys.length} objects ${this.displayUrl} (checked again first)`, n, attempts, delayMs))
    })
  }

  /**
   * Tells pushes that a GC is deleting (gc-window.ts): renewed before each round of checks when
   * older than half the window. Without it a push could not know that its touch may have come too
   * late, so a GC that cannot write it deletes nothing. The first time, a heartbeat another run
   * renewed within its live span, and did not end, stops this run before it deletes anything.
   */
  private async heartbeat(): Promise<void> {
    if (performance.now() - this.lastBeat < heartbeatEveryMs(this.windowMs)) return
    if (this.lastBeat === -Infinity) await this.refuseBesideAnother()
    const started = performance.now()
    await this.send(`PUT ${GC_HEARTBEAT_KEY}`, (abortSignal) => writeHeartbeat(this.client, this.bucket, this.run, 'deleting', abortSignal)).catch((e: unknown) => {
      throw new Error(`PUT ${this.displayUrl}/${GC_HEARTBEAT_KEY} (pushes read it to learn that a GC is deleting; the GC needs s3:PutObject there): ${describeS3Error(e)}`, { cause: e })
    })
    this.lastBeat = started
  }

  private async refuseBesideAnother(): Promise<void> {
    let beat: Heartbeat
    try {
      beat = await this.send(`HEAD ${GC_HEARTBEAT_KEY}`, (abortSignal) => readHeartbeat(this.client, this.bucket, abortSignal))
    } catch (e) {
      if (isAbsent(e)) return
      throw new Error(`HEAD ${this.displayUrl}/${GC_HEARTBEAT_KEY}: ${describeS3Error(e)}`, { cause: e })
    }
    const live = heartbeatLiveMs(this.windowMs)
    if (beat.run === this.run || beat.ended || beat.ageMs >= live) return
    throw new AnotherGcDeleting(
      `another GC has been deleting from ${this.displayUrl} (its heartbeat ${GC_HEARTBEAT_KEY} was renewed ${Math.round(beat.ageMs / 1000)} s ago); ` +
        `run one GC at a time per cache. Nothing was deleted. One that was stopped mid-way holds the cache for ${Math.round(live / 1000)} s.`
    )
  }

  async finish(): Promise<void> {
    if (this.lastBeat === -Infinity) return
    // Best effort: a heartbeat left "deleting" only makes pushes check, and the next GC wait its live span.
    await this.send(`PUT ${GC_HEARTBEAT_KEY}`, (abortSignal) => writeHeartbeat(this.client, this.bucket, this.run, 'ended', abortSignal)).catch((e: unknown) => {
      log.info(`PUT ${this.displayUrl}/${GC_HEARTBEAT_KEY} (the GC has ended): ${describeS3Error(e)}`)
    })
  }

  private async checkAndDelete(keys: readonly string[], cutoffMs: number, tried: Set<string>): Promise<Removal> {
    const out: Removal = { deleted: [], fresh: [], missing: [] }
    let pending: readonly string[] = keys
    let doomed: string[] = []
    let checked: number
    // The delete must follow the checks by at most the window (gc-window.ts): checks that took
    // longer than half of it are made again for what they doomed.
    for (;;) {
      await this.heartbeat()
      checked = performance.now()
      doomed = []
      let next = 0
      const lane = async (): Promise<void> => {
        while (next < pending.length) {
          const key = pending[next++] as string
          const m = await this.lastModified(key)
          if (m === undefined) (tried.has(key) ? out.deleted : out.missing).push(key)
          else if (m >= cutoffMs) out.fresh.push(key)
          else doomed.push(key)
        }
      }
      await Promise.all(Array.from({ length: Math.min(HEAD_PARALLEL, pending.length) }, lane))
      if (doomed.length === 0) return out
      if (performance.now() - checked <= this.windowMs / 2) break
      pending = doomed
    }
    for (const k of doomed) tried.add(k)
    const late = AbortSignal.timeout(Math.max(1, Math.floor(this.windowMs - (performance.now() - checked))))
    const res = await this.send(
      `DELETE ${doomed.length} objects`,
      (abortSignal) =>
        this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: doomed.map((Key) => ({ Key })), Quiet: true } }), {
          abortSignal: AbortSignal.any([abortSignal, late])
        }),
      this.deleteGuard
    ).catch((e: unknown) => {
      if (late.aborted) throw new DeleteTooLate(`DeleteObjects on ${this.displayUrl} not answered within ${this.windowMs / 1000} s of its checks`, { cause: e })
      throw e
    })
    const failed = new Set((res.Errors ?? []).map((e) => e.Key))
    if (failed.size > 0) {
      const first = res.Errors?.[0]
      throw new Error(`DeleteObjects on ${this.displayUrl}: ${failed.size} of ${doomed.length} not deleted, first ${first?.Key}: ${first?.Code} ${first?.Message}`)
    }
    out.deleted.push(...doomed)
    return out
  }

  close(): void {
    this.client.destroy()
  }
}
