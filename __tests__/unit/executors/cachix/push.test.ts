import { afterEach, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { CachixApi, CachixRefused } from '../../../../src/executors/cachix/api.js'
import { pushToCachix } from '../../../../src/executors/cachix/push.js'
import { startCachixServer, type CachixServer } from '../../../helpers/cachix-server.js'
import { fastRetry, h, sp, useServerUnit } from '../../../helpers/server-unit.js'

const TOKEN = 'cachix-unit-token-3e9a'
const READ_ONLY = 'cachix-unit-read-51fd'
let server: CachixServer
const unit = useServerUnit('cachix', async (key) => {
  server = await startCachixServer({
    caches: { main: { key, isPublic: false } },
    tokens: { [TOKEN]: { main: 'rw' }, [READ_ONLY]: { main: 'r' } }
  })
  return server
})
const makePath = unit.makePath

const api = (token = TOKEN): CachixApi => new CachixApi({ apiBase: `${server.substituter('x').replace(/serve\/x$/, '')}api/v1/`, cacheName: 'main', token, retry: fastRetry })
const opts = (a: CachixApi, partSize?: number) => ({ api: a, compression: 'zstd' as const, parallelism: 4, realStoreDir: unit.storeDir, spoolDir: unit.dir, partSize })

afterEach(() => {
  server.narinfos.get('main')!.clear()
  server.completed.get('main')!.length = 0
  server.requests.length = 0
  server.faults.length = 0
})

describe('the Cachix executor against a stand-in written from its client', () => {
  it('uploads a NAR larger than a part in several parts, each with its Content-MD5, then completes with the narinfo', async () => {
    // Random bytes do not compress: 11 MiB makes three 5 MiB parts.
    const big = await makePath(sp('a', 'big'), randomBytes(11 * 1024 * 1024))
    const outcome = await pushToCachix([big], opts(api(), 5 * 1024 * 1024))
    expect(outcome.failed).toEqual([])
    const parts = server.requests.filter((r) => r.method === 'PUT')
    expect(parts).toHaveLength(3)
    expect(parts.every((r) => r.status === 200 && r.contentMD5 !== undefined)).toBe(true)
    expect(server.completed.get('main')).toEqual([big.path])
    expect(server.openUploads()).toBe(0)
  })

  it('uploads references before referrers, with base names, and the deriver as unknown-deriver when there is none', async () => {
    const lib = await makePath(sp('b', 'lib'), 'lib')
    const app = await makePath(sp('c', 'app'), 'app', [lib.path])
    const outcome = await pushToCachix([app, lib], opts(api()))
    expect(outcome.failed).toEqual([])
    expect(server.completed.get('main')).toEqual([lib.path, app.path])
    const n = server.narinfos.get('main')!.get(h('c'))!
    expect(n.references).toEqual([`${h('b')}-lib`])
    expect(n.deriver).toBe('unknown-deriver')
  })

  it('asks for the missing hashes and reads the answer as the missing ones', async () => {
    const held = await makePath(sp('d', 'held'), 'held')
    await pushToCachix([held], opts(api()))
    expect([...(await api().missing([h('d'), h('f')]))]).toEqual([h('f')])
  })

  it('retries a rate limit (429 with Retry-After) through the request guard', async () => {
    const p = await makePath(sp('g', 'limited'), 'limited')
    server.faults.push({ method: 'POST', path: '/api/v1/cache/main/multipart-nar', status: 429, times: 2, retryAfter: '0' })
    const outcome = await pushToCachix([p], opts(api()))
    expect(outcome.failed).toEqual([])
    expect(server.requests.filter((r) => r.url.startsWith('/api/v1/cache/main/multipart-nar?')).map((r) => r.status)).toEqual([429, 429, 200])
  })

  it('never publishes a path whose part requests the service refused, nor its referrers', async () => {
    const dep = await makePath(sp('i', 'dep'), 'dep')
    const top = await makePath(sp('j', 'top'), 'top', [dep.path])
    server.faults.push({ method: 'POST', path: '/api/v1/cache/main/multipart-nar/', status: 400, times: 100, body: 'bad narinfo' })
    const outcome = await pushToCachix([top, dep], opts(api()))
    expect(outcome.pushed).toEqual([])
    expect(outcome.failed.find((f) => f.path === top.path)?.reason).toMatch(/its reference .*dep was not/)
    expect(server.completed.get('main')).toEqual([])
  })

  it('stops at a read-only token and says why once', async () => {
    const a = await makePath(sp('k', 'one'), 'one')
    const b = await makePath(sp('l', 'two'), 'two')
    const outcome = await pushToCachix([a, b], { ...opts(api(READ_ONLY)), parallelism: 1 })
    expect(outcome.pushed).toEqual([])
    expect(outcome.failed).toHaveLength(2)
    expect(outcome.stoppedBy).toMatch(/Cachix refused the auth-token for cache main \(HTTP 403 Forbidden/)
    expect(outcome.stoppedBy).not.toContain(READ_ONLY)
    await expect(api('unknown-token').cache()).rejects.toThrow(CachixRefused)
  })
})
