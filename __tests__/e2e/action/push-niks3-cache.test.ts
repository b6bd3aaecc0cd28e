import { describe, expect, it } from '@jest/globals'
import { startNiks3Server, type Niks3Server } from '../../helpers/niks3-server.js'
import { allOutput, warningLines } from '../../helpers/runner.js'
import { topJob, useGraphWorld } from '../../helpers/scenario.js'
import { hashPart } from '../../../src/format/store-path.js'
import type { SigningKey } from '../../../src/format/signing.js'
import { expectExactPush, expectFreshStoreRebuildsOnlyTheApp, useStandIn, visible } from '../../helpers/server-caches.js'

const world = useGraphWorld('e2e-niks3-')

const TOKEN = 'niks3-e2e-static-token-8c1f4b'

describe('a job pushing to a niks3 server (the stand-in written from its source)', () => {
  let server: Niks3Server
  let key: SigningKey

  useStandIn(world, 'niks3-e2e-1', async (k) => {
    key = k
    return (server = await startNiks3Server({ key, token: TOKEN }))
  })

  it('uploads exactly the new build-time closure, never shows the token, and a fresh store rebuilds only the changed derivation', async () => {
    const run = await topJob(world, server.uri, { inputs: { 'auth-token': TOKEN } })
    // Each path went up as a pending closure of its own: the server committed exactly these.
    const byHash = new Map(Object.values(run.paths).map((p) => [`${hashPart(p)}.narinfo`, p]))
    expectExactPush(run, server.committed.map((k) => byHash.get(k) ?? k))
    // The narinfos went up zstd-encoded, as the niks3 client sends them.
    const narinfoPuts = server.requests.filter((r) => r.method === 'PUT' && /\.narinfo\?/.test(r.url))
    expect(narinfoPuts.every((r) => r.contentEncoding === 'zstd')).toBe(true)

    expect(run.main.env.NIX_CONFIG).toContain(`extra-substituters = ${server.substituter}`)
    expect(run.main.env.NIX_CONFIG).toContain(key.publicKey)
    expect(run.main.masks).toContain(TOKEN)
    for (const step of [run.main, run.post]) expect(visible(allOutput(step))).not.toContain(TOKEN)

    await expectFreshStoreRebuildsOnlyTheApp(world, run, { substituter: server.substituter, publicKey: key.publicKey })
  })

  it('a token the server refuses costs one clear warning, and the job stays green', async () => {
    const before = server.committed.length
    const run = await topJob(world, server.uri, { inputs: { 'auth-token': 'not-the-token' }, preexisting: false })
    expect(run.post.code).toBe(0)
    expect(run.pushed).toEqual([])
    expect(server.committed.length).toBe(before)
    const warnings = warningLines(run.post.stdout)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/The niks3 server .* refused the auth-token \(HTTP 401 Unauthorized\b/)
    expect(visible(allOutput(run.post))).not.toContain('not-the-token')
    await run.store.cleanup()
  })
})
