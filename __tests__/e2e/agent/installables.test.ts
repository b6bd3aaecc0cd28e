import { describe, expect, it } from '@jest/globals'
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { UPSTREAM_KEY_NAME, writeGraph } from '../../helpers/graph.js'
import type { TestStore } from '../../helpers/nix-store.js'
import { alive, sleep } from '../../helpers/proc.js'
import { agentPid, startJob } from '../../helpers/runner.js'
import { buildWatching, slowNix, slowStore, type Watched } from '../../helpers/slow-graph.js'
import { useGraphWorld } from '../../helpers/scenario.js'
import { hashPart } from '../../../src/format/store-path.js'
import { expectVerified, narinfos } from '../../helpers/cache-check.js'

const world = useGraphWorld('e2e-agent-installables-')

const hashes = (paths: readonly string[]): string[] => paths.map(hashPart).sort()

/**
 * The slow graph as a flake with no inputs (evaluated offline, purely: no currentSystem), in its
 * own directory so that its source is not the test store. The lock file is committed, as users do.
 */
async function writeSlowFlake(store: TestStore): Promise<string> {
  const dir = join(store.root, 'flake')
  await mkdir(dir, { recursive: true })
  const system = (await store.runOk('nix', ['eval', '--impure', '--raw', '--expr', 'builtins.currentSystem'])).stdout.trim()
  await writeGraph(dir, 'v1')
  for (const name of ['graph.nix']) {
    const text = await readFile(join(dir, name), 'utf8')
    await writeFile(join(dir, name), text.replaceAll('builtins.currentSystem', JSON.stringify(system)))
  }
  await writeFile(join(dir, 'slow.nix'), slowNix.replaceAll('builtins.currentSystem', JSON.stringify(system)))
  await writeFile(join(dir, 'flake.nix'), `{ outputs = { self }: { packages.${system} = import ./slow.nix; }; }\n`)
  await writeFile(join(dir, 'flake.lock'), '{"nodes":{"root":{}},"root":"root","version":7}\n')
  return dir
}

/** Kills the job with no post step (the runner's clean-up), a while after its build. */
async function killAfterBuild(job: { endJob(): number[] }, pid: number): Promise<void> {
  // Time for the agent to publish what it should not, were it going to (it polls every second).
  await sleep(3_000)
  expect(alive(pid)).toBe(true)
  expect(job.endJob()).toContain(pid)
  await sleep(200)
  expect(alive(pid)).toBe(false)
}

function publishedDuringBuild(w: Watched, path: string): void {
  expect(w.firstSeen.get(hashPart(path))).toBeDefined()
  expect(w.firstSeen.get(hashPart(path))!).toBeLessThan(w.buildMs)
}

describe('the background agent with installables', () => {
  it('with a .drv installable, a job killed after its build without a post step has published that derivation\'s build closure and nothing else', async () => {
    const { store, nixFile, paths } = await slowStore(world.upstream)
    const cacheDir = join(world.dir, 'cache-drv')
    await store.build(nixFile, 'pre')
    // The installable is s2's derivation (instantiated before the job: its sources are
    // pre-existing); the job then builds `final` on top of it.
    const s2drv = (await store.runOk('nix-instantiate', [nixFile, '-A', 's2'])).stdout.trim()
    const job = await startJob({
      env: store.env,
      inputs: { cache: `file://${cacheDir}`, 'secret-key': world.keys.secret, 'skip-signed-by': UPSTREAM_KEY_NAME, installables: s2drv }
    })
    expect(job.main?.code).toBe(0)
    const pid = agentPid(job)
    expect(pid).toBeDefined()
    const w = await buildWatching(job, nixFile, cacheDir, [paths.s1, paths.s2], store)
    expect(w.build.code).toBe(0)
    publishedDuringBuild(w, paths.s1)
    await killAfterBuild(job, pid!)
    // Nothing outside s2's build closure at any moment: not s3 or final (built by the same job),
    // not the stray add.
    expect([...w.firstSeen.keys()].sort()).toEqual(hashes([paths.s1, paths.s2]))
    expect([...(await narinfos(cacheDir))].sort()).toEqual(hashes([paths.s1, paths.s2]))
    await expectVerified(cacheDir, world.keys.public)
    await store.cleanup()
  })

  it('with a flake output, evaluates it in the background: a job killed after its build without a post step has published its build closure and nothing else', async () => {
    const { store, paths } = await slowStore(world.upstream)
    const flake = await writeSlowFlake(store)
    const cacheDir = join(world.dir, 'cache-flake')
    await store.build(join(flake, 'slow.nix'), 'pre')
    const job = await startJob({
      env: store.env,
      inputs: { cache: `file://${cacheDir}`, 'secret-key': world.keys.secret, 'skip-signed-by': UPSTREAM_KEY_NAME, installables: `path:${flake}#s2` }
    })
    expect(job.main?.code).toBe(0)
    const pid = agentPid(job)
    expect(pid).toBeDefined()
    const want = [paths.s1, paths.s2, paths.script]
    const w = await buildWatching(job, '', cacheDir, want, store, ['nix', ['build', '--no-link', `path:${flake}#final`]])
    expect(w.build.code).toBe(0)
    publishedDuringBuild(w, paths.s1)
    await killAfterBuild(job, pid!)
    expect([...w.firstSeen.keys()].sort()).toEqual(hashes(want))
    expect([...(await narinfos(cacheDir))].sort()).toEqual(hashes(want))
    await expectVerified(cacheDir, world.keys.public)
    await store.cleanup()
  })

  it('stops publishing for a local flake the job edits before building it, and leaves it to the post step', async () => {
    const { store, paths } = await slowStore(world.upstream)
    const flake = await writeSlowFlake(store)
    const cacheDir = join(world.dir, 'cache-flake-edited')
    await store.build(join(flake, 'slow.nix'), 'pre')
    const job = await startJob({
      env: store.env,
      inputs: { cache: `file://${cacheDir}`, 'secret-key': world.keys.secret, 'skip-signed-by': UPSTREAM_KEY_NAME, installables: `path:${flake}#s2` }
    })
    const pid = agentPid(job)!
    // Give the agent time to evaluate the flake as it stands, then edit it (a comment: the
    // derivations stay the same, but the agent cannot know that without evaluating it again).
    await sleep(3_000)
    await writeFile(join(flake, 'flake.nix'), `${await readFile(join(flake, 'flake.nix'), 'utf8')}# edited by the job\n`)
    const w = await buildWatching(job, '', cacheDir, [paths.s1], store, ['nix', ['build', '--no-link', `path:${flake}#final`]])
    expect(w.build.code).toBe(0)
    await sleep(2_000)
    // Only what the evaluation itself added before the edit (its `builtins.toFile` source, in the
    // final selection either way) may have gone up; nothing the build produced did.
    expect([...w.firstSeen.keys()].filter((h) => h !== hashPart(paths.script))).toEqual([])
    expect([...(await narinfos(cacheDir))].filter((h) => h !== hashPart(paths.script))).toEqual([])
    expect(alive(pid)).toBe(true)
    const post = await job.post()
    expect(post.code).toBe(0)
    expect([...(await narinfos(cacheDir))].sort()).toEqual(hashes([paths.s1, paths.s2, paths.script]))
    await job.cleanup()
    await store.cleanup()
  })

  it('in a job that completes, the post step finds only the tail left to publish (a .drv the job itself instantiates)', async () => {
    const { store, nixFile, paths } = await slowStore(world.upstream)
    const cacheDir = join(world.dir, 'cache-drv-post')
    await store.build(nixFile, 'pre')
    // Its path, without writing it: the job's build instantiates it, after the agent has started.
    const finalDrv = (await store.runOk('nix', ['eval', '--read-only', '--impure', '--raw', '--expr', `(import ${nixFile}).final.drvPath`])).stdout.trim()
    const job = await startJob({
      env: store.env,
      inputs: { cache: `file://${cacheDir}`, 'secret-key': world.keys.secret, 'skip-signed-by': UPSTREAM_KEY_NAME, installables: finalDrv }
    })
    const want = [paths.s1, paths.s2, paths.s3, paths.final, paths.script]
    const w = await buildWatching(job, nixFile, cacheDir, want, store)
    expect(w.build.code).toBe(0)
    publishedDuringBuild(w, paths.s3)
    const post = await job.post()
    expect(post.code).toBe(0)
    expect(post.outputs['pushed-count']).toBe('5')
    // All but at most the last path went up during the build.
    const during = Number(/(\d+) paths? \([\d.]+ [KM]iB NAR\) went up during the build/.exec(post.summary)?.[1])
    expect(during).toBeGreaterThanOrEqual(4)
    expect([...(await narinfos(cacheDir))].sort()).toEqual(hashes(want))
    await expectVerified(cacheDir, world.keys.public)
    await job.cleanup()
    await store.cleanup()
  })

  it('uploads NARs ahead without narinfos while an installable cannot be evaluated; the post step writes the selected narinfos and uploads none of them again', async () => {
    const { store, nixFile, paths } = await slowStore(world.upstream)
    const cacheDir = join(world.dir, 'cache-staged')
    await store.build(nixFile, 'pre')
    const flakeRef = `path:${join(store.root, 'flake')}`
    // The flake does not exist yet when the job starts (the job writes it, as a checkout step
    // would): the agent's evaluation fails, and it falls back to NARs only.
    const job = await startJob({
      env: store.env,
      inputs: { cache: `file://${cacheDir}`, 'secret-key': world.keys.secret, 'skip-signed-by': UPSTREAM_KEY_NAME, installables: `${flakeRef}#final` }
    })
    expect(job.main?.code).toBe(0)
    await sleep(2_000)
    await writeSlowFlake(store)
    const want = [paths.s1, paths.s2, paths.s3, paths.final, paths.script]
    const w = await buildWatching(job, '', cacheDir, want, store, ['nix', ['build', '--no-link', `${flakeRef}#final`]])
    expect(w.build.code).toBe(0)
    await sleep(3_000)
    // What a job killed here would leave: NARs that no narinfo names (invisible to Nix).
    expect(w.firstSeen.size).toBe(0)
    expect((await narinfos(cacheDir)).size).toBe(0)
    const staged = (await readdir(join(cacheDir, 'nar'))).filter((n) => n.endsWith('.nar.zst'))
    expect(staged.length).toBeGreaterThanOrEqual(4)
    const post = await job.post()
    expect(post.code).toBe(0)
    expect([...(await narinfos(cacheDir))].sort()).toEqual(hashes(want))
    expect(post.outputs['pushed-count']).toBe('5')
    // The narinfos name the staged NARs: none was uploaded twice, and at most the last one by the post step.
    const nars = (await readdir(join(cacheDir, 'nar'))).filter((n) => n.endsWith('.nar.zst'))
    expect(nars.length).toBe(5)
    const sizes = await Promise.all(staged.map(async (n) => (await stat(join(cacheDir, 'nar', n))).size))
    expect(Number(post.outputs['pushed-bytes'])).toBeLessThan(sizes.reduce((a, b) => a + b, 0))
    await expectVerified(cacheDir, world.keys.public)
    await job.cleanup()
    await store.cleanup()
  })
})
