// `cache: github-actions` with odd and damaged layers: paths with identical contents sharing one
// NAR, and a layer that cannot be used. Each test asserts the jobs' results and warnings, that
// the restored binary cache verifies with real Nix under require-sigs, and what the jobs built.
import { beforeAll, describe, expect, it } from '@jest/globals'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { verifyCache, writeTwins } from '../../helpers/cache-check.js'
import { newestManifest, useGhaCache } from '../../helpers/gha-jobs.js'
import { builtDerivations, createTestStore, removeTree } from '../../helpers/nix-store.js'
import { startJob, warningLines, type StepResult } from '../../helpers/runner.js'
import { useGraphWorld } from '../../helpers/scenario.js'

const world = useGraphWorld('e2e-gha-layer-faults-')
const gha = useGhaCache(world)
let runnerTemp: string

beforeAll(() => {
  runnerTemp = join(world.dir, 'runner-temp')
})

interface GhaTwinRun {
  main: StepResult
  post: StepResult
  warnings: string[]
  built: string[]
  /** `nix store verify` of the binary cache the main step restored. */
  verify: { code: number | null; stderr: string }
}

/** A job on a fresh VM (fresh store, the same empty RUNNER_TEMP) building some of the twins. */
async function ghaTwinJob(prefix: string, attrs: readonly string[]): Promise<GhaTwinRun> {
  await removeTree(runnerTemp)
  await mkdir(runnerTemp, { recursive: true })
  const store = await createTestStore()
  const file = await writeTwins(store.root)
  const job = await startJob({
    env: { ...store.env, RUNNER_TEMP: runnerTemp, ...gha.server.env() },
    // Signed, so that the restored cache can be verified under require-sigs; restored eagerly, so
    // that it can be verified before the build (gha-on-demand.test.ts covers the on-demand restore).
    inputs: { cache: 'github-actions', 'secret-key': world.keys.secret, 'key-prefix': prefix, 'push-during-build': 'false' }
  })
  const main = job.main as StepResult
  expect(main.code).toBe(0)
  const verify = await verifyCache(join(runnerTemp, 'nix-buildtime-cache/gha/binary-cache'), world.keys.public)
  const build = await job.exec('nix-build', [file, ...attrs.flatMap((a) => ['-A', a]), '--no-out-link'])
  if (build.code !== 0) throw new Error(build.stderr)
  const post = await job.post()
  await store.cleanup()
  return { main, post, warnings: [...warningLines(main.stdout), ...warningLines(post.stdout)], built: builtDerivations(build.stderr), verify }
}

describe('a layer where two paths share one NAR (identical contents)', () => {
  it('is restored whole by the next job, which substitutes both paths and builds nothing', async () => {
    const first = await ghaTwinJob('shared', ['good', 'twin'])
    expect(first.post.code).toBe(0)
    expect(first.warnings).toEqual([])
    expect((await newestManifest(gha.server, 'shared')).layers.map((l) => l.pathCount)).toEqual([2])

    const second = await ghaTwinJob('shared', ['good', 'twin'])
    expect(second.warnings).toEqual([])
    expect(second.main.stdout).toMatch(/Restored 1 of 1 cache layer\(s\) from \S+: 2 paths/)
    expect(second.verify.stderr).not.toMatch(/modified|untrusted|error/i)
    expect(second.verify.code).toBe(0)
    expect(second.built).toEqual([])
    expect(second.post.code).toBe(0)
  })
})

describe('a layer that cannot be used', () => {
  it('costs only that layer, and is dropped from the manifest even when the job has nothing new to save', async () => {
    await ghaTwinJob('unusable', ['good'])
    await ghaTwinJob('unusable', ['other'])
    const before = await newestManifest(gha.server, 'unusable')
    expect(before.layers).toHaveLength(2)
    const [broken, kept] = before.layers as [(typeof before.layers)[0], (typeof before.layers)[0]]
    gha.server.overwrite(broken.key, Buffer.from('definitely not a zstd archive'))

    // Needs only what the other layer holds: nothing is new, yet the manifest must change.
    const run = await ghaTwinJob('unusable', ['other'])
    expect(run.post.code).toBe(0)
    expect(run.warnings).toHaveLength(1)
    expect(run.warnings[0]).toContain(`Cache layer ${broken.key} could not be restored`)
    expect(run.main.stdout).toMatch(/Restored 1 of 2 cache layer/)
    expect(run.verify.code).toBe(0)
    expect(run.built).toEqual([])
    expect(run.post.stdout).toContain('Dropped 1 unusable layer(s) from the cache manifest')
    const after = await newestManifest(gha.server, 'unusable')
    expect(after.layers.map((l) => l.key)).toEqual([kept.key])

    const next = await ghaTwinJob('unusable', ['other'])
    expect(next.warnings).toEqual([])
    expect(next.built).toEqual([])
    expect(next.verify.code).toBe(0)
  })
})
