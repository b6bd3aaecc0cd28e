import { describe, expect, it } from '@jest/globals'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startAtticServer, type AtticServer } from '../../helpers/attic-server.js'
import { UPSTREAM_KEY_NAME, UPSTREAM_ROLES } from '../../helpers/graph.js'
import { allOutput, warningLines, workflowCommands } from '../../helpers/runner.js'
import { EXPECTED_PUSH, rolesOf, runGraphJob, topJob, useGraphWorld } from '../../helpers/scenario.js'
import { substitutedPaths } from '../../helpers/nix-store.js'
import { existsSync } from 'node:fs'
import type { SigningKey } from '../../../src/format/signing.js'
import { expectExactPush, expectFreshStoreRebuildsOnlyTheApp, useStandIn, visible } from '../../helpers/server-caches.js'

const world = useGraphWorld('e2e-attic-')

const TOKEN = 'attic-e2e-push-token-4f8e2a'
const READ_TOKEN = 'attic-e2e-read-token-91c3d7'

describe('a job pushing to an Attic server (the stand-in written from its source)', () => {
  let server: AtticServer
  let key: SigningKey

  useStandIn(world, 'attic-e2e-1', async (k) => {
    key = k
    return (server = await startAtticServer({
      caches: { ci: { key, isPublic: false }, other: { key, isPublic: false }, upstreamed: { key, isPublic: true, upstreamKeyNames: [UPSTREAM_KEY_NAME] } },
      tokens: { [TOKEN]: { ci: 'rw', other: 'rw', upstreamed: 'rw' }, [READ_TOKEN]: { ci: 'r', other: 'r' } }
    }))
  })

  it('uploads exactly the new build-time closure, never shows the token, and a fresh store rebuilds only the changed derivation', async () => {
    const run = await topJob(world, server.uri('ci'), { inputs: { 'auth-token': TOKEN } })
    // The server holds what both jobs uploaded: the earlier job's `preexisting`, then this job's set.
    const uploaded = server.uploads.get('ci')!
    expectExactPush(run, uploaded)
    // Each path was uploaded once, references before referrers.
    expect(new Set(uploaded).size).toBe(uploaded.length)

    // The main step made the server's cache a substituter, trusting the key its config names.
    expect(run.main.stdout).toMatch(new RegExp(`Later steps substitute from ${server.endpoint}ci \\(trusting .*attic-e2e-1\\)`))
    expect(run.main.env.NIX_CONFIG).toContain(`extra-substituters = ${server.endpoint}ci`)
    expect(run.main.env.NIX_CONFIG).toContain(`extra-trusted-public-keys = ${world.keys.public} ${key.publicKey}`)
    expect(run.main.masks).toContain(TOKEN)
    for (const step of [run.main, run.post]) expect(visible(allOutput(step))).not.toContain(TOKEN)

    // A private cache reads with the token as the Basic password, as Nix's netrc sends it.
    const netrc = join(world.dir, 'attic-netrc')
    await writeFile(netrc, `machine 127.0.0.1 login token password ${TOKEN}\n`, { mode: 0o600 })
    await expectFreshStoreRebuildsOnlyTheApp(world, run, { substituter: `${server.endpoint}ci`, publicKey: key.publicKey, netrc })
  })

  it("makes a private cache a substituter for the job's own Nix, with the token in a 0600 netrc that the post step removes", async () => {
    // The cache holds v1 from the test before; this job builds v2, so it substitutes the rest.
    const run = await runGraphJob({ cache: server.uri('ci'), keys: world.keys, upstream: world.upstream, variant: 'v2', preexisting: false, inputs: { 'auth-token': TOKEN } })
    expect(run.post.code).toBe(0)
    const fromAttic = substitutedPaths(run.buildLog).filter((s) => s.from === `${server.endpoint}ci`)
    expect(rolesOf(fromAttic.map((s) => s.path), run.paths)).toEqual(expect.arrayContaining(['lib', 'tool']))
    // Every substitution read the private cache with the token (Basic, the token as password).
    const reads = server.requests.filter((r) => r.method === 'GET' && r.url.startsWith('/ci/') && r.url.endsWith('.narinfo'))
    expect(reads.length).toBeGreaterThan(0)
    expect(reads.every((r) => r.status !== 401)).toBe(true)
    const netrc = /Nix pulls with the cache's token in (\S+) \(0600/.exec(run.main.stdout)?.[1]
    expect(netrc).toBeDefined()
    expect(existsSync(netrc!)).toBe(false)
    await run.store.cleanup()
  })

  it("counts paths signed by one of the cache's upstream_cache_key_names as served upstream, as attic push does", async () => {
    // skip-signed-by names another key: only the server's config keeps the upstream's paths out.
    const run = await topJob(world, server.uri('upstreamed'), { inputs: { 'auth-token': TOKEN, 'skip-signed-by': 'cache.nixos.org-1' } })
    expect(run.post.code).toBe(0)
    expect(rolesOf(run.pushed, run.paths)).toEqual([...EXPECTED_PUSH].sort())
    for (const role of UPSTREAM_ROLES) expect(server.uploads.get('upstreamed')).not.toContain(run.paths[role])
    await run.store.cleanup()
  })

  it('without an auth-token, only pulls: nothing uploaded, one notice', async () => {
    const before = server.uploads.get('other')!.length
    const run = await topJob(world, server.uri('other'), { preexisting: false })
    expect(run.post.code).toBe(0)
    expect(server.uploads.get('other')!.length).toBe(before)
    expect(run.pushed).toEqual([])
    const notices = workflowCommands(run.post.stdout, 'notice').map((c) => c.message)
    expect(notices).toContain('No auth-token: this job only pulls from the Attic cache (as on pull requests from forks). Nothing was uploaded.')
    await run.store.cleanup()
  })

  it('a token the server refuses for pushing costs one clear warning, and the job stays green', async () => {
    const run = await topJob(world, server.uri('other'), { inputs: { 'auth-token': READ_TOKEN }, preexisting: false })
    expect(run.post.code).toBe(0)
    expect(run.pushed).toEqual([])
    const warnings = warningLines(run.post.stdout)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/The Attic server refused the auth-token for cache other \(HTTP 403 Forbidden: AccessError.*\): it lacks push permission/)
    expect(visible(allOutput(run.post))).not.toContain(READ_TOKEN)
    await run.store.cleanup()
  })
})
