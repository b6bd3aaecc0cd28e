import { afterEach, describe, expect, it } from '@jest/globals'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { verifySignature, fingerprint } from '../../../../src/format/signing.js'
import { parseNarInfo } from '../../../../src/format/narinfo.js'
import { AtticApi, AtticRefused } from '../../../../src/executors/attic/api.js'
import { pushToAttic } from '../../../../src/executors/attic/push.js'
import { startAtticServer, type AtticServer } from '../../../helpers/attic-server.js'
import { fastRetry, h, sp, useServerUnit } from '../../../helpers/server-unit.js'

const TOKEN = 'attic-unit-token-5d1c9b'
const READ_ONLY = 'attic-unit-readonly-77aa'
let server: AtticServer
const unit = useServerUnit('attic', async (key) => {
  server = await startAtticServer({
    caches: { main: { key, isPublic: false } },
    tokens: { [TOKEN]: { main: 'rw' }, [READ_ONLY]: { main: 'r' } }
  })
  return server
})
const makePath = unit.makePath

const api = (token: string | undefined = TOKEN, cacheName = 'main'): AtticApi => new AtticApi({ endpoint: server.endpoint, cacheName, token, retry: fastRetry })

afterEach(() => {
  server.objects.get('main')!.clear()
  server.uploads.get('main')!.length = 0
  server.requests.length = 0
  server.faults.length = 0
})

const opts = (a: AtticApi) => ({ api: a, parallelism: 4, realStoreDir: unit.storeDir })

describe('the Attic executor against a stand-in written from the server', () => {
  it('uploads exactly the given paths, references first, and the server serves them signed with its key', async () => {
    const lib = await makePath(sp('a', 'lib'), 'lib')
    const app = await makePath(sp('b', 'app'), 'app', [lib.path, sp('c', 'glibc')])
    const outcome = await pushToAttic([app, lib], opts(api()))
    expect(outcome.failed).toEqual([])
    expect(outcome.pushed.map((p) => p.path).sort()).toEqual([app.path, lib.path].sort())
    expect(server.uploads.get('main')).toEqual([lib.path, app.path])
    const puts = server.requests.filter((r) => r.method === 'PUT')
    expect(puts.map((r) => r.infoVia)).toEqual(['header', 'header'])
    expect(puts.every((r) => r.authorization === `bearer ${TOKEN}`)).toBe(true)
    // References travel as base names, as `attic push` sends them.
    expect(server.objects.get('main')!.get(h('b'))!.references).toEqual([`${h('a')}-lib`, `${h('c')}-glibc`])

    const res = await fetch(`${server.endpoint}main/${h('b')}.narinfo`, { headers: { Authorization: `bearer ${TOKEN}` } })
    const narinfo = parseNarInfo(await res.text())
    expect(verifySignature(unit.publicKey, fingerprint(app.path, app.narHash, app.narSize, app.references), narinfo.sigs[0]!)).toBe(true)
    expect(outcome.stoppedBy).toBeUndefined()
  })

  it('sends upload info of 4 KiB or more as a body preamble instead of a header', async () => {
    const refs = Array.from({ length: 90 }, (_, i) => `/nix/store/${String(i).padStart(2, '0').repeat(16)}-some-long-dependency-name-${i}`)
    const big = await makePath(sp('d', 'many-refs'), 'many', refs)
    const outcome = await pushToAttic([big], opts(api()))
    expect(outcome.failed).toEqual([])
    expect(server.requests.filter((r) => r.method === 'PUT').map((r) => r.infoVia)).toEqual(['preamble'])
    expect(server.objects.get('main')!.get(h('d'))!.references).toHaveLength(90)
  })

  it('asks which paths are missing in one request and reads the answer as a set', async () => {
    const lib = await makePath(sp('e', 'held'), 'held')
    await pushToAttic([lib], opts(api()))
    const missing = await api().missingPaths([h('e'), h('f')])
    expect([...missing]).toEqual([h('f')])
  })

  it('stops at a token without push permission, saying why once: nothing uploaded', async () => {
    const a = await makePath(sp('g', 'one'), 'one')
    const b = await makePath(sp('i', 'two'), 'two')
    const outcome = await pushToAttic([a, b], { ...opts(api(READ_ONLY)), parallelism: 1 })
    expect(outcome.pushed).toEqual([])
    expect(outcome.failed).toHaveLength(2)
    expect(server.requests.filter((r) => r.method === 'PUT')).toHaveLength(1)
    expect(outcome.stoppedBy).toMatch(/refused the auth-token for cache main \(HTTP 403 Forbidden: AccessError.*\): it lacks push permission/)
    expect(outcome.stoppedBy).not.toContain(READ_ONLY)
  })

  it('reads an unknown token as no token: the private cache answers 401', async () => {
    await expect(api('not-a-token').cacheConfig()).rejects.toThrow(AtticRefused)
    await expect(api('not-a-token').cacheConfig()).rejects.toThrow(/401 Unauthorized: Unauthorized/)
  })

  it('retries a server error through the request guard, honouring Retry-After', async () => {
    const p = await makePath(sp('j', 'flaky'), 'flaky')
    server.faults.push({ method: 'PUT', path: '/_api/v1/upload-path', status: 503, times: 2, retryAfter: '0' })
    const outcome = await pushToAttic([p], opts(api()))
    expect(outcome.failed).toEqual([])
    expect(server.requests.filter((r) => r.method === 'PUT').map((r) => r.status)).toEqual([503, 503, 200])
  })

  it('never uploads a path whose reference the server refused (a NAR that does not match its hash)', async () => {
    const dep = await makePath(sp('k', 'damaged'), 'original')
    await writeFile(join(unit.storeDir, `${h('k')}-damaged`, 'file'), 'tampered')
    const top = await makePath(sp('l', 'top'), 'top', [dep.path])
    const outcome = await pushToAttic([top, dep], opts(api()))
    expect(outcome.pushed).toEqual([])
    expect(outcome.failed.find((f) => f.path === dep.path)?.reason).toMatch(/400 Bad Request: RequestError: Bad Request: Bad NAR Hash or Size/)
    expect(outcome.failed.find((f) => f.path === top.path)?.reason).toMatch(/its reference .*damaged was not/)
    expect(server.uploads.get('main')).toEqual([])
  })

  it('fails only the path a proxy refuses for its body size (413), without retrying it, and uploads the others', async () => {
    const big = await makePath(sp('m', 'too-big'), 'too big for the proxy')
    const small = await makePath(sp('n', 'small'), 'small')
    server.faults.push({ method: 'PUT', path: '/_api/v1/upload-path', status: 413, times: 1 })
    const outcome = await pushToAttic([big, small], { ...opts(api()), parallelism: 1 })
    expect(outcome.failed.map((f) => f.path)).toEqual([big.path])
    expect(outcome.failed[0]!.reason).toMatch(/413 Payload Too Large/)
    expect(outcome.pushed.map((p) => p.path)).toEqual([small.path])
    expect(server.requests.filter((r) => r.method === 'PUT').map((r) => r.status)).toEqual([413, 200])
    expect(outcome.stoppedBy).toBeUndefined()
  })
})
