// `cache: github-actions` with the background agent: the agent writes the job's layer files
// during the build, and the post step only links them into the layer, packs and saves it.
import { describe, expect, it } from '@jest/globals'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { UPSTREAM_KEY_NAME } from '../../helpers/graph.js'
import { entryListing, useGhaCache } from '../../helpers/gha-jobs.js'
import { agentPid, startJob } from '../../helpers/runner.js'
import { useGraphWorld } from '../../helpers/scenario.js'
import { buildWatching, expected, slowStore } from '../../helpers/slow-graph.js'
import { alive } from '../../helpers/proc.js'
import { hashPart } from '../../../src/format/store-path.js'

const world = useGraphWorld('e2e-agent-gha-')
const gha = useGhaCache(world)

describe('the background agent with cache: github-actions', () => {
  it('writes the layer during the build; the post step links it in and saves two entries', async () => {
    const { store, nixFile, paths } = await slowStore(world.upstream)
    await store.build(nixFile, 'pre')
    const job = await startJob({
      env: { ...store.env, ...gha.server.env() },
      inputs: { cache: 'github-actions', 'secret-key': '', 'skip-signed-by': UPSTREAM_KEY_NAME }
    })
    expect(job.main?.code).toBe(0)
    const pid = agentPid(job)!
    const prepared = join(job.dirs.temp, 'nix-buildtime-cache', 'gha', 'prepared')
    const w = await buildWatching(job, nixFile, prepared, expected(paths), store)
    expect(w.build.code).toBe(0)
    // Only the closure's paths, and nothing in the cache service before the post step.
    expect([...w.firstSeen.keys()].sort()).toEqual(expected(paths).map(hashPart).sort())
    expect(gha.server.entries()).toEqual([])

    const post = await job.post()
    expect(post.code).toBe(0)
    expect(alive(pid)).toBe(false)
    expect(post.summary).toMatch(/5 paths \([\d.]+ [KM]iB NAR\) were written into the cache layer during the build/)
    expect(post.outputs['pushed-count']).toBe('5')
    expect(gha.server.entries()).toHaveLength(2)
    const layer = gha.server.entries().find((e) => e.key?.includes('-layer-'))
    const listing = await entryListing(layer!)
    expect(listing.filter((n) => n.endsWith('.narinfo')).map((n) => n.slice(n.lastIndexOf('/') + 1, -'.narinfo'.length).slice(0, 32)).sort()).toEqual(
      expected(paths).map(hashPart).sort()
    )
    // The layer's NARs are the agent's files, linked rather than serialised again.
    const ghaDir = join(job.dirs.temp, 'nix-buildtime-cache', 'gha')
    const slot = (await readdir(ghaDir)).find((n) => n.startsWith('layer-'))!
    for (const nar of await readdir(join(prepared, 'nar'))) {
      expect((await stat(join(ghaDir, slot, 'nar', nar))).ino).toBe((await stat(join(prepared, 'nar', nar))).ino)
    }
    await job.cleanup()
    await store.cleanup()
  })

  it('with installables, prepares ahead but saves only the installables\' closure', async () => {
    const { store, nixFile, paths } = await slowStore(world.upstream)
    await store.build(nixFile, 'pre')
    // The installable is s2's derivation; the job then builds `final` on top of it.
    const s2drv = (await store.runOk('nix-instantiate', [nixFile, '-A', 's2'])).stdout.trim()
    const job = await startJob({
      env: { ...store.env, ...gha.server.env() },
      // A cache of its own: the first test's layer, found on any runner layout, holds s1 and s2 already.
      inputs: { cache: 'github-actions', 'secret-key': '', 'skip-signed-by': UPSTREAM_KEY_NAME, installables: s2drv, 'key-prefix': 'installables' }
    })
    expect(agentPid(job)).toBeDefined()
    const prepared = join(job.dirs.temp, 'nix-buildtime-cache', 'gha', 'prepared')
    const w = await buildWatching(job, nixFile, prepared, expected(paths), store)
    expect(w.build.code).toBe(0)
    const before = gha.server.entries().length
    const post = await job.post()
    expect(post.code).toBe(0)
    const layer = gha.server.entries().slice(before).find((e) => e.key?.includes('-layer-'))
    const saved = (await entryListing(layer!)).filter((n) => n.endsWith('.narinfo')).map((n) => n.slice(n.lastIndexOf('/') + 1, n.lastIndexOf('/') + 33))
    // (s2's derivation was instantiated before the job, with `script`: those are pre-existing.)
    expect(saved.sort()).toEqual([paths.s1, paths.s2].map(hashPart).sort())
    expect(post.outputs['pushed-count']).toBe('2')
    // The agent had prepared more (s3, final): they stayed private to the job.
    expect(w.firstSeen.has(hashPart(paths.final))).toBe(true)
    await job.cleanup()
    await store.cleanup()
  })
})
