import { describe, expect, it } from '@jest/globals'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startCachixServer, type CachixServer } from '../../helpers/cachix-server.js'
import { allOutput, warningLines } from '../../helpers/runner.js'
import { consumerBuild, EXPECTED_PUSH, rolesOf, runGraphJob, topJob, useGraphWorld } from '../../helpers/scenario.js'
import { substitutedPaths } from '../../helpers/nix-store.js'
import type { SigningKey } from '../../../src/format/signing.js'
import { expectExactPush, expectFreshStoreRebuildsOnlyTheApp, useStandIn, visible } from '../../helpers/server-caches.js'

const world = useGraphWorld('e2e-cachix-')

const TOKEN = 'cachix-e2e-write-token-0b7d3e'
const READ_TOKEN = 'cachix-e2e-read-token-6a2c9f'

describe('a job pushing to Cachix (the stand-in written from its client)', () => {
  let server: CachixServer
  let managedKey: SigningKey

  useStandIn(world, 'managed-cachix-1', async (k) => {
    managedKey = k
    return (server = await startCachixServer({
      caches: {
        managed: { key: managedKey, isPublic: false },
        // Signed by its users' key: the world's secret-key, given to every job of the scenario.
        selfsigned: { selfSignedPublicKey: world.keys.public, isPublic: true },
        other: { key: managedKey, isPublic: true }
      },
      tokens: { [TOKEN]: { managed: 'rw', selfsigned: 'rw', other: 'rw' }, [READ_TOKEN]: { managed: 'r', other: 'r' } }
    }))
  })

  it('uploads exactly the new build-time closure to a managed cache, never shows the token, and a fresh store rebuilds only the changed derivation', async () => {
    const run = await topJob(world, server.uri('managed'), { inputs: { 'auth-token': TOKEN } })
    const uploaded = server.completed.get('managed')!
    expectExactPush(run, uploaded)
    expect(server.openUploads()).toBe(0)
    // Every part carried its Content-MD5, and the managed cache signed with its own key.
    const parts = server.requests.filter((r) => r.method === 'PUT')
    expect(parts.length).toBeGreaterThanOrEqual(uploaded.length)
    expect(parts.every((r) => r.status === 200 && r.contentMD5)).toBe(true)
    expect([...server.narinfos.get('managed')!.values()].every((n) => n.sig.startsWith('managed-cachix-1:'))).toBe(true)

    expect(run.main.env.NIX_CONFIG).toContain(`extra-substituters = ${server.substituter('managed')}`)
    expect(run.main.env.NIX_CONFIG).toContain(managedKey.publicKey)
    expect(run.main.masks).toContain(TOKEN)
    for (const step of [run.main, run.post]) expect(visible(allOutput(step))).not.toContain(TOKEN)

    // A private cache is read as `cachix use` sets it up: netrc, empty login, the token as password.
    const netrc = join(world.dir, 'cachix-netrc')
    await writeFile(netrc, `machine 127.0.0.1 login "" password ${TOKEN}\n`, { mode: 0o600 })
    await expectFreshStoreRebuildsOnlyTheApp(world, run, { substituter: server.substituter('managed'), publicKey: managedKey.publicKey, netrc })
  })

  it("makes a private cache a substituter for the job's own Nix, reading it as `cachix use` would (netrc, empty login, the token)", async () => {
    const run = await runGraphJob({ cache: server.uri('managed'), keys: world.keys, upstream: world.upstream, variant: 'v2', preexisting: false, inputs: { 'auth-token': TOKEN } })
    expect(run.post.code).toBe(0)
    const fromCachix = substitutedPaths(run.buildLog).filter((s) => s.from === server.substituter('managed'))
    expect(rolesOf(fromCachix.map((s) => s.path), run.paths)).toEqual(expect.arrayContaining(['lib', 'tool']))
    await run.store.cleanup()
  })

  it('signs with secret-key for a self-signed cache, and consumers trusting that key substitute', async () => {
    const run = await topJob(world, server.uri('selfsigned'), { inputs: { 'auth-token': TOKEN } })
    expect(run.post.code).toBe(0)
    expect(warningLines(run.post.stdout)).toEqual([])
    expect(rolesOf(run.pushed, run.paths)).toEqual([...EXPECTED_PUSH].sort())
    const keyName = world.keys.public.split(':')[0]
    expect([...server.narinfos.get('selfsigned')!.values()].every((n) => n.sig.startsWith(`${keyName}:`))).toBe(true)
    const consumer = await consumerBuild({
      substituters: [server.substituter('selfsigned'), world.upstream.url],
      trustedKeys: [world.keys.public, world.upstream.publicKey],
      variant: 'v2'
    })
    expect(consumer.built).toBe(1)
    await consumer.store.cleanup()
    await run.store.cleanup()
  })

  it('a read-only token costs one clear warning, nothing is uploaded, and the job stays green', async () => {
    const run = await topJob(world, server.uri('other'), { inputs: { 'auth-token': READ_TOKEN }, preexisting: false })
    expect(run.post.code).toBe(0)
    expect(run.pushed).toEqual([])
    expect(server.completed.get('other')).toEqual([])
    const warnings = warningLines(run.post.stdout)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/\d+ path\(s\) could not be pushed; Cachix refused the auth-token for cache other \(HTTP 403 Forbidden.*\): it may not write to the cache/)
    expect(visible(allOutput(run.post))).not.toContain(READ_TOKEN)
    await run.store.cleanup()
  })
})
