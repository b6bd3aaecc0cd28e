// `cache: github-actions` end to end: the bundled action, run as the runner runs it, with the real
// @actions/cache client talking to a local stand-in for the cache service (v2 protocol). Every
// job has a fresh chroot store, like a fresh hosted VM.
import { describe, expect, it } from '@jest/globals'
import { entryFile, entryListing, newestManifest, PREFIX, useGhaCache, type GhaRun } from '../../helpers/gha-jobs.js'
import { refTag } from '../../../src/executors/gha/layout.js'
import { hashPart } from '../../../src/format/store-path.js'
import { FIRST_PUSH, isApp, rolesOf, useGraphWorld } from '../../helpers/scenario.js'

const world = useGraphWorld('e2e-gha-')
const gha = useGhaCache(world, { restore: 'eager' })
const totalNar = (m: { layers: Array<{ narBytes: number }> }): number => m.layers.reduce((a, l) => a + l.narBytes, 0)

describe('cache: github-actions, job after job on fresh VMs', () => {
  let first: GhaRun
  let second: GhaRun

  it('first job: finds no cache, saves one layer with the new build-time closure and one manifest', async () => {
    first = await gha.jobs.run({ variant: 'v1' })
    expect(first.main.code).toBe(0)
    expect(first.post.code).toBe(0)
    expect(first.warnings).toEqual([])
    expect(first.main.stdout).toContain(`No cache manifest under ${PREFIX}-manifest-f2-linux-x64-*`)
    expect(rolesOf(first.pushed, first.paths)).toEqual(FIRST_PUSH)
    expect(first.created.map((c) => c.key?.replace(/-[^-]+$/, ''))).toEqual([
      `${PREFIX}-layer-linux-x64`,
      `${PREFIX}-manifest-f2-linux-x64-${refTag('refs/heads/main')}-0-1`
    ])
    const manifest = await newestManifest(gha.server, PREFIX)
    expect(manifest.layers).toHaveLength(1)
    expect(manifest.layers[0]?.pathCount).toBe(FIRST_PUSH.length)
    expect(Object.keys(manifest.layers[0]?.paths ?? {}).sort()).toEqual(first.pushed.map(hashPart).sort())
    // The layer is a binary cache of uncompressed NARs (the archive itself is zstd).
    const layer = gha.server.entries().find((e) => e.key === manifest.layers[0]?.key)
    const listing = await entryListing(layer!)
    expect(listing.filter((n) => n.endsWith('.narinfo'))).toHaveLength(FIRST_PUSH.length)
    expect(listing.filter((n) => /\/nar\/[a-z0-9]{52}\.nar$/.test(n))).toHaveLength(FIRST_PUSH.length)
    expect(listing.some((n) => n.endsWith('/nix-cache-info'))).toBe(true)
  })

  it('second job, changing only the top-level derivation, builds exactly that one and saves only it', async () => {
    second = await gha.jobs.run({ variant: 'v2' })
    expect(second.warnings).toEqual([])
    expect(second.main.stdout).toMatch(/Restored 1 of 1 cache layer\(s\) from \S+: 8 paths, .* downloaded \(\d+ B\)/)
    expect(second.main.env['NIX_CONFIG']).toMatch(/extra-substituters = file:\/\/\S+\/nix-buildtime-cache\/gha\/served$/m)
    expect(second.main.env['NIX_CONFIG']).not.toContain('trusted=1')
    expect(second.built).toHaveLength(1)
    expect(isApp(second.built[0] ?? '')).toBe(true)
    expect(rolesOf(second.pushed, second.paths)).toEqual(['top'])
    expect(second.post.summary).toMatch(/\| already-cached \| 7 \|/)
    expect(second.created).toHaveLength(2)
    const manifest = await newestManifest(gha.server, PREFIX)
    expect(manifest.layers.map((l) => l.pathCount)).toEqual([8, 1])
    expect(new Set(manifest.layers.map((l) => l.slot)).size).toBe(2)
  })

  it('a job with nothing new builds nothing and creates no entries', async () => {
    const again = await gha.jobs.run({ variant: 'v2' })
    expect(again.warnings).toEqual([])
    expect(again.main.stdout).toMatch(/Restored 2 of 2 cache layer\(s\)/)
    expect(again.built).toEqual([])
    expect(again.pushed).toEqual([])
    expect(again.created).toEqual([])
    expect(again.requests.filter((r) => r.method === 'CreateCacheEntry')).toEqual([])
    expect(again.post.stdout).toContain('Nothing new to save: no cache entries created.')
  })

  it('compacts on a scheduled run on the default branch, and the compacted cache still serves every variant', async () => {
    const scheduled = await gha.jobs.run({
      variant: 'v2',
      event: { name: 'schedule', payload: { schedule: '0 3 * * *', repository: { default_branch: 'main' } } }
    })
    expect(scheduled.warnings).toEqual([])
    expect(scheduled.built).toEqual([])
    expect(scheduled.created).toHaveLength(2)
    expect(scheduled.post.stdout).toMatch(/Compacted 2 layer\(s\) into one \(9 paths/)
    const manifest = await newestManifest(gha.server, PREFIX)
    expect(manifest.layers).toHaveLength(1)
    expect(manifest.layers[0]?.pathCount).toBe(9)

    for (const variant of ['v1', 'v2']) {
      const consumer = await gha.jobs.run({ variant })
      expect(consumer.main.stdout).toMatch(/Restored 1 of 1 cache layer\(s\) from \S+: 9 paths/)
      expect(consumer.built).toEqual([])
      expect(consumer.created).toEqual([])
    }
  })

  it('does not compact a manual run on another branch', async () => {
    const manual = await gha.jobs.run({
      variant: 'v2',
      event: { name: 'workflow_dispatch', payload: { repository: { default_branch: 'trunk' } } }
    })
    expect(manual.created).toEqual([])
  })

  it('keeps max-size by leaving out the least recently used paths outside the current closure', async () => {
    const before = await newestManifest(gha.server, PREFIX)
    const v1App = hashPart(first.paths.top)
    const v2App = hashPart(second.paths.top)
    // v1's app was last used by the first job, v2's by the scheduled one. Every app has the same
    // NAR size, so a budget of today's total leaves room for v3's app only by dropping one of them.
    const maxSize = totalNar(before)
    const third = await gha.jobs.run({ variant: 'v3', inputs: { 'max-size': String(maxSize) } })
    expect(third.warnings).toEqual([])
    expect(third.built.filter(isApp)).toHaveLength(1)
    expect(third.created).toHaveLength(2)
    expect(third.post.stdout).toMatch(/Compacted 1 layer\(s\) into one .* because of over max-size; left out 1 least recently used path/)
    const after = await newestManifest(gha.server, PREFIX)
    expect(after.layers).toHaveLength(1)
    expect(totalNar(after)).toBeLessThanOrEqual(maxSize)
    const kept = Object.keys(after.layers[0]?.paths ?? {})
    expect(kept).not.toContain(v1App)
    expect(kept).toContain(v2App)
    expect(kept).toContain(hashPart(third.paths.top))

    // What was left out is rebuilt; what was kept is not.
    const v2 = await gha.jobs.run({ variant: 'v2' })
    expect(v2.built).toEqual([])
    const v1 = await gha.jobs.run({ variant: 'v1' })
    expect(v1.built).toHaveLength(1)
    expect(isApp(v1.built[0] ?? '')).toBe(true)
  })

  it('costs a missing layer only its own paths: one warning, the rest restored, the job green', async () => {
    const before = await newestManifest(gha.server, PREFIX)
    // The layer the last job saved: v1's app alone.
    const small = before.layers.find((l) => l.pathCount === 1)
    expect(before.layers).toHaveLength(2)
    gha.server.remove(small!.key)
    const run = await gha.jobs.run({ variant: 'v1' })
    expect(run.main.code).toBe(0)
    expect(run.post.code).toBe(0)
    expect(run.warnings).toHaveLength(1)
    expect(run.warnings[0]).toContain(`Cache layer ${small!.key} is gone`)
    expect(run.main.stdout).toMatch(/Restored 1 of 2 cache layer/)
    expect(run.built).toHaveLength(1)
    expect(isApp(run.built[0] ?? '')).toBe(true)
    expect(run.created).toHaveLength(2)
    const after = await newestManifest(gha.server, PREFIX)
    expect(after.layers).toHaveLength(2)
    expect(after.layers.map((l) => l.slot)).not.toContain(small!.slot)
  })

  it('costs a damaged layer only its own paths, and does not keep pointing at it', async () => {
    const before = await newestManifest(gha.server, PREFIX)
    const small = before.layers.find((l) => l.pathCount === 1)!
    gha.server.overwrite(small.key, Buffer.from('definitely not a zstd archive'))
    const run = await gha.jobs.run({ variant: 'v1' })
    expect(run.post.code).toBe(0)
    expect(run.warnings).toHaveLength(1)
    expect(run.warnings[0]).toContain(`Cache layer ${small.key} could not be restored`)
    expect(run.built).toHaveLength(1)
    // The same content is saved again, as a new entry: same key, a slot (and so a version) of its own.
    expect(run.created).toHaveLength(2)
    const after = await newestManifest(gha.server, PREFIX)
    const again = after.layers.find((l) => l.pathCount === 1)!
    expect(again.key).toBe(small.key)
    expect(again.slot).not.toBe(small.slot)

    const next = await gha.jobs.run({ variant: 'v1' })
    expect(next.warnings).toEqual([])
    expect(next.built).toEqual([])
    expect(next.created).toEqual([])
  })

  it('never creates more than 2 entries in a job', () => {
    expect(gha.jobs.runs.length).toBeGreaterThanOrEqual(12)
    for (const run of gha.jobs.runs) expect(run.created.length).toBeLessThanOrEqual(2)
  })
})

describe('branch scoping', () => {
  const prefix = 'scoped'
  const main = { ref: 'refs/heads/main' }
  const pr = { ref: 'refs/pull/7/merge', fallbacks: ['refs/heads/main'] }
  const inputs = { 'key-prefix': prefix }
  const prEnv = { GITHUB_BASE_REF: 'main', GITHUB_EVENT_NAME: 'pull_request' }

  it("a pull request reads the base branch's entries and writes its own; main never reads a pull request's", async () => {
    const onMain = await gha.jobs.run({ variant: 'v1', scope: main, inputs })
    expect(onMain.created).toHaveLength(2)

    const inPr = await gha.jobs.run({ variant: 'pr', scope: pr, inputs, env: prEnv })
    expect(inPr.main.stdout).toMatch(/Restored 1 of 1 cache layer/)
    expect(inPr.built).toHaveLength(1)
    expect(inPr.created.map((c) => c.scope)).toEqual([pr.ref, pr.ref])

    // Main moves on and caches what it built...
    const mainMoves = await gha.jobs.run({ variant: 'v2', scope: main, inputs })
    expect(mainMoves.main.stdout).toMatch(/Restored 1 of 1 cache layer/)
    expect(mainMoves.built).toHaveLength(1)

    // ...and the pull request, rebased onto it, sees both its own manifest and main's newer one.
    const prRebased = await gha.jobs.run({ variant: 'v2', scope: pr, inputs, env: prEnv })
    expect(prRebased.main.stdout).toMatch(/Restored 3 of 3 cache layer\(s\) from \S+ \+ \S+:/)
    expect(prRebased.built).toEqual([])
    expect(prRebased.created).toEqual([])

    // Main never sees the pull request's layer, so it builds the pull request's change itself.
    const mainAfter = await gha.jobs.run({ variant: 'pr', scope: main, inputs })
    expect(mainAfter.main.stdout).toMatch(/Restored 2 of 2 cache layer/)
    expect(mainAfter.built).toHaveLength(1)
  })
})

describe('with a secret-key', () => {
  it('signs every narinfo in the layer and trusts the key as well as the URL', async () => {
    const run = await gha.jobs.run({ variant: 'v1', inputs: { 'key-prefix': 'signed', 'secret-key': world.keys.secret } })
    expect(run.created).toHaveLength(2)
    const manifest = await newestManifest(gha.server, 'signed')
    const layer = gha.server.entries().find((e) => e.key === manifest.layers[0]?.key)
    const narinfos = (await entryFile(layer!, '.narinfo')).split(/(?=StorePath: )/)
    expect(narinfos).toHaveLength(FIRST_PUSH.length)
    for (const n of narinfos) expect(n).toMatch(/^Sig: test-cache-1:/m)

    const consumer = await gha.jobs.run({ variant: 'v2', inputs: { 'key-prefix': 'signed', 'secret-key': world.keys.secret } })
    expect(consumer.main.env['NIX_CONFIG']).toContain(`extra-trusted-public-keys = ${world.keys.public}`)
    expect(consumer.built).toHaveLength(1)
  })
})
