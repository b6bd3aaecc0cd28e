// The agent's front for an HTTP cache the job's Nix pulls from (issue 20), against real sockets:
// answers pass through unchanged with the cache's credentials added, and a cache that stops
// answering is given up after one idle timeout, then answered "not here" at once.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { gzipSync } from 'node:zlib'
import { serveCacheFront, type CacheFront, type FrontOptions } from '../../../src/pull/front.js'
import { httpUpstream } from '../../../src/pull/front-http.js'

let server: Server
let base = ''
const sockets = new Set<Socket>()
const seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders }> = []
/** Paths below this prefix are accepted and never answered. */
let hangAll = false
const NAR = Buffer.alloc(3 * 1024 * 1024, 7)
/** More than the sockets' buffers hold, so that a client that stops reading holds the front up. */
const HUGE = Buffer.alloc(64 * 1024 * 1024, 9)
const NARINFO_GZ = gzipSync('StorePath: /nix/store/aaaa-x\n')

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers })
    if (hangAll || req.url?.includes('/hang')) return
    if (req.url === '/c/nix-cache-info') return void res.writeHead(200, { 'Content-Type': 'text/x-nix-cache-info' }).end('StoreDir: /nix/store\nPriority: 30\n')
    if (req.url === '/c/aaaa.narinfo') return void res.writeHead(200, { 'Content-Type': 'text/x-nix-narinfo', 'Content-Encoding': 'gzip' }).end(NARINFO_GZ)
    if (req.url === '/c/nar/big.nar') return void res.writeHead(200, { 'Content-Length': NAR.length }).end(req.method === 'HEAD' ? undefined : NAR)
    if (req.url === '/c/nar/huge.nar') return void res.writeHead(200, { 'Content-Length': HUGE.length }).end(HUGE)
    if (req.url === '/c/503.narinfo') return void res.writeHead(503).end()
    if (req.url === '/c/nar/stalls.nar') {
      // Headers and a first part, then nothing more: a cache dying mid-NAR.
      res.writeHead(200, { 'Content-Length': NAR.length })
      res.write(NAR.subarray(0, 1000))
      return
    }
    res.writeHead(404).end()
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  for (const s of sockets) s.destroy()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

async function front(over: Partial<FrontOptions> = {}): Promise<CacheFront> {
  return serveCacheFront({
    upstream: httpUpstream(`${base}/c`, async () => ({ Authorization: 'Bearer front-test-token' })),
    storeDir: '/nix/store',
    idleMs: 500,
    jobGaveUp: () => undefined,
    ...over
  })
}

interface Got {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

/** A raw GET (no decoding of Content-Encoding), as curl in Nix makes it. */
function get(url: string, method = 'GET'): Promise<Got> {
  return new Promise((resolve, reject) => {
    request(url, { method }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
      .on('error', reject)
      .end()
  })
}

describe('the agent’s front for an HTTP cache', () => {
  it('passes narinfos and NARs through byte for byte, headers included, with the cache’s credentials added', async () => {
    const f = await front()
    try {
      expect(f.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}$/)
      const info = await get(`${f.url}/nix-cache-info`)
      expect([info.status, info.body.toString()]).toEqual([200, 'StoreDir: /nix/store\nPriority: 30\n'])
      const narinfo = await get(`${f.url}/aaaa.narinfo`)
      expect(narinfo.status).toBe(200)
      expect(narinfo.headers['content-encoding']).toBe('gzip')
      expect(narinfo.body.equals(NARINFO_GZ)).toBe(true)
      const nar = await get(`${f.url}/nar/big.nar`)
      expect(nar.body.equals(NAR)).toBe(true)
      expect((await get(`${f.url}/nar/big.nar`, 'HEAD')).headers['content-length']).toBe(String(NAR.length))
      // "Not here" is the cache's answer, passed on; it does not open the breaker.
      expect((await get(`${f.url}/bbbb.narinfo`)).status).toBe(404)
      expect((await get(`${f.url}/aaaa.narinfo`)).status).toBe(200)
      expect(f.down).toBeUndefined()
      const asked = seen.filter((r) => r.url === '/c/aaaa.narinfo')
      expect(asked.length).toBeGreaterThan(0)
      for (const r of asked) expect(r.headers.authorization).toBe('Bearer front-test-token')
    } finally {
      await f.close()
    }
  })

  it('says a nix-cache-info of its own where the cache has none yet (Nix would try to write one, and skip the cache)', async () => {
    const f = await front({ upstream: httpUpstream(`${base}/empty`, async () => ({})), storeDir: '/custom/store' })
    try {
      const info = await get(`${f.url}/nix-cache-info`)
      expect([info.status, info.body.toString()]).toEqual([200, 'StoreDir: /custom/store\n'])
      expect(seen.some((r) => r.url === '/empty/nix-cache-info')).toBe(true)
      expect(f.down).toBeUndefined()
    } finally {
      await f.close()
    }
  })

  it('serves nothing outside its secret path, and takes only GET and HEAD', async () => {
    const f = await front()
    try {
      const port = new URL(f.url).port
      const before = seen.length
      expect((await get(`http://127.0.0.1:${port}/nix-cache-info`)).status).toBe(404)
      expect((await get(`http://127.0.0.1:${port}/${'0'.repeat(32)}/nix-cache-info`)).status).toBe(404)
      expect((await get(`${f.url}/aaaa.narinfo`, 'PUT')).status).toBe(405)
      expect(seen.length).toBe(before)
    } finally {
      await f.close()
    }
  })

  it('gives a cache that stops answering up after one idle timeout, then answers "not here" at once, and nix-cache-info in its place', async () => {
    const charged: Array<[number, string]> = []
    const f = await front({ charge: (ms, why) => charged.push([ms, why]) })
    try {
      // Known before the cache died: said again in its place, as it was.
      expect((await get(`${f.url}/nix-cache-info`)).status).toBe(200)
      hangAll = true
      const started = Date.now()
      const first = await get(`${f.url}/aaaa.narinfo`)
      expect(first.status).toBe(404)
      expect(Date.now() - started).toBeGreaterThanOrEqual(450)
      expect(Date.now() - started).toBeLessThan(3_000)
      expect(f.down).toMatch(/^no answer for 0\.5 s from http:\/\/127\.0\.0\.1:\d+\/c\/aaaa\.narinfo$/)
      const asked = seen.length
      const again = Date.now()
      expect((await get(`${f.url}/aaaa.narinfo`)).status).toBe(404)
      expect((await get(`${f.url}/nar/big.nar`)).status).toBe(404)
      const info = await get(`${f.url}/nix-cache-info`)
      expect([info.status, info.body.toString()]).toEqual([200, 'StoreDir: /nix/store\nPriority: 30\n'])
      expect(Date.now() - again).toBeLessThan(400)
      // The cache was not asked again.
      expect(seen.length).toBe(asked)
      // The wait counts in the job's budget, once.
      expect(charged).toHaveLength(1)
      expect(charged[0]![0]).toBeGreaterThanOrEqual(450)
      expect(charged[0]![0]).toBeLessThan(3_000)
      expect(charged[0]![1]).toBe(f.down)
    } finally {
      hangAll = false
      await f.close()
    }
  })

  it('opens the breaker on a server error too, and says a nix-cache-info of its own where it never had the cache’s', async () => {
    const f = await front({ storeDir: '/custom/store' })
    try {
      expect((await get(`${f.url}/503.narinfo`)).status).toBe(404)
      expect(f.down).toMatch(/^HTTP 503 from /)
      const info = await get(`${f.url}/nix-cache-info`)
      expect([info.status, info.body.toString()]).toEqual([200, 'StoreDir: /custom/store\n'])
    } finally {
      await f.close()
    }
  })

  it('cuts a NAR off when the cache stops sending it mid-body, and asks the cache nothing more', async () => {
    const f = await front()
    try {
      const started = Date.now()
      await expect(get(`${f.url}/nar/stalls.nar`)).rejects.toThrow()
      expect(Date.now() - started).toBeLessThan(3_000)
      expect(f.down).toMatch(/^no answer for 0\.5 s from http:\/\/127\.0\.0\.1:\d+\/c\/nar\/stalls\.nar$/)
      expect((await get(`${f.url}/aaaa.narinfo`)).status).toBe(404)
    } finally {
      await f.close()
    }
  })

  it('waits for a client that reads slowly without counting it against the cache', async () => {
    const f = await front({ idleMs: 300 })
    try {
      const body = await new Promise<Buffer>((resolve, reject) => {
        request(`${f.url}/nar/huge.nar`, (res) => {
          const chunks: Buffer[] = []
          // Reads nothing for a second (three idle timeouts), then everything.
          res.pause()
          setTimeout(() => res.resume(), 1_000)
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => resolve(Buffer.concat(chunks)))
          res.on('error', reject)
        })
          .on('error', reject)
          .end()
      })
      expect(body.equals(HUGE)).toBe(true)
      expect(f.down).toBeUndefined()
    } finally {
      await f.close()
    }
  })

  it('asks nothing once the job has given the cache up', async () => {
    const f = await front({ jobGaveUp: () => '5 requests in a row timed out' })
    try {
      const before = seen.length
      expect((await get(`${f.url}/aaaa.narinfo`)).status).toBe(404)
      expect(seen.length).toBe(before)
    } finally {
      await f.close()
    }
  })
})
