import { AsyncLocalStorage } from 'node:async_hooks'
import { createReadStream } from 'node:fs'
import { Readable } from 'node:stream'
import type { RetryErrorInfo, RetryStrategyV2, RetryToken } from '@smithy/types'
import { CopyObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3'
import type { BinaryCacheBackend, BodyFactory, Published } from './backend.js'
import { CONTENT_TYPES } from './backend.js'
import { ensureCacheInfo } from './cache-info.js'
import { probeEach } from './probe.js'
import { NarMismatch } from './nar-writer.js'
import { PartSlots, writeObject, type ObjectWriterContext } from './s3-object-writer.js'
import { GC_HEARTBEAT_KEY } from './gc-window.js'
import { TouchSettler } from './touch-settler.js'
import { readHeartbeat } from './s3-heartbeat.js'
import type { S3Location } from '../../config/s3-uri.js'
import { s3ClientConfig } from '../../config/s3-client-config.js'
import { CacheUnavailableError, JobBudget, type FailureKind } from '../../runtime/budget.js'
import { timings } from '../../runtime/timings.js'
import { log } from '../../runtime/host.js'
import { retryLine } from '../../runtime/retry.js'
import { BudgetedRequest, RequestGuard } from '../../runtime/request.js'

export interface S3BackendOptions {
  location: S3Location
  /** Parallel HEAD requests in existing(). */
  concurrency?: number
  /** Whether narinfos found are touched for the retention GC (not by a job that only reads); default true. */
  touchFound?: boolean
  /** Multipart part size; S3 refuses parts under 5 MiB (except the last) and allows 10,000 parts. */
  partSize?: number
  /** Parts of one object in flight at once. */
  queueSize?: number
  /**
   * Part buffers, being filled or in flight, across all the objects written at once: what bounds
   * the memory of a push (partSize × partBuffers, 32 MiB by default), however many run in parallel.
   */
  partBuffers?: number
  /** Attempts per request, counting the first; the SDK backs off between them. */
  maxAttempts?: number
  /** Non-fatal problems (checks given up on). Never receives credentials. */
  warn?: (message: string) => void
  /** Replaces the default credential chain (tests); production leaves it to env, profile and web identity. */
  credentials?: S3ClientConfig['credentials']
  /** The job's budget and breaker (`jobBudget()`); one of its own when not given (tests). */
  budget?: JobBudget
}

/**
 * The request in progress, so the retry strategy (called deep inside the SDK) accounts for its
 * attempts to that request and names it in its log line.
 */
const currentRequest = new AsyncLocalStorage<BudgetedRequest>()

interface Token extends RetryToken {
  /** When the attempt this token allows starts, for the budget's trouble clock. */
  startsAt: number
}

const token = (count: number, delay: number): Token => ({
  getRetryCount: () => count,
  getRetryDelay: () => delay,
  startsAt: Date.now() + delay
})

/**
 * The SDK's retries, with our schedule (timings.ts), a log line per retry (the SDK's own retries
 * are silent), and the job's budget, through the same accounting as every other request
 * (runtime/request.ts): an attempt is refused once the breaker is open, and a wait that would
 * outlast the budget is not waited. A strategy that throws makes the SDK throw the request's
 * last error.
 */
class BudgetedRetryStrategy implements RetryStrategyV2 {
  constructor(
    private readonly budget: JobBudget,
    private readonly maxAttempts: number,
    private readonly baseDelayMs: number,
    private readonly maxDelayMs: number,
    private readonly where: string
  ) {}

  /** Every SDK call runs inside `guarded`; the fallback only keeps a stray one accounted for. */
  private request(): BudgetedRequest {
    return currentRequest.getStore() ?? new BudgetedRequest(this.budget, this.where)
  }

  async acquireInitialRetryToken(): Promise<RetryToken> {
    this.request().check()
    return token(0, 0)
  }

  async refreshRetryTokenForRetry(previous: RetryToken, info: RetryErrorInfo): Promise<RetryToken> {
    // The SDK asks here about every error, a HEAD's 404 and a conditional PUT's 412 included:
    // answers, not trouble, so they cost nothing of the budget (`guarded` counts refusals).
    if (info.errorType === 'CLIENT_ERROR') throw info.error ?? new Error('not retried')
    const request = this.request()
    const cause = describeS3Error(info.error)
    request.attemptFailed((previous as Token).startsAt ?? Date.now(), `${cause} from ${request.what}`)
    const attempt = previous.getRetryCount() + 1
    const hinted = info.retryAfterHint ? info.retryAfterHint.getTime() - Date.now() : undefined
    const schedule = { attempts: this.maxAttempts, baseDelayMs: this.baseDelayMs, maxDelayMs: this.maxDelayMs, isRetryable: () => true }
    const delay = request.retryDelay(info.error, attempt, schedule, hinted !== undefined && hinted > 0 ? hinted : undefined)
    if (delay === undefined) throw info.error ?? new Error('not retried')
    log.info(retryLine(cause, request.what, attempt, this.maxAttempts, delay))
    return token(attempt, delay)
  }

  recordSuccess(): void {
    this.request().succeeded()
  }
}

/** How a request that failed for good counts for the circuit breaker. */
function s3FailureKind(e: unknown): FailureKind {
  const name = nameOf(e)
  const code = (e as SdkError | undefined)?.code
  if (name === 'TimeoutError' || code === 'ETIMEDOUT' || code === 'ECONNRESET' && /timeout/i.test(String((e as SdkError).message))) {
    return 'timeout'
  }
  const status = statusOf(e)
  if (status === undefined) return 'connection'
  return status >= 500 || status === 429 ? 'server-error' : 'refused'
}

const MiB = 1024 * 1024

/** The fields of an SDK error we report; read structurally, as errors may come from another realm. */
interface SdkError {
  name?: unknown
  message?: unknown
  code?: unknown
  $metadata?: { httpStatusCode?: number; attempts?: number }
}

function statusOf(e: unknown): number | undefined {
  return (e as SdkError | undefined)?.$metadata?.httpStatusCode
}

function nameOf(e: unknown): string {
  const name = (e as SdkError | undefined)?.name
  return typeof name === 'string' ? name : ''
}

/**
 * The SDK never puts secrets into its errors, but a message echoing a server's answer is still
 * text we did not write; the secret halves of the environment's credentials are cut out of it.
 */
function redact(text: string): string {
  let out = text
  for (const name of ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) {
    const secret = process.env[name]
    if (secret && secret.length >= 8) out = out.split(secret).join('***')
  }
  return out
}

/** One line naming what failed: the S3 error code, its message, the HTTP status and how often it was tried. */
export function describeS3Error(e: unknown): string {
  if (!(e instanceof Object)) return redact(String(e))
  const err = e as SdkError
  const name = nameOf(e)
  // Network failures arrive wrapped ("AWS SDK error wrapper for Error: connect ECONNREFUSED …").
  const message = typeof err.message === 'string' ? err.message.replace(/^AWS SDK error wrapper for (\w*Error: )?/, '') : ''
  let what: string
  if (name === 'CredentialsProviderError') {
    // configure-aws-credentials' own post step blanks the variables; post steps run in reverse order.
    what =
      'no AWS credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile=, or a role with ' +
      'aws-actions/configure-aws-credentials, listed before this action so that its cleanup runs after this push)'
  } else {
    // HEAD answers have no body, so the SDK can only name them by status ("NotFound", "403", "UnknownError").
    const useful = message !== '' && message !== 'UnknownError' && message !== name
    const code = typeof err.code === 'string' && !message.includes(err.code) ? ` (${err.code})` : ''
    const label = name && name !== 'Error' && !/^\d+$/.test(name) ? `${name}: ` : ''
    what = useful ? `${label}${message}${code}` : name || message || 'unknown error'
  }
  const meta: string[] = []
  const status = statusOf(e)
  if (status !== undefined) meta.push(`HTTP ${status}`)
  const attempts = err.$metadata?.attempts
  if (attempts !== undefined && attempts > 1) meta.push(`gave up after ${attempts} attempts`)
  return redact(`${what}${meta.length ? ` (${meta.join(', ')})` : ''}`)
}

/** Missing, as Nix reads it: S3 answers 403 rather than 404 for absent keys when ListBucket is not granted. */
function isAbsent(e: unknown): boolean {
  const name = nameOf(e)
  if (name === 'NoSuchBucket') return false
  const status = statusOf(e)
  return status === 404 || status === 403 || name === 'NoSuchKey' || name === 'NotFound'
}

/** A conditional write's answer that the object is already there. */
function isPreconditionFailed(e: unknown): boolean {
  return statusOf(e) === 412 || nameOf(e) === 'PreconditionFailed'
}

/** A binary cache in an S3 bucket (AWS S3, R2, MinIO, Garage, B2…), written with the AWS SDK. */
export class S3Backend implements BinaryCacheBackend {
  readonly displayUrl: string
  /** Part buffers and the SDK: pushes collect at once (job/push.ts) and send one large NAR fewer at once (upload.ts). */
  readonly memoryTight = true
  /** Objects are made only from ended bodies (s3-object-writer.ts). */
  dropsCutBodies(): boolean {
    return true
  }
  private readonly client: S3Client
  private readonly bucket: string
  private readonly concurrency: number
  private readonly partSize: number
  private readonly writer: ObjectWriterContext
  private readonly warn: (message: string) => void
  private readonly requests: RequestGuard
  private readonly touchFound: boolean
  private readonly settler: TouchSettler

  constructor(opts: S3BackendOptions) {
    const { location } = opts
    this.bucket = location.bucket
    this.displayUrl = `s3://${location.bucket}`
    this.concurrency = opts.concurrency ?? 32
    this.partSize = Math.max(opts.partSize ?? 8 * MiB, 5 * MiB)
    this.warn = opts.warn ?? (() => {})
    this.touchFound = opts.touchFound ?? true
    const t = timings()
    this.settler = new TouchSettler({ heartbeatAge: () => this.heartbeatAge(), exists: (key) => this.exists(key) }, t.gcWindowMs, undefined, (windowMs) =>
      log.info(`A retention GC has been deleting from ${this.displayUrl}: what this job found there is checked again ${windowMs / 1000} s after it was marked in use, before a narinfo names it (docs/gc.md).`)
    )
    const budget = opts.budget ?? new JobBudget({ budgetMs: t.jobBudgetMs, breakerThreshold: t.breakerThreshold })
    this.requests = new RequestGuard({
      budget,
      // The SDK's socketTimeout is the idle timeout; we only end a call when the budget runs out.
      followDeadline: true,
      // The SDK retries (BudgetedRetryStrategy), and accounts for each failed attempt.
      retry: { attempts: 1 },
      isTrouble: () => false,
      verdict: (e) => (isAbsent(e) || isPreconditionFailed(e) ? 'answer' : s3FailureKind(e)),
      cause: describeS3Error
    })
    const config: S3ClientConfig = {
      ...s3ClientConfig(location, opts.credentials),
      retryStrategy: new BudgetedRetryStrategy(
        budget,
        opts.maxAttempts ?? t.retryAttempts,
        t.retryBaseDelayMs,
        t.retryMaxDelayMs,
        this.displayUrl
      ),
      requestHandler: {
        connectionTimeout: t.connectMs,
        // An idle timeout, not a total one: a large part still uploading is progress.
        socketTimeout: t.idleMs,
        // Room for the HEAD probes plus every part in flight, so neither starves the other.
        httpAgent: { keepAlive: true, maxSockets: 64 },
        httpsAgent: { keepAlive: true, maxSockets: 64 }
      }
    }
    this.client = new S3Client(config)
    this.writer = {
      client: this.client,
      bucket: this.bucket,
      partsInFlight: opts.queueSize ?? 4,
      slots: new PartSlots(Math.max(opts.partBuffers ?? 4, 1), this.partSize),
      guarded: (what, run) => this.guarded(what, run),
      where: (key) => this.where(key)
    }
  }

  private where(key: string): string {
    return `${this.displayUrl}/${key}`
  }

  /**
   * Runs one SDK call as one request of the job (runtime/request.ts): refused at once when the
   * breaker is open, abandoned when a failing cache's budget runs out, and its outcome counted.
   */
  private guarded<T>(what: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.requests.run(what, (a) => currentRequest.run(a.request, () => run(a.signal)))
  }

  async prepare(storeDir: string): Promise<void> {
    const key = 'nix-cache-info'
    await ensureCacheInfo(storeDir, {
      displayUrl: this.displayUrl,
      read: async () => {
        try {
          return await this.guarded(`GET ${this.where(key)}`, async (abortSignal) => {
            const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal })
            return (await res.Body?.transformToString()) ?? ''
          })
        } catch (e) {
          if (e instanceof CacheUnavailableError) throw e
          if (isAbsent(e)) return undefined
          throw new Error(`GET ${this.where(key)}: ${describeS3Error(e)}`, { cause: e })
        }
      },
      write: async (text) => {
        try {
          await this.guarded(`PUT ${this.where(key)}`, (abortSignal) =>
            this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: text, ContentType: CONTENT_TYPES.cacheInfo }), { abortSignal })
          )
        } catch (e) {
          if (e instanceof CacheUnavailableError) throw e
          throw new Error(`PUT ${this.where(key)}: ${describeS3Error(e)}`, { cause: e })
        }
      }
    })
  }

  existing(hashParts: readonly string[]): Promise<Set<string>> {
    return probeEach(hashParts, {
      concurrency: this.concurrency,
      warn: this.warn,
      describe: (hash, e) => `HEAD ${this.where(`${hash}.narinfo`)}: ${describeS3Error(e)}`,
      probe: async (hash) => {
        try {
          await this.guarded(`HEAD ${this.where(`${hash}.narinfo`)}`, (abortSignal) =>
            this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: `${hash}.narinfo` }), { abortSignal })
          )
          // Found means relied on: touched, so the retention GC keeps it (docs/gc.md); gone meanwhile means absent.
          if (this.touchFound === false) return true
          return await this.touch(`${hash}.narinfo`, CONTENT_TYPES.narinfo)
        } catch (e) {
          if (isAbsent(e)) return false
          throw e
        }
      }
    })
  }

  /**
   * Streams the body: small objects go up in one PUT, larger ones as a multipart upload of
   * buffered parts, so each part can be retried by the SDK without reading the source again.
   */
  async put(key: string, body: BodyFactory, contentType: string): Promise<void> {
    await this.write(key, body, contentType, false)
  }

  /** A NAR found is touched (a CopyObject onto itself), unless the job only reads; see the interface. */
  async has(key: string): Promise<boolean> {
    const there = await this.exists(key).catch((e: unknown) => {
      // The breaker opened: the push stops here.
      if (e instanceof CacheUnavailableError) throw e
      // A probe that failed: the upload then still refuses to overwrite where it can.
      return false
    })
    if (!there || this.touchFound === false) return there
    return await this.touch(key, CONTENT_TYPES.nar)
  }

  /**
   * Uploads the verified file with `If-None-Match: *` (on PutObject, or on completing a multipart
   * upload), so S3 and the servers that support conditional writes never replace a NAR another
   * job wrote meanwhile: their 412 means it is there. Servers that ignore the header overwrite
   * it with the same verified contents, a window only as wide as the upload.
   */
  async publish(key: string, file: string, contentType: string): Promise<Published> {
    return await this.write(key, () => createReadStream(file), contentType, true)
  }

  /** `publish` for a small verified NAR in memory: no spool file to write and read back. */
  async publishBytes(key: string, bytes: Buffer, contentType: string): Promise<Published> {
    return await this.write(key, () => Readable.from([bytes]), contentType, true)
  }

  /**
   * `publish` straight from the store: parts are sent while the path is still being compressed,
   * and the object is created only once the body has ended, checked (s3-object-writer.ts). A body
   * that fails aborts the multipart upload. Not retried as a whole: the SDK retries each part
   * from its buffer, and a mismatch is final.
   */
  async publishStream(key: string, body: BodyFactory, contentType: string): Promise<Published> {
    return await this.write(key, body, contentType, true)
  }

  settle(keys: readonly string[]): Promise<Set<string>> {
    return this.settler.settle(keys)
  }

  /** See TouchSettler: the heartbeat's age by S3's own clock (its `Date` less the object's `Last-Modified`). */
  private async heartbeatAge(): Promise<number | undefined> {
    try {
      return (await this.guarded(`HEAD ${this.where(GC_HEARTBEAT_KEY)}`, (abortSignal) => readHeartbeat(this.client, this.bucket, abortSignal))).ageMs
    } catch (e) {
      // Absent, or refused as S3 refuses a missing key to whom may not list: no GC has deleted.
      if (isAbsent(e) || statusOf(e) === 403) return undefined
      throw e
    }
  }

  /** A plain check, no touch; throws when it cannot tell. */
  private async exists(key: string): Promise<boolean> {
    try {
      await this.guarded(`HEAD ${this.where(key)}`, (abortSignal) => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal }))
      return true
    } catch (e) {
      if (isAbsent(e)) return false
      throw e
    }
  }

  /**
   * Renews an object's LastModified by copying it onto itself (S3 has no other way); false when
   * it is gone. A touch that fails otherwise counts as done: the object is there, and only a
   * retention GC running at this moment could miss that it is in use. Either way the settler
   * checks it before a narinfo names it, if a GC was deleting meanwhile.
   */
  private async touch(key: string, contentType: string): Promise<boolean> {
    const sent = performance.now()
    try {
      await this.guarded(`COPY ${this.where(key)}`, (abortSignal) =>
        this.client.send(
          new CopyObjectCommand({
            Bucket: this.bucket,
            Key: key,
            CopySource: `${this.bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`,
            MetadataDirective: 'REPLACE',
            ContentType: contentType,
            Metadata: { touched: new Date().toISOString() }
          }),
          { abortSignal }
        )
      )
      this.settler.touched(key, sent)
      return true
    } catch (e) {
      if (e instanceof CacheUnavailableError) throw e
      if (statusOf(e) === 404 || nameOf(e) === 'NoSuchKey') return false
      this.warn(`COPY ${this.where(key)} (marking it in use): ${describeS3Error(e)}`)
      this.settler.touched(key, sent)
      return true
    }
  }

  /**
   * With `ifNoneMatch` (NARs): the 412 of a NAR already there means this job's narinfo will name
   * it, so it is touched for the retention GC, as the narinfos found are; one taken by a GC
   * meanwhile is written again, once.
   */
  private async write(key: string, body: () => Readable, contentType: string, ifNoneMatch: boolean, again = true): Promise<Published> {
    const stream = body()
    try {
      await writeObject(this.writer, stream, { key, contentType, ifNoneMatch })
      this.settler.written(key)
      return 'written'
    } catch (e) {
      if (e instanceof CacheUnavailableError || e instanceof NarMismatch) throw e
      if (!ifNoneMatch || !isPreconditionFailed(e)) throw new Error(`PUT ${this.where(key)}: ${describeS3Error(e)}`, { cause: e })
    } finally {
      stream.destroy()
    }
    if (await this.touch(key, contentType)) return 'existed'
    if (again) return await this.write(key, body, contentType, true, false)
    throw new Error(`PUT ${this.where(key)}: the object was there, and gone before it could be marked in use`)
  }

  /** Closes pooled connections, so a short-lived process is not kept alive by idle keep-alive sockets. */
  close(): void {
    this.client.destroy()
  }
}
