import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { join } from 'node:path'
import { graphPaths, UPSTREAM_KEY_NAME, writeGraph, type GraphPaths } from '../../helpers/graph.js'
import { createTestStore, type TestStore } from '../../helpers/nix-store.js'
import { topInstallable, useGraphWorld } from '../../helpers/scenario.js'
import { runCli } from '../../helpers/cli.js'
import { errorLines, runStep, warningLines } from '../../helpers/runner.js'
import { cacheShape } from '../../helpers/gc-check.js'
import { SECRET_KEY_ENV } from '../../../src/cli/options.js'

// The action with a `gc` input, as a scheduled workflow runs it: the main step collects the
// cache, the post step does nothing.
const world = useGraphWorld('e2e-action-gc-')
let cacheDir: string
const stores: TestStore[] = []
const apps: GraphPaths[] = []

beforeAll(async () => {
  cacheDir = join(world.dir, 'cache')
  for (const variant of ['v1', 'v2']) {
    const store = await createTestStore({ extraConfig: world.upstream.nixConfig })
    stores.push(store)
    const nixFile = await writeGraph(store.root, variant)
    const top = await topInstallable(store, variant)
    const r = await runCli(
      ['run', '--cache', `file://${cacheDir}`, '--skip-signed-by', UPSTREAM_KEY_NAME, '--installables', top, '--', 'nix-build', nixFile, '-A', 'top', '--no-out-link'],
      { env: { ...store.env, [SECRET_KEY_ENV]: world.keys.secret }, cwd: store.root }
    )
    if (r.code !== 0) throw new Error(r.stderr)
    apps.push(await graphPaths(nixFile, store))
  }
})

afterAll(async () => {
  for (const s of stores) await s.cleanup()
})

describe('the action with a gc input', () => {
  it('rejects bad options with one error naming the input, and changes nothing', async () => {
    const before = await cacheShape(cacheDir)
    const main = await runStep('main', { inputs: { cache: `file://${cacheDir}`, gc: '--keep-jobs none' } })
    expect(main.code).toBe(1)
    expect(errorLines(main.stdout)).toEqual([expect.stringMatching(/^::error::Input 'gc': --keep-jobs: expected a whole number of at least 1, got 'none'/)])
    expect(main.stdout).not.toMatch(/\n\s+at /)
    expect(await cacheShape(cacheDir)).toEqual(before)
  })

  it('collects the cache in the main step, with the summary, and the post step does nothing', async () => {
    const inputs = { cache: `file://${cacheDir}`, gc: '--keep-jobs 1\n--grace 0s' }
    const main = await runStep('main', { inputs })
    expect(main.code).toBe(0)
    expect(errorLines(main.stdout)).toEqual([])
    expect(warningLines(main.stdout)).toEqual([])
    expect(main.summary).toMatch(/## Nix build-time cache: GC of file:\/\//)
    expect(main.summary).toMatch(/\| Narinfos deleted \| 1 \|/)
    expect(main.stdout).toMatch(/gc of file:\/\/\S+: 2 job record\(s\) read, 1 kept/)
    const left = (await cacheShape(cacheDir)).paths
    expect(left).toContain(apps[1]?.top)
    expect(left).not.toContain(apps[0]?.top)
    const post = await runStep('post', { inputs, state: main.state })
    expect(post.code).toBe(0)
    expect(post.stdout.trim()).toBe('')
  })
})
