import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { join } from 'node:path'
import { writeGraph, type Upstream } from '../../helpers/graph.js'
import { createTestStore, removeTree } from '../../helpers/nix-store.js'
import { warningLines } from '../../helpers/runner.js'
import { mkdir } from 'node:fs/promises'
import { startNginx } from '../../helpers/nginx.js'
import { consumerBuild, EXPECTED_PUSH, graphWorld, rolesOf, runGraphJob, topInstallable, type JobRun, type SigningKeys } from '../../helpers/scenario.js'

// A warm store (a self-hosted runner, a restored store): `lib`, which top's output references at
// run time, and `preexisting`, which only top's build uses, were built before the action was ever
// used, so no cache has them.
let dir: string
let upstream: Upstream
let keys: SigningKeys
let cache: string
let run: JobRun

beforeAll(async () => {
  ;({ dir, upstream, keys } = await graphWorld('e2e-warm-'))
  cache = join(dir, 'cache')
  const store = await createTestStore({ extraConfig: upstream.nixConfig })
  await store.build(await writeGraph(store.root, 'v1'), ['lib', 'preexisting'])
  run = await runGraphJob({
    cache: `file://${cache}`, keys, upstream, store, preexisting: false,
    inputs: { installables: await topInstallable(store) }
  })
})

afterAll(async () => {
  await run?.store.cleanup()
  await removeTree(dir)
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
      substituters: [`file://${cache}`, upstream.url],
      trustedKeys: [keys.public, upstream.publicKey],
      variant: 'v1'
    })
    try {
      expect(consumer.built).toBe(0)
    } finally {
      await consumer.store.cleanup()
    }
  })

  it('never publishes a path whose run-time reference is excluded: it withholds it, with one warning', async () => {
    const store = await createTestStore({ extraConfig: upstream.nixConfig })
    try {
      await store.build(await writeGraph(store.root, 'v1'), ['lib', 'preexisting'])
      const excluded = await runGraphJob({
        cache: `file://${join(dir, 'cache-exclude')}`, keys, upstream, store, preexisting: false,
        inputs: { installables: await topInstallable(store), exclude: '-greet-lib$' }
      })
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
    const store = await createTestStore({ extraConfig: upstream.nixConfig })
    const root = join(dir, 'www')
    await mkdir(root)
    const nginx = await startNginx({ root })
    try {
      await store.build(await writeGraph(store.root, 'v1'), ['lib', 'preexisting'])
      const r = await runGraphJob({
        cache: nginx.url, keys, upstream, store, preexisting: false,
        inputs: { installables: await topInstallable(store) }
      })
      expect(r.post.code).toBe(0)
      const asked = (await nginx.requests()).filter((q) => q.method === 'HEAD').map((q) => q.uri)
      const hash = (p: string): string => `/${p.slice('/nix/store/'.length, '/nix/store/'.length + 32)}.narinfo`
      expect(asked).toContain(hash(r.paths.lib))
      expect(asked).not.toContain(hash(r.paths.preexisting))
      expect(rolesOf(r.pushed, r.paths)).toEqual([...EXPECTED_PUSH].sort())
    } finally {
      await nginx.stop()
      await store.cleanup()
    }
  })
})
