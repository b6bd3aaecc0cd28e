// The agent's front with an S3 bucket upstream (issue 20), against s3rver on loopback: the job's
// Nix reads the bucket as a plain HTTP cache through it, each object passed through unchanged,
// signed with the agent's credentials; an endpoint that stops answering is given up after one
// idle timeout, as an HTTP cache is (front.test.ts).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { createServer, request, type IncomingHttpHeaders } from 'node:http'
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net'
import { gzipSync } from 'node:zlib'
import { serveCacheFront, type CacheFront } from '../../../src/pull/front.js'
import { s3Upstream } from '../../../src/pull/front-s3.js'
import { parseS3Uri } from '../../../src/config/s3-uri.js'
import { S3_CREDENTIALS, startS3Server, type S3Server } from '../../helpers/s3-server.js'
import { capturingHost } from '../../helpers/fixtures.js'
import { host, setHost } from '../../../src/runtime/host.js'

let s3: S3Server
const NAR = Buffer.alloc(3 * 1024 * 1024, 7)
const NARINFO_GZ = gzipSync('StorePath: /nix/store/aaaa-x\n')
const CACHE_INFO = 'StoreDir: /nix/store\nPriority: 40\n'

beforeAll(async () => {
  s3 = await startS3Server({ bucket: 'front-cache' })
  const client = new S3Client({ region: 'us-east-1', endpoint: s3.url, forcePathStyle: true, credentials: S3_CREDENTIALS })
  await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'nix-cache-info', Body: CACHE_INFO, ContentType: 'text/x-nix-cache-info' }))
  await client.send(
    new PutObjectCommand({ Bucket: s3.bucket, Key: 'aaaa.narinfo', Body: NARINFO_GZ, ContentType: 'text/x-nix-narinfo', ContentEncoding: 'gzip' })
  )
  await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'nar/big.nar', Body: NAR, ContentType: 'application/x-nix-nar' }))
  client.destroy()
})

afterAll(async () => {
  await s3?.stop()
})

interface Got {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

/** A raw request (no decoding of Content-Encoding), as curl in Nix makes it. */
function get(url: string, method = 'GET', headers: Record<string, string> = {}): Promise<Got> {
  return new Promise((resolve, reject) => {
    request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
      .on('error', reject)
      .end()
  })
}

function front(uri: string, over: { charge?: (ms: number, why: string) => void } = {}): Promise<CacheFront> {
  return serveCacheFront({
    upstream: s3Upstream(parseS3Uri(uri), S3_CREDENTIALS),
    storeDir: '/nix/store',
    idleMs: 500,
    jobGaveUp: () => undefined,
    ...over
  })
}

describe('the agent’s front for an S3 bucket', () => {
  it('passes objects through byte for byte, Content-Encoding and ranges included, asking the bucket with signed requests', async () => {
    const f = await front(s3.s3Uri())
    try {
      const before = s3.requests.length
      const info = await get(`${f.url}/nix-cache-info`)
      expect([info.status, info.body.toString()]).toEqual([200, CACHE_INFO])
      const narinfo = await get(`${f.url}/aaaa.narinfo`)
      expect(narinfo.status).toBe(200)
      expect(narinfo.headers['content-encoding']).toBe('gzip')
      expect(narinfo.headers['content-type']).toBe('text/x-nix-narinfo')
      expect(narinfo.body.equals(NARINFO_GZ)).toBe(true)
      const nar = await get(`${f.url}/nar/big.nar`)
      expect(nar.body.equals(NAR)).toBe(true)
      expect(nar.headers['content-length']).toBe(String(NAR.length))
      const head = await get(`${f.url}/nar/big.nar`, 'HEAD')
      expect([head.status, head.headers['content-length']]).toEqual([200, String(NAR.length)])
      const part = await get(`${f.url}/nar/big.nar`, 'GET', { Range: 'bytes=100-199' })
      expect(part.status).toBe(206)
      expect(part.body.equals(NAR.subarray(100, 200))).toBe(true)
      // "Not here" is the bucket's answer, passed on, for GET and HEAD; it does not open the breaker.
      expect((await get(`${f.url}/bbbb.narinfo`)).status).toBe(404)
      expect((await get(`${f.url}/bbbb.narinfo`, 'HEAD')).status).toBe(404)
      expect((await get(`${f.url}/aaaa.narinfo`)).status).toBe(200)
      expect(f.down).toBeUndefined()
      const asked = s3.requests.slice(before)
      expect(asked.map((r) => r.url)).toContain('/front-cache/aaaa.narinfo?x-id=GetObject')
      for (const r of asked) expect(r.signed).toBe(true)
    } finally {
      await f.close()
    }
  })

  it('reads a public bucket unsigned where the agent has no AWS credentials (a pull-only job without secrets)', async () => {
    const missing = async (): Promise<never> => {
      const e = new Error('Could not load credentials from any providers')
      e.name = 'CredentialsProviderError'
      throw e
    }
    const f = await serveCacheFront({ upstream: s3Upstream(parseS3Uri(s3.s3Uri()), missing), storeDir: '/nix/store', idleMs: 500, jobGaveUp: () => undefined })
    try {
      const before = s3.requests.length
      const narinfo = await get(`${f.url}/aaaa.narinfo`)
      expect([narinfo.status, narinfo.headers['content-encoding']]).toEqual([200, 'gzip'])
      expect(narinfo.body.equals(NARINFO_GZ)).toBe(true)
      expect((await get(`${f.url}/nar/big.nar`)).body.equals(NAR)).toBe(true)
      expect((await get(`${f.url}/bbbb.narinfo`)).status).toBe(404)
      expect(f.down).toBeUndefined()
      const asked = s3.requests.slice(before)
      expect(asked.map((r) => r.url)).toEqual(['/front-cache/aaaa.narinfo', '/front-cache/nar/big.nar', '/front-cache/bbbb.narinfo'])
      expect(asked.filter((r) => r.signed)).toEqual([])
    } finally {
      await f.close()
    }
  })

  it('says once, without the secret, that the bucket refuses the agent\'s credentials; Nix hears "not here"', async () => {
    const wrong = { accessKeyId: S3_CREDENTIALS.accessKeyId, secretAccessKey: 'not-the-secret-0123456789' }
    const capture = capturingHost()
    const before = host()
    setHost(capture.host)
    const f = await serveCacheFront({ upstream: s3Upstream(parseS3Uri(s3.s3Uri()), wrong), storeDir: '/nix/store', idleMs: 500, jobGaveUp: () => undefined })
    try {
      for (const key of ['aaaa.narinfo', 'bbbb.narinfo', 'aaaa.narinfo']) expect((await get(`${f.url}/${key}`)).status).toBe(403)
      expect(capture.warnings).toEqual([expect.stringMatching(/^s3:\/\/front-cache refused the job's AWS credentials \(SignatureDoesNotMatch\)/)])
      expect(capture.lines.join('\n')).not.toContain(wrong.secretAccessKey)
      // A refusal is an answer, not a dead cache: the breaker stays shut.
      expect(f.down).toBeUndefined()
    } finally {
      setHost(before)
      await f.close()
    }
  })

  it('gives an endpoint that accepts connections and never answers up after one idle timeout, then answers "not here" at once', async () => {
    const sockets = new Set<Socket>()
    const silent: TcpServer = createTcpServer((s) => {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
    })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`
    const charged: Array<[number, string]> = []
    const f = await front(`s3://front-cache?endpoint=${endpoint}&region=us-east-1`, { charge: (ms, why) => charged.push([ms, why]) })
    try {
      const started = Date.now()
      expect((await get(`${f.url}/aaaa.narinfo`)).status).toBe(404)
      expect(Date.now() - started).toBeGreaterThanOrEqual(450)
      expect(Date.now() - started).toBeLessThan(3_000)
      expect(f.down).toBe('no answer for 0.5 s from s3://front-cache/aaaa.narinfo')
      const connections = sockets.size
      const again = Date.now()
      expect((await get(`${f.url}/nar/big.nar`)).status).toBe(404)
      const info = await get(`${f.url}/nix-cache-info`)
      expect([info.status, info.body.toString()]).toEqual([200, 'StoreDir: /nix/store\n'])
      expect(Date.now() - again).toBeLessThan(400)
      expect(sockets.size).toBeLessThanOrEqual(connections)
      expect(charged).toEqual([[expect.any(Number), f.down]])
    } finally {
      await f.close()
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => silent.close(() => resolve()))
    }
  })

  it('opens the breaker on a 5xx from the endpoint', async () => {
    const broken = createServer((_req, res) => res.writeHead(503, { 'Content-Type': 'application/xml' }).end('<Error><Code>SlowDown</Code></Error>'))
    await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve))
    const f = await front(`s3://front-cache?endpoint=http://127.0.0.1:${(broken.address() as AddressInfo).port}&region=us-east-1`)
    try {
      expect((await get(`${f.url}/aaaa.narinfo`)).status).toBe(404)
      expect(f.down).toBe('HTTP 503 from s3://front-cache/aaaa.narinfo')
    } finally {
      await f.close()
      broken.closeAllConnections()
      await new Promise<void>((resolve) => broken.close(() => resolve()))
    }
  })
})
