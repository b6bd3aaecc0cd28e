// An S3-compatible server on loopback (s3rver, run in the test process): a stand-in for AWS S3,
// R2 or MinIO in tests of the s3:// backend. It checks SigV4 signatures, implements multipart
// uploads, and serves anonymous path-style GETs (http://127.0.0.1:PORT/bucket/key), which is how
// a Nix without S3 support substitutes from it over plain HTTP.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import { mkdtemp, utimes } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { removeAtExit } from './proc.js'

interface S3rverApp {
  callback(): (req: IncomingMessage, res: ServerResponse) => void
  configureBuckets(): Promise<void>
  logger: { exceptions: { unhandle(): void }; close(): void }
  store: S3rverStore
}
interface S3rverStore {
  getResourcePath(bucket: string, key: string, resource: string): string
  copyObject(srcBucket: string, srcKey: string, destBucket: string, destKey: string, replacementMetadata?: unknown): Promise<unknown>
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverApp
interface S3rverAccount {
  createKeyPair(accessKeyId: string, secretAccessKey: string): void
}

const require = createRequire(import.meta.url)

export interface S3Credentials {
  accessKeyId: string
  secretAccessKey: string
}

/** A key pair the server accepts; the secret is long and unusual so leak checks can search for it. */
export const S3_CREDENTIALS: S3Credentials = {
  accessKeyId: 'AKIATESTNIXBUILDTIME',
  secretAccessKey: 'tEsT-s3-Secret-7f3a9c1e5b2d8f4a6c0e'
}

export interface S3Request {
  method: string
  /** Path and query as sent, e.g. `/bucket/nar/x.nar.zst?partNumber=2&uploadId=…`. */
  url: string
  status: number
  /** Whether the request carried an Authorization header or a presigned signature. */
  signed: boolean
}

export interface S3Server {
  /** http://127.0.0.1:<port> (no trailing slash) */
  url: string
  port: number
  bucket: string
  /**
   * s3rver's storage directory: objects and unfinished multipart uploads; an object's
   * LastModified is its file's modification time there.
   */
  dir: string
  /** The same bucket over plain HTTP, path-style, as a Nix binary cache URL. */
  bucketUrl: string
  /** `s3://bucket?endpoint=…&region=us-east-1` plus `extra` query parameters. */
  s3Uri(extra?: string): string
  /** Finished requests, in the order their responses completed. */
  requests: S3Request[]
  /** The most requests of a method that were being served at the same moment. */
  maxInFlight(method: string): number
  stop(): Promise<void>
}

function registerCredentials(): void {
  const account = (require('@20minutes/s3rver/lib/models/account') as { DUMMY_ACCOUNT: S3rverAccount }).DUMMY_ACCOUNT
  account.createKeyPair(S3_CREDENTIALS.accessKeyId, S3_CREDENTIALS.secretAccessKey)
}

/**
 * S3 gives an object copied onto itself a new LastModified (that is how a push marks an object in
 * use for the retention GC, docs/gc.md); s3rver rewrites only the metadata file and keeps the
 * object file, whose modification time is its LastModified. This makes it answer as S3 does.
 */
function renewLastModifiedOnSelfCopy(store: S3rverStore): void {
  const copy = store.copyObject.bind(store)
  store.copyObject = async (srcBucket, srcKey, destBucket, destKey, replacementMetadata) => {
    if (srcBucket === destBucket && srcKey === destKey) {
      const now = new Date()
      await utimes(store.getResourcePath(srcBucket, srcKey, 'object'), now, now)
    }
    return copy(srcBucket, srcKey, destBucket, destKey, replacementMetadata)
  }
}

export interface S3ServerOptions {
  bucket?: string
  /**
   * Asked for every request: a status answers it with that S3 error instead of s3rver (as S3
   * answers a 500 InternalError or 503 SlowDown now and then); undefined lets s3rver answer.
   */
  fault?: (method: string, url: string) => number | undefined
  /** Asked for every request: a promise holds the request back until it settles (a slow server, at the moment a test chooses). */
  hold?: (method: string, url: string) => Promise<void> | undefined
  /** Told of every request once answered. */
  answered?: (request: S3Request) => void
}

const S3_ERROR_CODES: Record<number, string> = { 500: 'InternalError', 503: 'SlowDown' }

export async function startS3Server(opts: S3ServerOptions = {}): Promise<S3Server> {
  const bucket = opts.bucket ?? 'nix-cache'
  const dir = await mkdtemp(join(tmpdir(), 's3rver-'))
  removeAtExit(dir)
  const S3rver = require('@20minutes/s3rver') as S3rverConstructor
  registerCredentials()
  const app = new S3rver({ directory: dir, silent: true, configureBuckets: [{ name: bucket, configs: [] }] })
  await app.configureBuckets()
  renewLastModifiedOnSelfCopy(app.store)
  const handler = app.callback()

  const requests: S3Request[] = []
  const inFlight = new Map<string, number>()
  const peak = new Map<string, number>()
  const server: Server = createServer((req, res) => {
    const method = req.method ?? ''
    const now = (inFlight.get(method) ?? 0) + 1
    inFlight.set(method, now)
    peak.set(method, Math.max(peak.get(method) ?? 0, now))
    const signed = req.headers.authorization !== undefined || /[?&]X-Amz-Signature=/.test(req.url ?? '')
    let done = false
    const finish = (): void => {
      if (done) return
      done = true
      inFlight.set(method, (inFlight.get(method) ?? 1) - 1)
      const r = { method, url: req.url ?? '', status: res.statusCode, signed }
      requests.push(r)
      opts.answered?.(r)
    }
    res.on('finish', finish)
    res.on('close', finish)
    const status = opts.fault?.(method, req.url ?? '')
    if (status !== undefined) {
      req.resume()
      const code = S3_ERROR_CODES[status] ?? 'InjectedFault'
      res.writeHead(status, { 'content-type': 'application/xml' })
      res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>injected by the test</Message></Error>`)
      return
    }
    const held = opts.hold?.(method, req.url ?? '')
    if (held) held.then(() => handler(req, res), () => handler(req, res))
    else handler(req, res)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  const url = `http://127.0.0.1:${port}`
  let stopped: Promise<void> | undefined
  return {
    url,
    port,
    bucket,
    dir,
    bucketUrl: `${url}/${bucket}`,
    s3Uri: (extra = '') => `s3://${bucket}?endpoint=${url}&region=us-east-1${extra ? `&${extra}` : ''}`,
    requests,
    maxInFlight: (method) => peak.get(method) ?? 0,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => {
          app.logger.exceptions.unhandle()
          app.logger.close()
          resolve()
        })
      })
      return stopped
    }
  }
}
