import type { Readable } from 'node:stream'
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client
} from '@aws-sdk/client-s3'

/**
 * Writes one S3 object from a stream, in memory bounded across all the objects a backend writes
 * at once: a body that fits in one part goes up in one PutObject, a larger one as a multipart
 * upload. Parts are buffered (the SDK retries a part from its buffer), and every buffer, being
 * filled or in flight, holds a slot of the backend's shared `PartSlots`: with 8 parallel uploads
 * of 8 MiB parts, 4 in flight each, the SDK's own uploader held up to 320 MiB.
 *
 * The object is created only once the body has ended: a body that fails (a NAR whose path changed
 * under it, see nar-writer.ts) aborts the multipart upload and is never completed, so no object
 * is left under its name, and neither are its parts (AbortMultipartUpload frees them).
 */

/**
 * The part buffers of one backend, shared by all its uploads: at most `total`, each `size` bytes,
 * allocated when first needed and then reused, so parts leave no garbage behind (V8 collects
 * external memory only once 64 MiB of it piles up, which with fresh 8 MiB parts it soon did).
 */
export class PartSlots {
  private made = 0
  private readonly spare: Buffer[] = []
  private readonly waiting: Array<(b: Buffer) => void> = []

  constructor(
    readonly total: number,
    readonly size: number
  ) {}

  async acquire(): Promise<Buffer> {
    const spare = this.spare.pop()
    if (spare) return spare
    if (this.made < this.total) {
      this.made++
      return Buffer.allocUnsafe(this.size)
    }
    return await new Promise<Buffer>((resolve) => this.waiting.push(resolve))
  }

  /** Gives a buffer back once nothing reads it any more (its part was sent, or will not be). */
  release(buffer: Buffer): void {
    const next = this.waiting.shift()
    if (next) next(buffer)
    else this.spare.push(buffer)
  }
}

export interface ObjectWriterContext {
  client: S3Client
  bucket: string
  /** Parts of one object uploading at once. */
  partsInFlight: number
  slots: PartSlots
  /** One SDK call as one guarded request of the job (s3.ts). */
  guarded<T>(what: string, run: (signal: AbortSignal) => Promise<T>): Promise<T>
  where(key: string): string
}

export interface ObjectParams {
  key: string
  contentType: string
  /** `If-None-Match: *` on PutObject or CompleteMultipartUpload: never replace what is there. */
  ifNoneMatch: boolean
}

interface Part {
  /** The part's bytes: a view of `buffer`. */
  bytes: Buffer
  /** The slot's buffer, to be given back once the part is sent. */
  buffer: Buffer
  last: boolean
}

/** Cuts the stream into parts of the slots' size, copied into slot buffers the consumer releases. */
async function* partsOf(body: Readable, slots: PartSlots): AsyncGenerator<Part> {
  let buffer: Buffer | undefined = await slots.acquire()
  let size = 0
  try {
    for await (const c of body) {
      // Readable.from(['text']) yields strings.
      let chunk = typeof c === 'string' ? Buffer.from(c) : (c as Buffer)
      while (chunk.length > 0) {
        const take = Math.min(chunk.length, slots.size - size)
        chunk.copy(buffer, size, 0, take)
        size += take
        chunk = chunk.subarray(take)
        if (size === slots.size) {
          const full: Buffer = buffer
          buffer = undefined
          size = 0
          yield { bytes: full, buffer: full, last: false }
          buffer = await slots.acquire()
        }
      }
    }
    const rest: Buffer = buffer
    buffer = undefined
    yield { bytes: rest.subarray(0, size), buffer: rest, last: true }
  } finally {
    if (buffer) slots.release(buffer)
  }
}

/** Writes the object; throws the body's error or the request's, after aborting what it started. */
export async function writeObject(ctx: ObjectWriterContext, body: Readable, params: ObjectParams): Promise<void> {
  const { key } = params
  const condition = params.ifNoneMatch ? { IfNoneMatch: '*' } : {}
  const parts = partsOf(body, ctx.slots)
  try {
    const first = await parts.next()
    if (first.done) throw new Error('no body')
    if (first.value.last) {
      try {
        const bytes = first.value.bytes
        await ctx.guarded(`PUT ${ctx.where(key)}`, (abortSignal) =>
          ctx.client.send(
            new PutObjectCommand({ Bucket: ctx.bucket, Key: key, Body: bytes, ContentLength: bytes.length, ContentType: params.contentType, ...condition }),
            { abortSignal }
          )
        )
      } finally {
        ctx.slots.release(first.value.buffer)
      }
      return
    }
    await writeMultipart(ctx, first.value, parts, params, condition)
  } finally {
    // Stops reading the body (and its source) when the upload failed part-way.
    await parts.return(undefined)
    body.destroy()
  }
}

async function writeMultipart(ctx: ObjectWriterContext, first: Part, rest: AsyncGenerator<Part>, params: ObjectParams, condition: { IfNoneMatch?: string }): Promise<void> {
  const { key } = params
  let uploadId: string | undefined
  try {
    try {
      const created = await ctx.guarded(`POST ${ctx.where(key)}?uploads`, (abortSignal) =>
        ctx.client.send(new CreateMultipartUploadCommand({ Bucket: ctx.bucket, Key: key, ContentType: params.contentType }), { abortSignal })
      )
      uploadId = created.UploadId
      if (!uploadId) throw new Error(`POST ${ctx.where(key)}?uploads: the server named no upload`)
    } catch (e) {
      // The first part never goes up: its buffer is free again (a lost slot would stall every upload).
      ctx.slots.release(first.buffer)
      throw e
    }
    const id = uploadId
    const inFlight = new Set<Promise<void>>()
    let partFailed = false
    const done: Array<Promise<CompletedPart>> = []
    const send = (part: Part, n: number): void => {
      const p = (async () => {
        try {
          const res = await ctx.guarded(`PUT ${ctx.where(key)} (part ${n})`, (abortSignal) =>
            ctx.client.send(
              new UploadPartCommand({ Bucket: ctx.bucket, Key: key, UploadId: id, PartNumber: n, Body: part.bytes, ContentLength: part.bytes.length }),
              { abortSignal }
            )
          )
          return { PartNumber: n, ETag: res.ETag }
        } finally {
          ctx.slots.release(part.buffer)
        }
      })()
      const settled: Promise<void> = p.then(
        () => void inFlight.delete(settled),
        () => {
          partFailed = true
          inFlight.delete(settled)
        }
      )
      inFlight.add(settled)
      done.push(p)
    }
    let failure: { error: unknown } | undefined
    try {
      let n = 1
      send(first, n)
      for (;;) {
        // No more parts read ahead than can be sent: each holds a slot others may be waiting for.
        while (inFlight.size >= ctx.partsInFlight) await Promise.race(inFlight)
        // A part failed for good: stop reading, the upload is lost either way.
        if (partFailed) break
        const next = await rest.next()
        if (next.done) break
        const part = next.value
        // A body that ends on a part boundary leaves an empty last part; S3 needs none.
        if (part.last && part.bytes.length === 0) {
          ctx.slots.release(part.buffer)
          break
        }
        send(part, ++n)
      }
    } catch (e) {
      // The body failed (NarMismatch): let the parts in flight settle, so that none is stored after the abort.
      failure = { error: e }
    }
    const results = await Promise.allSettled(done)
    if (failure) throw failure.error
    const rejected = results.find((r) => r.status === 'rejected')
    if (rejected) throw rejected.reason
    const completed = results.map((r) => (r as PromiseFulfilledResult<CompletedPart>).value)
    // Only a body that ended, whole and checked, is ever completed.
    await ctx.guarded(`POST ${ctx.where(key)}?uploadId`, (abortSignal) =>
      ctx.client.send(
        new CompleteMultipartUploadCommand({ Bucket: ctx.bucket, Key: key, UploadId: id, MultipartUpload: { Parts: completed }, ...condition }),
        { abortSignal }
      )
    )
    uploadId = undefined
  } finally {
    if (uploadId !== undefined) await abortUpload(ctx, key, uploadId)
  }
}

/** Frees the parts of an upload that will not be completed; best effort, as S3's lifecycle rules are the backstop. */
async function abortUpload(ctx: ObjectWriterContext, key: string, uploadId: string): Promise<void> {
  try {
    await ctx.guarded(`DELETE ${ctx.where(key)}?uploadId`, (abortSignal) =>
      ctx.client.send(new AbortMultipartUploadCommand({ Bucket: ctx.bucket, Key: key, UploadId: uploadId }), { abortSignal })
    )
  } catch {
    // The upload's own error is the one worth reporting.
  }
}

