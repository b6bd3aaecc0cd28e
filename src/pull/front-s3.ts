import { Readable } from 'node:stream'
import { GetObjectCommand, HeadObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3'
import { s3ClientConfig } from '../config/s3-client-config.js'
import { bucketHttpUrl, type S3Location } from '../config/s3-uri.js'
import { log } from '../runtime/host.js'
import { ServerTrouble, type CacheUpstream, type UpstreamAnswer, type UpstreamRequest } from './front.js'
import { httpUpstream } from './front-http.js'

/** The HTTP status of an SDK error that is an answer, read structurally (errors may come from another realm). */
function statusOf(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode
}

/** The SDK found no credentials in its chain (no variables, profile, role): nothing was sent. */
function noCredentials(e: unknown): boolean {
  return (e as { name?: unknown } | undefined)?.name === 'CredentialsProviderError'
}

/**
 * Error codes S3 gives only for credentials it does not take, never for a key that is missing
 * (which a caller without ListBucket sees as AccessDenied, so that one is not among them).
 */
const REFUSED_CREDENTIALS = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'TokenRefreshRequired'])

function errorName(e: unknown): string | undefined {
  const name = (e as { name?: unknown } | undefined)?.name
  return typeof name === 'string' ? name : undefined
}

/** An object's headers, as an HTTP binary cache would send them: Nix reads Content-Encoding (narinfos compressed on upload) and Content-Length. */
function objectHeaders(o: {
  ContentType?: string
  ContentLength?: number
  ContentEncoding?: string
  ContentRange?: string
  ETag?: string
  LastModified?: Date
  CacheControl?: string
}): Record<string, string> {
  const h: Record<string, string> = {}
  if (o.ContentType !== undefined) h['content-type'] = o.ContentType
  if (o.ContentLength !== undefined) h['content-length'] = String(o.ContentLength)
  if (o.ContentEncoding !== undefined) h['content-encoding'] = o.ContentEncoding
  if (o.ContentRange !== undefined) h['content-range'] = o.ContentRange
  if (o.ETag !== undefined) h.etag = o.ETag
  if (o.LastModified !== undefined) h['last-modified'] = o.LastModified.toUTCString()
  if (o.CacheControl !== undefined) h['cache-control'] = o.CacheControl
  return h
}

/**
 * The front's upstream for a binary cache in an S3 bucket (front.ts): GetObject and HeadObject
 * through the AWS SDK, signed with the agent's credentials (the SDK's default chain: environment,
 * profile, web identity), which never reach Nix. So the job's Nix reads the bucket as a plain
 * HTTP cache, also a Nix built without S3 support. No retries and no timeouts of the SDK's: the
 * front's idle bound (abort signal) is the only one, and it gives the cache up after one failure.
 * A job without AWS credentials (a pull-only job from a fork has no secrets) reads a public bucket
 * unsigned, over its HTTP URL, as Nix itself would.
 */
export function s3Upstream(location: S3Location, credentials?: S3ClientConfig['credentials']): CacheUpstream {
  const client = new S3Client({
    ...s3ClientConfig(location, credentials),
    maxAttempts: 1,
    requestHandler: { httpAgent: { keepAlive: true }, httpsAgent: { keepAlive: true } }
  })
  const Bucket = location.bucket
  let unsigned: CacheUpstream | undefined
  let saidRefused = false
  return {
    where: (key) => `s3://${Bucket}/${key}`,
    async get(Key: string, req: UpstreamRequest, signal: AbortSignal): Promise<UpstreamAnswer> {
      if (unsigned !== undefined) return unsigned.get(Key, req, signal)
      const Range = req.headers.range
      try {
        if (req.method === 'HEAD') {
          const head = await client.send(new HeadObjectCommand({ Bucket, Key }), { abortSignal: signal })
          return { status: 200, headers: objectHeaders(head) }
        }
        const got = await client.send(new GetObjectCommand({ Bucket, Key, Range }), { abortSignal: signal })
        const body = got.Body instanceof Readable ? got.Body : undefined
        return { status: Range !== undefined && got.ContentRange !== undefined ? 206 : 200, headers: objectHeaders(got), body }
      } catch (e) {
        if (noCredentials(e)) {
          // Asked once: the chain (instance metadata included) is not asked again for every path.
          unsigned = httpUpstream(bucketHttpUrl(location), async () => ({}))
          log.info(`The background agent has no AWS credentials; it reads s3://${Bucket} for the job's Nix unsigned, at ${bucketHttpUrl(location)} (a public bucket).`)
          return unsigned.get(Key, req, signal)
        }
        const status = statusOf(e)
        if (status === undefined) throw e
        if (status >= 500) throw new ServerTrouble(`HTTP ${status}`, status)
        const name = errorName(e)
        if (!saidRefused && name !== undefined && REFUSED_CREDENTIALS.has(name)) {
          // Said once: Nix hears "not here" for every path and builds them all, which alone
          // looks like a cold cache, not like credentials the bucket refuses.
          saidRefused = true
          log.warning(
            `s3://${Bucket} refused the job's AWS credentials (${name}), so the job's Nix gets nothing from it and builds instead. Check the credentials the job has (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or the role).`
          )
        }
        // Missing (404; 403 where ListBucket is not granted), or refused: Nix reads both as "not here", as from an HTTP cache.
        return { status, headers: {} }
      }
    },
    close: () => {
      client.destroy()
      unsigned?.close()
    }
  }
}
