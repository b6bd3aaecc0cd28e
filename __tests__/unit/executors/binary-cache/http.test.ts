import { describe, it, expect, beforeEach, afterEach } from '@jest/globals'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { createHash } from 'node:crypto'
import { zstdCompressSync } from 'node:zlib'
import { randomBytes } from 'node:crypto'
import { pipeline } from 'node:stream/promises'
import { compressor } from '../../../../src/format/compression.js'
import { zstdFrames } from '../../../helpers/zstd-frames.js'
import { toNix32 } from '../../../../src/format/nix32.js'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { HttpBackend, type HttpBackendOptions } from '../../../../src/executors/binary-cache/http.js'
import { CONTENT_TYPES } from '../../../../src/executors/binary-cache/backend.js'

interface Recorded {
  method: string
  url: string
  headers: IncomingHttpHeaders
  at: number
}

interface Reply {
  status: number
  headers?: Record<string, string>
  body?: string | Buffer
}

/**
 * A minimal binary cache: PUT stores, GET/HEAD serve, and scripted replies for a URL take
 * precedence (one per request, in order) so tests can inject failures.
 */
class TestCache {
  readonly files = new Map<string, { body: Buffer; contentType: string | undefined }>()
  readonly requests: Recorded[] = []
  readonly scripted = new Map<string, Reply[]>()
  /** URLs answered with this status as soon as the headers arrive, without reading the body. */
  readonly early = new Map<string, number>()
  /** Applied to every request before answering, to observe concurrency. */
  delayMs = 0
  inFlight = 0
  maxInFlight = 0
  private server: Server | undefined
  port = 0

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const earlyStatus = this.early.get(`${req.method} ${req.url}`)
      if (earlyStatus !== undefined) {
        this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, at: Date.now() })
        res.writeHead(earlyStatus, { Connection: 'close' })
        res.end()
        return
      }
      const chunks: Buffer[] = []
      this.inFlight++
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const method = req.method ?? ''
        const url = req.url ?? ''
        this.requests.push({ method, url, headers: req.headers, at: Date.now() })
        const answer = (): void => {
          this.inFlight--
          const script = this.scripted.get(`${method} ${url}`)
          const reply = script?.shift()
          if (reply) {
            res.writeHead(reply.status, reply.headers)
            res.end(reply.body)
            return
          }
          if (method === 'PUT') {
            this.files.set(url, { body: Buffer.concat(chunks), contentType: req.headers['content-type'] })
            res.writeHead(201)
            res.end()
            return
          }
          const file = this.files.get(url)
          if (!file) {
            res.writeHead(404)
            res.end(method === 'HEAD' ? undefined : 'not found')
            return
          }
          res.writeHead(200, { 'Content-Length': file.body.length })
          res.end(method === 'HEAD' ? undefined : file.body)
        }
        if (this.delayMs > 0) setTimeout(answer, this.delayMs)
        else answer()
      })
    })
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    this.port = (this.server.address() as AddressInfo).port
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections()
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve())
  }

  script(methodAndUrl: string, ...replies: Reply[]): void {
    this.scripted.set(methodAndUrl, replies)
  }

  count(method: string, url: string): number {
    return this.requests.filter((r) => r.method === method && r.url === url).length
  }
}

const HASH_A = 'a'.repeat(32)
const HASH_B = 'b'.repeat(32)
const HASH_C = 'c'.repeat(32)

/** Tiny delays so retry tests are fast; attempts kept small and explicit. */
const FAST_RETRY = { baseDelayMs: 5, maxDelayMs: 20, attempts: 3 }

function bodyOf(...chunks: string[]): () => Readable {
  return () => Readable.from(chunks.map((c) => Buffer.from(c)))
}

describe('HttpBackend', () => {
  let cache: TestCache
  let tmp: string
  let noNetrc: string

  beforeEach(async () => {
    cache = new TestCache()
    await cache.start()
    tmp = await mkdtemp(join(tmpdir(), 'http-backend-test-'))
    // Point at a missing file so a developer's ~/.netrc never leaks into the tests.
    noNetrc = join(tmp, 'no-netrc')
  })

  afterEach(async () => {
    await cache.stop()
    await rm(tmp, { recursive: true, force: true })
  })

  function backend(opts: Partial<HttpBackendOptions> = {}, path = '/cache'): HttpBackend {
    return new HttpBackend({
      url: `http://127.0.0.1:${cache.port}${path}`,
      netrcFile: noNetrc,
      retry: FAST_RETRY,
      ...opts
    })
  }

  describe('URLs', () => {
    it('strips userinfo, query and trailing slashes from displayUrl and requests', async () => {
      const b = backend({}, '/cache/?compression=zstd&parallel-compression=true')
      expect(b.displayUrl).toBe(`http://127.0.0.1:${cache.port}/cache`)
      await b.put('x.narinfo', bodyOf('x'), CONTENT_TYPES.narinfo)
      expect(cache.requests.map((r) => r.url)).toEqual(['/cache/x.narinfo'])

      const withUser = new HttpBackend({ url: `http://me:pw@127.0.0.1:${cache.port}/c?x=1`, netrcFile: noNetrc })
      expect(withUser.displayUrl).toBe(`http://127.0.0.1:${cache.port}/c`)
      expect(withUser.displayUrl).not.toContain('pw')
    })

    it('works at the server root', async () => {
      const b = backend({}, '')
      await b.put('nar/x.nar', bodyOf('x'), CONTENT_TYPES.nar)
      expect(cache.requests[0]!.url).toBe('/nar/x.nar')
    })

    it('rejects other schemes and does not echo a bad URL', () => {
      expect(() => new HttpBackend({ url: 's3://bucket' })).toThrow(/http/)
      expect(() => new HttpBackend({ url: 'not a url secret-token' })).toThrow(
        expect.objectContaining({ message: expect.not.stringContaining('secret-token') as unknown })
      )
    })
  })

  describe('whether a cut upload can leave anything behind', () => {
    const cacheInfo = 'StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 40\n'
    it.each([
      ['nginx/1.22.1', true],
      ['nginx', true],
      ['openresty/1.25.3.1', true],
      ['Apache/2.4.62 (Debian)', false],
      ['nginx-lookalike', false],
      [undefined, false]
    ])("trusts only nginx to drop a cut body, by the Server header of nix-cache-info's answer: %s", async (server, drops) => {
      const b = backend()
      // Before anything has answered, nothing is known: a first pass.
      expect(b.dropsCutBodies()).toBe(false)
      cache.script('GET /cache/nix-cache-info', { status: 200, headers: server === undefined ? {} : { Server: server }, body: cacheInfo })
      await b.prepare('/nix/store')
      expect(b.dropsCutBodies()).toBe(drops)
    })

    it('learns it from a 404 too, which a new cache answers before it gets its nix-cache-info', async () => {
      const b = backend()
      cache.script('GET /cache/nix-cache-info', { status: 404, headers: { Server: 'nginx/1.26.0' }, body: 'not found' })
      await b.prepare('/nix/store')
      expect(cache.count('PUT', '/cache/nix-cache-info')).toBe(1)
      expect(b.dropsCutBodies()).toBe(true)
    })
  })

  describe('put', () => {
    it('streams a chunked body with the content type', async () => {
      const chunks = Array.from({ length: 50 }, (_, i) => `chunk ${i} ${'x'.repeat(1000)}\n`)
      await backend().put(`nar/${HASH_A}.nar.zst`, bodyOf(...chunks), CONTENT_TYPES.nar)
      const stored = cache.files.get(`/cache/nar/${HASH_A}.nar.zst`)
      expect(stored?.body.toString()).toBe(chunks.join(''))
      expect(stored?.contentType).toBe('application/x-nix-nar')
      const req = cache.requests[0]!
      expect(req.method).toBe('PUT')
      expect(req.headers['transfer-encoding']).toBe('chunked')
    })

    it('retries 503 with a fresh body, then succeeds', async () => {
      cache.script(`PUT /cache/${HASH_A}.narinfo`, { status: 503 })
      let made = 0
      const factory = (): Readable => {
        made++
        return Readable.from([Buffer.from('StorePath: '), Buffer.from('x\n')])
      }
      await backend().put(`${HASH_A}.narinfo`, factory, CONTENT_TYPES.narinfo)
      expect(made).toBe(2)
      expect(cache.count('PUT', `/cache/${HASH_A}.narinfo`)).toBe(2)
      expect(cache.files.get(`/cache/${HASH_A}.narinfo`)?.body.toString()).toBe('StorePath: x\n')
    })

    it('honours Retry-After on 429: exactly 2 requests, at least ~1 s apart', async () => {
      cache.script(`PUT /cache/${HASH_A}.narinfo`, { status: 429, headers: { 'Retry-After': '1' } })
      const start = Date.now()
      await backend().put(`${HASH_A}.narinfo`, bodyOf('data'), CONTENT_TYPES.narinfo)
      const reqs = cache.requests.filter((r) => r.url === `/cache/${HASH_A}.narinfo`)
      expect(reqs).toHaveLength(2)
      expect(reqs[1]!.at - reqs[0]!.at).toBeGreaterThanOrEqual(950)
      expect(Date.now() - start).toBeGreaterThanOrEqual(950)
      expect(cache.files.get(`/cache/${HASH_A}.narinfo`)?.body.toString()).toBe('data')
    })

    it('gives up after the configured attempts on a persistent 500', async () => {
      const key = `nar/${HASH_B}.nar`
      cache.script(`PUT /cache/${key}`, ...Array.from({ length: 10 }, () => ({ status: 500 })))
      const warnings: string[] = []
      let retries = 0
      const b = backend({ retry: { ...FAST_RETRY, attempts: 4, onRetry: () => void retries++ }, warn: (m) => warnings.push(m) })
      await expect(b.put(key, bodyOf('x'), CONTENT_TYPES.nar)).rejects.toThrow(
        `PUT ${b.displayUrl}/${key}: HTTP 500 Internal Server Error (gave up after 4 attempts)`
      )
      expect(cache.count('PUT', `/cache/${key}`)).toBe(4)
      // Retries are logged as lines of their own, not warnings: the final failure is the one warning.
      expect(retries).toBe(3)
      expect(warnings).toEqual([])
      expect(cache.files.has(`/cache/${key}`)).toBe(false)
    })

    it('fails fast on 403 with a clear message', async () => {
      cache.script(`PUT /cache/${HASH_A}.narinfo`, { status: 403 }, { status: 403 })
      const b = backend()
      await expect(b.put(`${HASH_A}.narinfo`, bodyOf('x'), CONTENT_TYPES.narinfo)).rejects.toThrow(
        `PUT ${b.displayUrl}/${HASH_A}.narinfo: HTTP 403 Forbidden`
      )
      expect(cache.requests).toHaveLength(1)
    })

    it('fails fast when the server refuses before reading a large body', async () => {
      cache.early.set('PUT /cache/big', 403)
      let produced = 0
      const big = (): Readable =>
        new Readable({
          read() {
            // 64 MiB in 64 KiB chunks: far more than socket buffers hold.
            if (produced >= 1024) return void this.push(null)
            produced++
            this.push(Buffer.alloc(65536, 1))
          }
        })
      const b = backend()
      await expect(b.put('big', big, CONTENT_TYPES.nar)).rejects.toThrow(`PUT ${b.displayUrl}/big: HTTP 403 Forbidden`)
      expect(cache.requests).toHaveLength(1)
      expect(produced).toBeLessThan(1024)
    })

    it('retries 408 but not other 4xx', async () => {
      cache.script(`PUT /cache/a`, { status: 408 })
      await backend().put('a', bodyOf('x'), 'text/plain')
      expect(cache.count('PUT', '/cache/a')).toBe(2)

      cache.script(`PUT /cache/b`, { status: 413 }, { status: 413 })
      await expect(backend().put('b', bodyOf('x'), 'text/plain')).rejects.toThrow('HTTP 413')
      expect(cache.count('PUT', '/cache/b')).toBe(1)
    })

    it('reports a redirect instead of following it with a consumed body', async () => {
      cache.script(`PUT /cache/a`, { status: 307, headers: { Location: '/elsewhere/a' } })
      await expect(backend().put('a', bodyOf('x'), 'text/plain')).rejects.toThrow('answered with a redirect')
      expect(cache.requests.map((r) => r.url)).toEqual(['/cache/a'])
    })

    it('retries network errors, then fails with a clear message', async () => {
      const port = cache.port
      await cache.stop()
      let made = 0
      const b = new HttpBackend({ url: `http://127.0.0.1:${port}/c`, netrcFile: noNetrc, retry: FAST_RETRY })
      const err = await b
        .put(
          'k',
          () => {
            made++
            return Readable.from([Buffer.from('x')])
          },
          'text/plain'
        )
        .catch((e: unknown) => e)
      expect(err).toBeInstanceOf(Error)
      expect((err as Error).message).toMatch(new RegExp(`^PUT http://127.0.0.1:${port}/c/k: fetch failed`))
      expect((err as Error).message).toContain('ECONNREFUSED')
      expect((err as Error).message).toContain('(gave up after 3 attempts)')
      expect(made).toBe(3)
      // Restart so afterEach can stop it again.
      await cache.start()
    })

    it('fails after retries when the body itself cannot be produced', async () => {
      const broken = (): Readable =>
        new Readable({
          read() {
            this.destroy(new Error('disk on fire'))
          }
        })
      await expect(backend().put('k', broken, 'text/plain')).rejects.toThrow(/PUT .*\/cache\/k: /)
    })
  })

  describe('existing', () => {
    it('reports which narinfos exist; 404 and 403 mean absent', async () => {
      cache.files.set(`/cache/${HASH_A}.narinfo`, { body: Buffer.from('x'), contentType: undefined })
      cache.script(`HEAD /cache/${HASH_C}.narinfo`, { status: 403 })
      const found = await backend().existing([HASH_A, HASH_B, HASH_C])
      expect([...found]).toEqual([HASH_A])
      expect(cache.requests.every((r) => r.method === 'HEAD')).toBe(true)
      expect(cache.requests).toHaveLength(3)
    })

    it('returns an empty set for no input without requests', async () => {
      expect((await backend().existing([])).size).toBe(0)
      expect(cache.requests).toHaveLength(0)
    })

    it('bounds the number of parallel requests', async () => {
      cache.delayMs = 20
      const hashes = Array.from({ length: 40 }, (_, i) => i.toString().padStart(32, '0'))
      for (const h of hashes.slice(0, 10)) cache.files.set(`/cache/${h}.narinfo`, { body: Buffer.from('x'), contentType: undefined })
      const found = await backend({ concurrency: 4 }).existing(hashes)
      expect(found).toEqual(new Set(hashes.slice(0, 10)))
      expect(cache.maxInFlight).toBeLessThanOrEqual(4)
      expect(cache.maxInFlight).toBeGreaterThan(1)
    })

    it('retries 503 and honours Retry-After on 429', async () => {
      cache.files.set(`/cache/${HASH_A}.narinfo`, { body: Buffer.from('x'), contentType: undefined })
      cache.files.set(`/cache/${HASH_B}.narinfo`, { body: Buffer.from('x'), contentType: undefined })
      cache.script(`HEAD /cache/${HASH_A}.narinfo`, { status: 503 })
      cache.script(`HEAD /cache/${HASH_B}.narinfo`, { status: 429, headers: { 'Retry-After': '1' } })
      const found = await backend().existing([HASH_A, HASH_B])
      expect(found).toEqual(new Set([HASH_A, HASH_B]))
      const b = cache.requests.filter((r) => r.url === `/cache/${HASH_B}.narinfo`)
      expect(b).toHaveLength(2)
      expect(b[1]!.at - b[0]!.at).toBeGreaterThanOrEqual(950)
      expect(cache.count('HEAD', `/cache/${HASH_A}.narinfo`)).toBe(2)
    })

    it('treats a check that keeps failing as absent, with a warning', async () => {
      cache.files.set(`/cache/${HASH_A}.narinfo`, { body: Buffer.from('x'), contentType: undefined })
      cache.script(`HEAD /cache/${HASH_A}.narinfo`, ...Array.from({ length: 5 }, () => ({ status: 500 })))
      const warnings: string[] = []
      const found = await backend({ warn: (m) => warnings.push(m) }).existing([HASH_A])
      expect(found.size).toBe(0)
      expect(cache.count('HEAD', `/cache/${HASH_A}.narinfo`)).toBe(3)
      expect(warnings.at(-1)).toMatch(/HTTP 500.*assuming it is not cached/)
    })

    it('treats an unreachable server as "nothing cached"', async () => {
      const port = cache.port
      await cache.stop()
      const b = new HttpBackend({ url: `http://127.0.0.1:${port}/c`, netrcFile: noNetrc, retry: FAST_RETRY })
      expect((await b.existing([HASH_A, HASH_B])).size).toBe(0)
      await cache.start()
    })
  })

  describe('authentication', () => {
    it('sends the configured auth header on every request', async () => {
      const b = backend({ authHeader: { name: 'Authorization', value: 'Bearer t0ken' } })
      await b.prepare('/nix/store')
      await b.existing([HASH_A])
      await b.put('k', bodyOf('x'), 'text/plain')
      expect(cache.requests.map((r) => r.method)).toEqual(['GET', 'PUT', 'HEAD', 'PUT'])
      for (const r of cache.requests) expect(r.headers['authorization']).toBe('Bearer t0ken')
    })

    it('supports custom header names', async () => {
      await backend({ authHeader: { name: 'X-Api-Key', value: 'k' } }).existing([HASH_A])
      expect(cache.requests[0]!.headers['x-api-key']).toBe('k')
      expect(cache.requests[0]!.headers['authorization']).toBeUndefined()
    })

    it('uses Basic auth from netrc for the host', async () => {
      const netrc = join(tmp, 'netrc')
      await writeFile(
        netrc,
        'machine other.example login no password no\nmachine 127.0.0.1\n  login alice\n  password s3cr:et\n'
      )
      const b = backend({ netrcFile: netrc })
      await b.existing([HASH_A])
      await b.put('k', bodyOf('x'), 'text/plain')
      const expected = `Basic ${Buffer.from('alice:s3cr:et').toString('base64')}`
      expect(cache.requests.map((r) => r.headers['authorization'])).toEqual([expected, expected])
    })

    it('sends no credentials when netrc has none for the host', async () => {
      const netrc = join(tmp, 'netrc')
      await writeFile(netrc, 'machine other.example login no password no\n')
      await backend({ netrcFile: netrc }).existing([HASH_A])
      expect(cache.requests[0]!.headers['authorization']).toBeUndefined()
    })

    it('prefers the auth header over netrc, and turns URL userinfo into Basic auth', async () => {
      const netrc = join(tmp, 'netrc')
      await writeFile(netrc, 'machine 127.0.0.1 login alice password pw\n')
      await backend({ netrcFile: netrc, authHeader: { name: 'Authorization', value: 'Bearer x' } }).existing([HASH_A])
      expect(cache.requests[0]!.headers['authorization']).toBe('Bearer x')

      const b = new HttpBackend({ url: `http://bob:p%40ss@127.0.0.1:${cache.port}/c`, netrcFile: netrc })
      await b.existing([HASH_A])
      expect(cache.requests[1]!.headers['authorization']).toBe(`Basic ${Buffer.from('bob:p@ss').toString('base64')}`)
    })

    it('never puts credentials into error messages or warnings', async () => {
      const netrc = join(tmp, 'netrc')
      await writeFile(netrc, 'machine 127.0.0.1 login alice password topsecret\n')
      cache.script('PUT /c/k', { status: 403 })
      const warnings: string[] = []
      const b = new HttpBackend({
        url: `http://u:urlsecret@127.0.0.1:${cache.port}/c`,
        netrcFile: netrc,
        warn: (m) => warnings.push(m)
      })
      const err = (await b.put('k', bodyOf('x'), 'text/plain').catch((e: unknown) => e)) as Error
      expect(err.message).not.toMatch(/urlsecret|topsecret/)
      expect(warnings.join('\n')).not.toMatch(/urlsecret|topsecret/)
    })
  })

  describe('prepare', () => {
    it('writes nix-cache-info when it is missing', async () => {
      await backend().prepare('/nix/store')
      const info = cache.files.get('/cache/nix-cache-info')
      expect(info?.body.toString()).toBe('StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 41\n')
      expect(info?.contentType).toBe('text/x-nix-cache-info')
      expect(cache.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
        'GET /cache/nix-cache-info',
        'PUT /cache/nix-cache-info'
      ])
    })

    it('leaves an existing, matching nix-cache-info alone', async () => {
      const original = 'StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 30\n'
      cache.files.set('/cache/nix-cache-info', { body: Buffer.from(original), contentType: undefined })
      await backend().prepare('/nix/store')
      expect(cache.requests.map((r) => r.method)).toEqual(['GET'])
      expect(cache.files.get('/cache/nix-cache-info')?.body.toString()).toBe(original)
    })

    it('refuses a cache for another store directory', async () => {
      cache.files.set('/cache/nix-cache-info', { body: Buffer.from('StoreDir: /gnu/store\n'), contentType: undefined })
      await expect(backend().prepare('/nix/store')).rejects.toThrow(/\/gnu\/store.*\/nix\/store/)
      expect(cache.requests.map((r) => r.method)).toEqual(['GET'])
    })

    it('retries a transient failure of the GET', async () => {
      cache.script('GET /cache/nix-cache-info', { status: 502 })
      cache.files.set('/cache/nix-cache-info', { body: Buffer.from('StoreDir: /nix/store\n'), contentType: undefined })
      await backend().prepare('/nix/store')
      expect(cache.requests.map((r) => r.method)).toEqual(['GET', 'GET'])
    })

    it('fails clearly on an unexpected status', async () => {
      cache.script('GET /cache/nix-cache-info', { status: 401 })
      const b = backend()
      await expect(b.prepare('/nix/store')).rejects.toThrow(`GET ${b.displayUrl}/nix-cache-info: HTTP 401 Unauthorized`)
    })
  })

  describe('NARs from the shared writer', () => {
    it('publishes the verified file with If-None-Match: * and its length, and reads 412 as already there', async () => {
      const file = join(tmp, 'nar.spool')
      await writeFile(file, 'verified nar bytes')
      const b = backend()
      expect(await b.publish('nar/x.nar.zst', file, CONTENT_TYPES.nar)).toBe('written')
      const put = cache.requests.find((r) => r.method === 'PUT' && r.url === '/cache/nar/x.nar.zst')
      expect(put?.headers['if-none-match']).toBe('*')
      expect(put?.headers['content-length']).toBe(String('verified nar bytes'.length))
      expect(cache.files.get('/cache/nar/x.nar.zst')?.body.toString()).toBe('verified nar bytes')

      cache.script('PUT /cache/nar/x.nar.zst', { status: 412 })
      await writeFile(file, 'other bytes')
      expect(await b.publish('nar/x.nar.zst', file, CONTENT_TYPES.nar)).toBe('existed')
      expect(cache.files.get('/cache/nar/x.nar.zst')?.body.toString()).toBe('verified nar bytes')
    })

    it('retries a failed upload from the file, sending the same bytes again', async () => {
      const file = join(tmp, 'retry.spool')
      await writeFile(file, 'the same bytes every time')
      cache.script('PUT /cache/nar/r.nar.zst', { status: 503 })
      expect(await backend().publish('nar/r.nar.zst', file, CONTENT_TYPES.nar)).toBe('written')
      expect(cache.count('PUT', '/cache/nar/r.nar.zst')).toBe(2)
      expect(cache.files.get('/cache/nar/r.nar.zst')?.body.toString()).toBe('the same bytes every time')
    })

    // What a server serves under a NAR's name may be what an upload cut mid-body left there
    // (e2e/faults/http.test.ts): it counts only when its bytes are the NAR its name promises.
    const narBytes = Buffer.from('the bytes of a NAR, '.repeat(200))
    const narName = `nar/${toNix32(createHash('sha256').update(narBytes).digest())}`

    it('has: a whole NAR the server serves is there (and is never replaced unconditionally); 404 and 403 are not', async () => {
      const whole = zstdCompressSync(narBytes)
      cache.files.set(`/cache/${narName}.nar.zst`, { body: whole, contentType: undefined })
      cache.files.set(`/cache/${narName}.nar`, { body: narBytes, contentType: undefined })
      const b = backend()
      expect(await b.has(`${narName}.nar.zst`)).toBe(true)
      expect(await b.has(`${narName}.nar`)).toBe(true)
      expect(await b.has('nar/missing.nar.zst')).toBe(false)
      cache.script(`GET /cache/${narName}.nar.xz`, { status: 403 })
      expect(await b.has(`${narName}.nar.xz`)).toBe(false)
      expect(cache.requests.filter((r) => r.method === 'PUT')).toEqual([])
      // A publish under the name of a whole NAR found there stays conditional (unlike a damaged one, below).
      const file = join(tmp, 'whole.spool')
      await writeFile(file, whole)
      await b.publish(`${narName}.nar.zst`, file, CONTENT_TYPES.nar)
      const puts = cache.requests.filter((r) => r.method === 'PUT')
      expect(puts.map((r) => r.url)).toEqual([`/cache/${narName}.nar.zst`])
      expect(puts[0].headers['if-none-match']).toBe('*')
    })

    it('has: a NAR cut short under its final name is not there, and publish replaces it despite If-None-Match', async () => {
      const whole = zstdCompressSync(narBytes)
      cache.files.set(`/cache/${narName}.nar.zst`, { body: whole.subarray(0, whole.length >> 1), contentType: undefined })
      const b = backend()
      expect(await b.has(`${narName}.nar.zst`)).toBe(false)
      const file = join(tmp, 'whole.spool')
      await writeFile(file, whole)
      expect(await b.publish(`${narName}.nar.zst`, file, CONTENT_TYPES.nar)).toBe('written')
      const put = cache.requests.find((r) => r.method === 'PUT')
      expect(put?.headers['if-none-match']).toBeUndefined()
      expect(cache.files.get(`/cache/${narName}.nar.zst`)?.body.equals(whole)).toBe(true)
    })

    it('has: other bytes under a NAR name are not that NAR', async () => {
      cache.files.set(`/cache/${narName}.nar`, { body: Buffer.from('something else'), contentType: undefined })
      expect(await backend().has(`${narName}.nar`)).toBe(false)
    })

    it('has: a large NAR the action wrote as many zstd frames is whole, every frame read', async () => {
      const big = Buffer.concat([randomBytes(5 << 20), Buffer.alloc(6 << 20, 'nix-store '), randomBytes(3 << 20)])
      const name = `nar/${toNix32(createHash('sha256').update(big).digest())}.nar.zst`
      const z = compressor('zstd', big.length)
      const out: Buffer[] = []
      z.on('data', (c: Buffer) => out.push(c))
      await pipeline(Readable.from([big]), z)
      const file = Buffer.concat(out)
      expect(zstdFrames(file).length).toBeGreaterThanOrEqual(3)
      cache.files.set(`/cache/${name}`, { body: file, contentType: undefined })
      expect(await backend().has(name)).toBe(true)
      // Cut after its first frame, the same file is not whole.
      cache.files.set(`/cache/${name}`, { body: file.subarray(0, zstdFrames(file)[0]!.length), contentType: undefined })
      expect(await backend().has(name)).toBe(false)
    })

    it('has: a read the network cuts short is retried, not taken for a damaged NAR', async () => {
      const whole = zstdCompressSync(narBytes)
      cache.files.set(`/cache/${narName}.nar.zst`, { body: whole, contentType: undefined })
      cache.script(`GET /cache/${narName}.nar.zst`, {
        status: 200,
        headers: { 'Content-Length': String(whole.length), Connection: 'close' },
        body: whole.subarray(0, whole.length >> 1)
      })
      const b = backend()
      expect(await b.has(`${narName}.nar.zst`)).toBe(true)
      expect(cache.requests.filter((r) => r.method === 'GET').length).toBe(2)
      const file = join(tmp, 'again.spool')
      await writeFile(file, whole)
      await b.publish(`${narName}.nar.zst`, file, CONTENT_TYPES.nar)
      expect(cache.requests.find((r) => r.method === 'PUT')?.headers['if-none-match']).toBe('*')
    })
  })
})
