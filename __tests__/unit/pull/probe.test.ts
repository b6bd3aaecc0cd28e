// The probe the main step (and start, run) makes before adding an HTTP cache as a substituter,
// against real sockets: what counts as a cache that answers, and how long one that does not costs.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createServer, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { probeHttpCache, PROBE_IDLE_MS } from '../../../src/pull/probe.js'

let server: Server
let base = ''
const sockets = new Set<Socket>()
const seen: string[] = []

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`)
    const status = Number(/^\/(\d{3})\//.exec(req.url ?? '')?.[1])
    if (req.url?.startsWith('/hang/')) return // accepted, never answered
    if (status) res.writeHead(status).end()
    else res.writeHead(200, { 'Content-Type': 'text/x-nix-cache-info' }).end('StoreDir: /nix/store\n')
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

describe('probing an HTTP cache before pulling from it', () => {
  it('counts any answer below 500 as a cache that answers (Nix says what it makes of a 401 or 404)', async () => {
    for (const path of ['/ok', '/401/x', '/403/x', '/404/x']) expect([path, await probeHttpCache(`${base}${path}`)]).toEqual([path, undefined])
    // Only the cache's own nix-cache-info is asked for, without the URL's parameters.
    expect(seen).toContain('GET /ok/nix-cache-info')
    seen.length = 0
    expect(await probeHttpCache(`${base}/ok/?priority=30`)).toBeUndefined()
    expect(seen).toEqual(['GET /ok/nix-cache-info'])
  })

  it('gives up on a server error, or a refused connection, naming the request', async () => {
    expect(await probeHttpCache(`${base}/503/x`)).toMatch(/HTTP 503 from GET http:\/\/127\.0\.0\.1:\d+\/503\/x\/nix-cache-info/)
    expect(await probeHttpCache('http://127.0.0.1:1/c')).toMatch(/from GET http:\/\/127\.0\.0\.1:1\/c\/nix-cache-info/)
  })

  it('gives up on a server that accepts the connection and never answers within two short attempts, not Nix’s 300 s', async () => {
    const started = Date.now()
    const verdict = await probeHttpCache(`${base}/hang/x`)
    expect(verdict).toMatch(/^no answer for 3\.0 s from GET http:\/\/127\.0\.0\.1:\d+\/hang\/x\/nix-cache-info$/)
    const ms = Date.now() - started
    expect(ms).toBeGreaterThanOrEqual(2 * PROBE_IDLE_MS - 100)
    expect(ms).toBeLessThan(2 * PROBE_IDLE_MS + 3_000)
  })
})
