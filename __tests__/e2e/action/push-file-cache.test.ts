import { beforeAll, describe, expect, it } from '@jest/globals'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { RUNTIME_ROLES, writeGraph } from '../../helpers/graph.js'
import { allOutput, errorLines, startJob } from '../../helpers/runner.js'
import { consumerBuild, EXPECTED_PUSH, PUSH_WITH_PREEXISTING, rolesOf, runGraphJob, topJob, type JobRun, useGraphWorld } from '../../helpers/scenario.js'
import { createTestStore, substitutedPaths, type TestStore } from '../../helpers/nix-store.js'
import { parseNarInfo } from '../../../src/format/narinfo.js'
import { verifySignature, fingerprint } from '../../../src/format/signing.js'

const world = useGraphWorld('e2e-file-')
let cacheDir: string
let first: JobRun

beforeAll(async () => {
  cacheDir = join(world.dir, 'cache')
  first = await jobBuildingTop()
})

/** A job whose installables name the top-level package, as `installables: .#top` would. */
function jobBuildingTop(store?: TestStore): Promise<JobRun> {
  return topJob(world, `file://${cacheDir}`, { store })
}

describe('a job pushing to a file:// cache', () => {
  it('pushes exactly the new build-time closure, minus upstream, pre-existing and unrelated paths', async () => {
    expect(first.post.code).toBe(0)
    expect(rolesOf(first.pushed, first.paths)).toEqual([...EXPECTED_PUSH].sort())
    const narinfos = (await readdir(cacheDir)).filter((f) => f.endsWith('.narinfo'))
    // Plus the path the earlier (warm-up) job pushed.
    expect(narinfos).toHaveLength(EXPECTED_PUSH.length + 1)
    expect(first.post.outputs['pushed-count']).toBe(String(EXPECTED_PUSH.length))
    expect(Number(first.post.outputs['pushed-bytes'])).toBeGreaterThan(0)
    expect(Number(first.post.outputs['nar-bytes'])).toBeGreaterThan(0)
  })

  it('says in the summary why each other path was skipped, and what was built or substituted', () => {
    const s = first.post.summary
    expect(s).toMatch(/\| upstream-signed \| 2 \|/)
    expect(s).toMatch(/\| pre-existing \| [1-9]\d* \|/)
    // unrelated's output and .drv, and the stray add
    expect(s).toMatch(/\| outside-closure \| 3 \|/)
    expect(s).toContain(first.paths.unrelated)
    expect(s).toContain(first.stray)
    expect(s).toContain('Substituted, signed by `upstream-test-1` (2)')
    expect(s).toMatch(/built \*\*\d+\*\* derivations locally/)
  })

  it('writes every NAR before its narinfo, signs it verifiably, and records the hashes Nix expects', async () => {
    for (const f of (await readdir(cacheDir)).filter((x) => x.endsWith('.narinfo'))) {
      const info = parseNarInfo(await readFile(join(cacheDir, f), 'utf8'))
      const nar = await readFile(join(cacheDir, info.url))
      expect(nar.length).toBe(info.fileSize)
      const sig = info.sigs.find((s) => s.startsWith('test-cache-1:'))
      expect(sig).toBeDefined()
      expect(verifySignature(world.keys.public, fingerprint(info.storePath, info.narHash, info.narSize, info.references), sig as string)).toBe(true)
      expect(info.compression).toBe('zstd')
    }
  })

  it('lets a fresh store rebuild a changed top-level derivation by building exactly one derivation', async () => {
    const consumer = await consumerBuild({
      substituters: [`file://${cacheDir}`, world.upstream.url],
      trustedKeys: [world.keys.public, world.upstream.publicKey],
      variant: 'v2'
    })
    expect(consumer.built).toBe(1)
    expect(consumer.log).toContain('-app.drv')
    await consumer.store.cleanup()
  })

  it('is rejected by a store that does not trust our key', async () => {
    const withoutUs = await consumerBuild({ substituters: [world.upstream.url], trustedKeys: [world.upstream.publicKey], variant: 'v2' })
    const wrongKey = await consumerBuild({
      substituters: [`file://${cacheDir}`, world.upstream.url],
      trustedKeys: ['someone-else-1:MaEyuN7OhWtWmB/uL34OwQeLLKASrzeNDjpfK9wQ0q8=', world.upstream.publicKey],
      variant: 'v2'
    })
    // Nix takes content-addressed paths (the fixed-output source) without signatures; every
    // other path from our cache was refused, so the consumer built those itself.
    const fromUs = substitutedPaths(wrongKey.log).filter((s) => s.from === `file://${cacheDir}`)
    expect(fromUs.map((s) => s.path)).toEqual([first.paths.src])
    expect(wrongKey.built).toBe(withoutUs.built - 1)
    expect(withoutUs.built).toBeGreaterThan(2)
    await withoutUs.store.cleanup()
    await wrongKey.store.cleanup()
  })

  it('takes the derivations instantiated during the job as roots when installables is empty', async () => {
    const cache = join(world.dir, 'cache-default-roots')
    const run = await runGraphJob({ cache: `file://${cache}`, keys: world.keys, upstream: world.upstream })
    // `unrelated` was built by the job, so it is part of what the job built; the stray add is not.
    expect(rolesOf(run.pushed, run.paths)).toEqual([...EXPECTED_PUSH, 'unrelated'].sort())
    expect(run.post.summary).toMatch(/\| outside-closure \| 1 \|/) // the stray add
    expect(run.post.summary).toContain(run.stray)
    await run.store.cleanup()
  })

  it('pushes nothing on a second job that builds the same thing from the cache', async () => {
    const second = await jobBuildingTop()
    expect(second.post.code).toBe(0)
    expect(second.pushed).toEqual([])
    expect(second.post.outputs['pushed-count']).toBe('0')
    // It substituted top's runtime closure from our cache: new to its store, but already cached.
    expect(second.post.summary).toMatch(new RegExp(`\\| already-cached \\| ${RUNTIME_ROLES.length} \\|`))
    await second.store.cleanup()
  })

  it('pushes nothing when the store did not change (self-hosted runner, same store)', async () => {
    const again = await jobBuildingTop(first.store)
    expect(again.post.code).toBe(0)
    expect(again.pushed).toEqual([])
  })

  it('never prints the secret key', () => {
    const secretPart = world.keys.secret.split(':')[1]
    for (const step of [first.main, first.post]) {
      // The runner consumes ::add-mask:: lines and never shows them; everything else is visible.
      const visible = allOutput(step)
        .split('\n')
        .filter((l) => !l.startsWith('::add-mask::'))
        .join('\n')
      expect(visible).not.toContain(secretPart)
      expect(step.masks).toContain(world.keys.secret)
      expect(errorLines(step.stdout)).toEqual([])
    }
  })

  it('selects and reports but uploads nothing in dry-run mode', async () => {
    const cache = join(world.dir, 'cache-dry')
    const store = await createTestStore({ extraConfig: world.upstream.nixConfig })
    const run = await topJob(world, `file://${cache}`, { store, preexisting: false, inputs: { 'dry-run': 'true' } })
    expect(run.post.code).toBe(0)
    expect(run.pushed).toEqual([])
    expect(run.post.outputs['pushed-count']).toBe('0')
    expect(run.post.summary).toContain(`**Would push ${EXPECTED_PUSH.length + 1} paths**`) // + preexisting
    // Nix itself creates the cache's skeleton when the job substitutes from it; no path is in it.
    const files = await readdir(cache).catch(() => [] as string[])
    expect(files.filter((f) => f.endsWith('.narinfo'))).toEqual([])
    await store.cleanup()
  })

  it('never pushes excluded paths, and a pattern that matches nothing changes nothing', async () => {
    const cache = join(world.dir, 'cache-exclude')
    const store = await createTestStore({ extraConfig: world.upstream.nixConfig })
    const run = await topJob(world, `file://${cache}`, { store, preexisting: false, inputs: { exclude: '-app$\n-build-tool$\n^matches-nothing$' } })
    expect(run.post.code).toBe(0)
    expect(rolesOf(run.pushed, run.paths)).toEqual(['lib', 'multiDev', 'multiOut', 'preexisting', 'src'])
    expect(run.post.summary).toMatch(/\| excluded \| 2 \|/)
    await store.cleanup()
  })

  it('is pull-only without a secret key: a notice, a green step, nothing uploaded', async () => {
    const cache = join(world.dir, 'cache-fork')
    const store = await createTestStore({ extraConfig: world.upstream.nixConfig })
    const run = await topJob(world, `file://${cache}`, { store, preexisting: false, inputs: { 'secret-key': '', 'public-keys': world.keys.public } })
    expect(run.main.code).toBe(0)
    expect(run.post.code).toBe(0)
    expect(run.pushed).toEqual([])
    expect(run.post.stdout).toMatch(/::notice::No secret-key/)
    expect(run.main.env.NIX_CONFIG).toContain(`extra-trusted-public-keys = ${world.keys.public}`)
    await store.cleanup()
  })

  it('leaves the job\'s Nix configuration alone with pull: false', async () => {
    const store = await createTestStore()
    const job = await startJob({ env: store.env, inputs: { cache: `file://${join(world.dir, 'cache-nopull')}`, pull: 'false' } })
    expect(job.main?.code).toBe(0)
    expect(job.exports.NIX_CONFIG).toBeUndefined()
    await store.cleanup()
  })

  it('backfills pre-existing closure paths the cache lacks with push-pre-existing', async () => {
    // A warm self-hosted store: preexisting was built before the action was ever used.
    const withoutFlag = join(world.dir, 'cache-warm-default')
    const withFlag = join(world.dir, 'cache-warm-backfill')
    const results: Record<string, { pushed: string[]; built: number }> = {}
    for (const [cache, flag] of [[withoutFlag, 'false'], [withFlag, 'true']]) {
      const store = await createTestStore({ extraConfig: world.upstream.nixConfig })
      await store.build(await writeGraph(store.root, 'v1'), 'preexisting')
      const run = await topJob(world, `file://${cache}`, { store, preexisting: false, inputs: { 'push-pre-existing': flag } })
      expect(run.post.code).toBe(0)
      const consumer = await consumerBuild({
        substituters: [`file://${cache}`, world.upstream.url],
        trustedKeys: [world.keys.public, world.upstream.publicKey],
        variant: 'v2'
      })
      results[flag] = { pushed: rolesOf(run.pushed, run.paths), built: consumer.built }
      await consumer.store.cleanup()
      await store.cleanup()
    }
    expect(results.false).toEqual({ pushed: [...EXPECTED_PUSH].sort(), built: 2 })
    expect(results.true).toEqual({ pushed: PUSH_WITH_PREEXISTING, built: 1 })
  })
})
