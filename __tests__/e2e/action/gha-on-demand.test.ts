// `cache: github-actions` served on demand, end to end: the bundled action as the runner runs it
// (main step, build, post step), its background agent serving the cache on loopback, and the real
// @actions/cache client against the local stand-in for the cache service. Every job has a fresh
// chroot store, like a fresh hosted VM.
import { describe, expect, it } from '@jest/globals'
import { newestManifest, PREFIX, useGhaCache, type GhaRun } from '../../helpers/gha-jobs.js'
import { FIRST_PUSH, isApp, rolesOf, useGraphWorld } from '../../helpers/scenario.js'
import { hashPart } from '../../../src/format/store-path.js'

const world = useGraphWorld('e2e-gha-on-demand-')
const gha = useGhaCache(world)
const layerDownloads = (run: GhaRun): Array<{ at: number; key: string }> =>
  run.requests.filter((r) => r.method === 'DOWNLOAD' && r.key?.includes('-layer-')).map((r) => ({ at: r.at, key: r.key ?? '' }))

describe('cache: github-actions served on demand by the agent', () => {
  it('first job: the main step points Nix at the local substituter, and the post step saves one layer and one manifest', async () => {
    const first = await gha.jobs.run({ variant: 'v1' })
    expect(first.main.code).toBe(0)
    expect(first.post.code).toBe(0)
    expect(first.warnings).toEqual([])
    expect(first.main.stdout).toMatch(/Later steps substitute from http:\/\/127\.0\.0\.1:\d+ \(trusting nix-buildtime-cache-job-[0-9a-f]{12}\)\./)
    expect(first.main.env['NIX_CONFIG']).toMatch(/extra-substituters = http:\/\/127\.0\.0\.1:\d+$/m)
    expect(first.main.env['NIX_CONFIG']).toMatch(/^extra-trusted-public-keys = nix-buildtime-cache-job-[0-9a-f]{12}:\S+$/m)
    expect(first.main.env['NIX_CONFIG']).not.toContain('trusted=1')
    expect(first.main.stdout).not.toMatch(/Restored \d+ of/)
    expect(rolesOf(first.pushed, first.paths)).toEqual(FIRST_PUSH)
    expect(first.created).toHaveLength(2)
  })

  it('second job: the main step does not wait for the cache; the build downloads what it needs and builds only the changed package', async () => {
    const second = await gha.jobs.run({ variant: 'v2' })
    expect(second.warnings).toEqual([])
    // Layers exist now, and still the main step restored none of them itself.
    expect(second.main.stdout).not.toMatch(/Restored \d+ of/)
    // Every layer download came after the main step had returned: the build did not wait for them.
    const downloads = layerDownloads(second)
    expect(downloads.length).toBeGreaterThan(0)
    for (const d of downloads) expect(d.at).toBeGreaterThan(second.mainEndedAt)
    expect(second.built).toHaveLength(1)
    expect(isApp(second.built[0] ?? '')).toBe(true)
    expect(rolesOf(second.pushed, second.paths)).toEqual(['top'])
    expect(second.post.summary).toMatch(/\| already-cached \| 7 \|/)
    expect(second.created).toHaveLength(2)
  })

  it('a fresh job over the full cache builds nothing, saves nothing, and downloads only the layers holding what it needs', async () => {
    // v3's layer holds only v3's top, which a v2 build never asks for.
    await gha.jobs.run({ variant: 'v3' })
    const manifest = await newestManifest(gha.server, PREFIX)
    expect(manifest.layers).toHaveLength(3)
    const again = await gha.jobs.run({ variant: 'v2' })
    expect(again.warnings).toEqual([])
    expect(again.built).toEqual([])
    expect(again.pushed).toEqual([])
    expect(again.created).toEqual([])
    const v2Top = hashPart(again.paths.top)
    const needed = manifest.layers.filter((l) => Object.keys(l.paths).includes(v2Top) || l.pathCount > 1).map((l) => l.key)
    expect(layerDownloads(again).map((d) => d.key).sort()).toEqual([...needed].sort())
  })

  it('costs a layer that is gone only its own paths: one warning, the job green, and the next manifest leaves it out', async () => {
    const before = await newestManifest(gha.server, PREFIX)
    const big = before.layers.find((l) => l.pathCount > 1)!
    gha.server.remove(big.key)
    const run = await gha.jobs.run({ variant: 'v4' })
    expect(run.main.code).toBe(0)
    expect(run.post.code).toBe(0)
    expect(run.warnings).toHaveLength(1)
    expect(run.warnings[0]).toMatch(/cache layer\(s\) could not be used when Nix asked for them/)
    // Nix built what the lost layer held, and the job saved it again.
    expect(run.built.length).toBeGreaterThan(1)
    const after = await newestManifest(gha.server, PREFIX)
    expect(after.layers.map((l) => l.key)).not.toContain(big.key)
  })

  it('with push-during-build: false, restores eagerly in the main step, as without an agent', async () => {
    const eager = await gha.jobs.run({ variant: 'v4', inputs: { 'push-during-build': 'false' } })
    expect(eager.warnings).toEqual([])
    expect(eager.main.stdout).toMatch(/Restored \d+ of \d+ cache layer\(s\)/)
    expect(eager.main.stdout).toMatch(/Restored [1-9]\d* of \d+ cache layer\(s\)/)
    expect(layerDownloads(eager).length).toBeGreaterThan(0)
    expect(eager.main.env['NIX_CONFIG']).toMatch(/extra-substituters = file:\/\/\S+\/gha\/served$/m)
    expect(eager.main.env['NIX_CONFIG']).toMatch(/^extra-trusted-public-keys = nix-buildtime-cache-job-[0-9a-f]{12}:\S+$/m)
    expect(eager.main.env['NIX_CONFIG']).not.toContain('trusted=1')
    for (const d of layerDownloads(eager)) expect(d.at).toBeLessThanOrEqual(eager.mainEndedAt)
    expect(eager.built).toEqual([])
  })
})
