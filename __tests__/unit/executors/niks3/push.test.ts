import { afterEach, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { zstdDecompressSync } from 'node:zlib'
import { parseNarInfo } from '../../../../src/format/narinfo.js'
import { fingerprint, verifySignature } from '../../../../src/format/signing.js'
import { Niks3Api } from '../../../../src/executors/niks3/api.js'
import { narKeyOf, pushToNiks3 } from '../../../../src/executors/niks3/push.js'
import { startNiks3Server, type Niks3Server } from '../../../helpers/niks3-server.js'
import { fastRetry, h, sp, useServerUnit } from '../../../helpers/server-unit.js'

const TOKEN = 'niks3-unit-token-2b6e'
let server: Niks3Server
const unit = useServerUnit('niks3', async (key) => (server = await startNiks3Server({ key, token: TOKEN })))
const makePath = unit.makePath

const api = (token = TOKEN): Niks3Api => new Niks3Api({ endpoint: server.endpoint, token, retry: fastRetry })
const opts = (a: Niks3Api) => ({ api: a, endpoint: server.endpoint, parallelism: 4, realStoreDir: unit.storeDir, spoolDir: unit.dir })

afterEach(() => {
  server.requests.length = 0
  server.faults.length = 0
})

describe('the niks3 executor against a stand-in written from the server', () => {
  it('opens one pending closure per path, references first, and writes the narinfo the server signed', async () => {
    const lib = await makePath(sp('a', 'lib'), 'lib')
    const app = await makePath(sp('b', 'app'), 'app', [lib.path])
    const before = server.committed.length
    const outcome = await pushToNiks3([app, lib], opts(api()))
    expect(outcome.failed).toEqual([])
    expect(server.committed.slice(before)).toEqual([`${h('a')}.narinfo`, `${h('b')}.narinfo`])
    const stored = server.bucket.get(`${h('b')}.narinfo`)!
    expect(stored.encoding).toBe('zstd')
    const narinfo = parseNarInfo(zstdDecompressSync(stored.body).toString('utf8'))
    expect(narinfo.url).toBe(narKeyOf(app))
    expect(verifySignature(unit.publicKey, fingerprint(app.path, app.narHash, app.narSize, app.references), narinfo.sigs[0]!)).toBe(true)
    expect(server.requests.filter((r) => r.url.startsWith('/api/')).every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true)
  })

  it('uploads a NAR over 10 MiB in parts and completes the multipart upload', async () => {
    const big = await makePath(sp('c', 'big'), randomBytes(21 * 1024 * 1024))
    const outcome = await pushToNiks3([big], opts(api()))
    expect(outcome.failed).toEqual([])
    const parts = server.requests.filter((r) => r.method === 'PUT' && r.url.includes('partNumber='))
    expect(parts).toHaveLength(3)
    expect(server.requests.some((r) => r.url === '/api/multipart/complete' && r.status === 204)).toBe(true)
    expect(server.bucket.get(narKeyOf(big))!.body.length).toBeGreaterThan(20 * 1024 * 1024)
  })

  it('starts over once when the server cleaned the pending closure up before it was signed', async () => {
    const p = await makePath(sp('d', 'slow'), 'slow')
    server.expireNext = true
    const outcome = await pushToNiks3([p], opts(api()))
    expect(outcome.failed).toEqual([])
    const opened = server.requests.filter((r) => r.url === '/api/pending_closures')
    expect(opened).toHaveLength(2)
    expect(server.requests.filter((r) => /\/sign$/.test(r.url)).map((r) => r.status)).toEqual([403, 200])
  })

  it('retries 429 with Retry-After through the request guard', async () => {
    const p = await makePath(sp('f', 'limited'), 'limited')
    server.faults.push({ method: 'POST', path: '/api/pending_closures', status: 429, times: 2, retryAfter: '0' })
    const outcome = await pushToNiks3([p], opts(api()))
    expect(outcome.failed).toEqual([])
    expect(server.requests.filter((r) => r.url === '/api/pending_closures').map((r) => r.status)).toEqual([429, 429, 200])
  })

  it('answers which narinfos the bucket holds', async () => {
    expect([...(await api().present([`${h('a')}.narinfo`, `${h('g')}.narinfo`]))]).toEqual([`${h('a')}.narinfo`])
  })

  it('stops at a refused token, saying why once, without echoing it', async () => {
    const a = await makePath(sp('i', 'one'), 'one')
    const b = await makePath(sp('j', 'two'), 'two')
    const outcome = await pushToNiks3([a, b], { ...opts(api('wrong-token-xyz')), parallelism: 1 })
    expect(outcome.pushed).toEqual([])
    expect(outcome.failed).toHaveLength(2)
    expect(outcome.stoppedBy).toMatch(/refused the auth-token \(HTTP 401 Unauthorized: Unauthorized\)/)
    expect(outcome.stoppedBy).not.toContain('wrong-token-xyz')
    expect(server.requests.filter((r) => r.url === '/api/pending_closures')).toHaveLength(1)
  })
})
