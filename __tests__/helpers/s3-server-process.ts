// s3rver in its own process (s3-server-main.mjs), for tests where the S3 endpoint dies under a
// running job: `freeze()` stops the process (SIGSTOP), so the endpoint still accepts connections
// (the kernel's listen backlog) and never answers, as a hung server does.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { removeAtExit, spawnTracked } from './proc.js'
import { REPO_ROOT } from './runner.js'
import { S3_CREDENTIALS, type S3Request } from './s3-server.js'

export interface S3ServerProcess {
  /** http://127.0.0.1:<port> */
  url: string
  bucket: string
  /** `s3://bucket?endpoint=…&region=us-east-1` */
  s3Uri: string
  /** The same bucket over plain HTTP, path-style. */
  bucketUrl: string
  /** Finished requests, as the server reported them (none while frozen). */
  requests: S3Request[]
  /** Writes an object, signed (the bucket takes anonymous reads only). */
  put(key: string, body: Buffer | string, contentType?: string): Promise<void>
  /** SIGSTOP: connections are still accepted, nothing is answered. */
  freeze(): void
  stop(): Promise<void>
}

// From the repository root, not this module's URL: the bench bundles this helper elsewhere.
const MAIN = join(REPO_ROOT, '__tests__', 'helpers', 's3-server-main.mjs')

export async function startS3ServerProcess(opts: { bucket?: string } = {}): Promise<S3ServerProcess> {
  const bucket = opts.bucket ?? 'nix-cache'
  const dir = await mkdtemp(join(tmpdir(), 's3rver-proc-'))
  removeAtExit(dir)
  const child = spawnTracked(process.execPath, [MAIN, dir, bucket, S3_CREDENTIALS.accessKeyId, S3_CREDENTIALS.secretAccessKey], { env: process.env })
  const requests: S3Request[] = []
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    lines.on('line', (line) => {
      const msg = JSON.parse(line) as { port?: number } & S3Request
      if (msg.port !== undefined) resolve(msg.port)
      else requests.push(msg)
    })
    let stderr = ''
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()))
    child.once('exit', (code) => reject(new Error(`s3rver exited (${code}) before it listened: ${stderr}`)))
  })
  const url = `http://127.0.0.1:${port}`
  const client = new S3Client({ region: 'us-east-1', endpoint: url, forcePathStyle: true, credentials: S3_CREDENTIALS })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {
    url,
    bucket,
    s3Uri: `s3://${bucket}?endpoint=${url}&region=us-east-1`,
    bucketUrl: `${url}/${bucket}`,
    requests,
    put: async (Key, Body, ContentType) => {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key, Body, ContentType }))
    },
    freeze: () => process.kill(child.pid!, 'SIGSTOP'),
    stop: async () => {
      client.destroy()
      if (child.exitCode !== null || child.signalCode !== null) return
      process.kill(child.pid!, 'SIGKILL')
      await exited
    }
  }
}
