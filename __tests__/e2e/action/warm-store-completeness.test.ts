import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { join } from 'node:path'
import { writeGraph } from '../../helpers/graph.js'
import { createTestStore } from '../../helpers/nix-store.js'
import { warningLines } from '../../helpers/runner.js'
import { mkdir } from 'node:fs/promises'
import { startNginx } from '../../helpers/nginx.js'
import { consumerBuild, EXPECTED_PUSH, rolesOf, topJob, useGraphWorld, type JobRun } from '../../helpers/scenario.js'
import { hashPart } from '../../../src/format/store-path.js'

// A warm store (a self-hosted runner, a restored store): `lib`, which top's output references at
// run time, and `preexisting`, which only top's build uses, were built before the action was ever
// used, so no cache has them.
const world = useGraphWorld('e2e-warm-')
let cache: string
let run: JobRun

beforeAll(async () => {
  cache = join(world.dir, 'cache')
  const store = await createTestStore({ extraConfig: world.upstream.nixConfig })
  await store.build(await writeGraph(store.root, 'v1'), ['lib', 'preexisting'])
  run = await topJob(world, `file://${cache}`, { store, preexisting: false })
})

afterAll(async () => {
  await run?.store.cleanup()
})

describe('a job on a warm store', () => {
  it('pushes the pre-existing run-time references of what it pushes, but not pre-existing build-time-only paths', () => {
    expect(run.post.code).toBe(0)
    // lib was in the store before the job; preexisting (build-time only) stays unpushed.
    expect(rolesOf(run.pushed, run.paths)).toEqual([...EXPECTED_PUSH].sort())
    expect(run.post.summary).toContain('Pushed as a reference of a pushed path (1)')
  })

  it('lets a consumer substitute the job\'s outputs without building anything', async () => {
    const consumer = await consumerBuild({
      substituters: [`file://${cache}`, world.upstream.url],
      trustedKeys: [world.keys.public, world.upstream.publicKey],
      variant: 'v1'
    })
    try {
      expect(consumer.built).toBe(0)
    } finally {
      await consumer.store.cleanup()
    }
  })

  it('never publishes a path whose run-time reference is excluded: it withholds it, with one warning', async () => {
    const store = await createTestStore({ extraConfig: world.upstream.nixConfig })
    try {
      await store.build(await writeGraph(store.root, 'v1'), ['lib', 'preexisting'])
      const excluded = await topJob(world, `file://${join(world.dir, 'cache-exclude')}`, { store, preexisting: false, inputs: { exclude: '-greet-lib$' } })
      expect(excluded.post.code).toBe(0)
      expect(rolesOf(excluded.pushed, excluded.paths)).toEqual(EXPECTED_PUSH.filter((r) => r !== 'lib' && r !== 'top').sort())
      expect(excluded.post.summary).toMatch(/\| unserved-reference \| 1 \|/)
      const warnings = warningLines(excluded.post.stdout)
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toContain(`${excluded.paths.top} references ${excluded.paths.lib}`)
    } finally {
      await store.cleanup()
    }
  })

  it('asks the cache only about pre-existing paths that pushed paths reference', async () => {
    const store = await createTestStore({ extraConfig: world.upstream.nixConfig })
    const root = join(world.dir, 'www')
    await mkdir(root)
    const nginx = await startNginx({ root })
    try {
      await store.build(await writeGraph(store.root, 'v1'), ['lib', 'preexisting'])
      const r = await topJob(world, nginx.url, { store, preexisting: false })
      expect(r.post.code).toBe(0)
      const asked = (await nginx.requests()).filter((q) => q.method === 'HEAD').map((q) => q.uri)
      const hash = (p: string): string => `/${hashPart(p)}.narinfo`
      expect(asked).toContain(hash(r.paths.lib))
      expect(asked).not.toContain(hash(r.paths.preexisting))
      expect(rolesOf(r.pushed, r.paths)).toEqual([...EXPECTED_PUSH].sort())
    } finally {
      await nginx.stop()
      await store.cleanup()
    }
  })
})
