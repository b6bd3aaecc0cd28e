// Faults that must never make a binary cache worse: tampered store paths, two jobs writing at
// once, a cache directory that is read-only or full. Each test asserts the job's result, its
// warnings, and that real Nix still verifies the whole cache and substitutes from it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { consumerOf, expectVerified, writeTwins } from '../../helpers/cache-check.js'
import { createTestStore, overwriteInStore, type TestStore } from '../../helpers/nix-store.js'
import { startNginx, type Nginx } from '../../helpers/nginx.js'
import { startJob, warningLines, type StepResult } from '../../helpers/runner.js'
import { consumerBuild, PUSH_WITH_PREEXISTING, rolesOf, topJob, useGraphWorld, type JobRun } from '../../helpers/scenario.js'
import { runProcess } from '../../helpers/proc.js'
import { describeAsRoot } from '../../helpers/requires.js'
import { hashPart } from '../../../src/format/store-path.js'

/** Temporary files a writer left in a file:// cache, narinfos' (the root) as well as NARs' (nar/). */
async function leftovers(cache: string): Promise<string[]> {
  const names = [...(await readdir(cache)), ...(await readdir(join(cache, 'nar')))]
  return names.filter((f) => /\.(tmp|spool)-[0-9a-f]{12}$/.test(f) || (f.startsWith('.') && f.includes('.spool-')))
}

const world = useGraphWorld('e2e-integrity-')

interface TwinJob {
  post: StepResult
  warnings: string[]
  paths: Record<string, string>
  store: TestStore
}

/** One job building some of the twins' attributes, optionally tampering with outputs before the post step. */
async function twinJob(cache: string, attrs: readonly string[], tamper: readonly string[] = []): Promise<TwinJob> {
  const store = await createTestStore()
  const file = await writeTwins(store.root)
  const job = await startJob({ env: store.env, inputs: { cache, 'secret-key': world.keys.secret } })
  expect(job.main?.code).toBe(0)
  const build = await job.exec('nix-build', [file, ...attrs.flatMap((a) => ['-A', a]), '--no-out-link'])
  if (build.code !== 0) throw new Error(build.stderr)
  const outs = build.stdout.split('\n').filter((l) => l !== '')
  const paths = Object.fromEntries(attrs.map((a, i) => [a, outs[i] as string]))
  // Same length, other bytes: only the hash can tell (a damaged disk, or someone with root).
  for (const a of tamper) await overwriteInStore(store.physicalPath(paths[a] as string), 'evil\n')
  const post = await job.post()
  return { post, warnings: [...warningLines(job.main?.stdout ?? ''), ...warningLines(post.stdout)], paths, store }
}

const expectVerifies = (dir: string): Promise<void> => expectVerified(dir, world.keys.public)

describe.each([
  ['file://', async () => {
    const dir = join(world.dir, `cache-tamper-file`)
    return { url: `file://${dir}`, dir, stop: async () => undefined }
  }],
  ['HTTP', async () => {
    const dir = join(world.dir, 'www-tamper')
    await runProcess('mkdir', ['-p', dir], { env: { PATH: '/usr/bin:/bin' } })
    const nginx: Nginx = await startNginx({ root: dir })
    return { url: nginx.url, dir, stop: () => nginx.stop() }
  }]
])('a tampered store path, pushed to a %s cache', (_kind, makeCache) => {
  let cache: { url: string; dir: string; stop: () => Promise<void> }
  beforeAll(async () => {
    cache = await makeCache()
  })
  afterAll(async () => {
    await cache.stop()
  })

  it('never damages the cached NAR of a good path with the same contents; it and its referrer are not published; one warning', async () => {
    const first = await twinJob(cache.url, ['good'])
    expect(first.post.code).toBe(0)
    expect(first.warnings).toEqual([])
    expect(first.post.outputs['pushed-count']).toBe('1')

    const second = await twinJob(cache.url, ['twin', 'user', 'other'], ['twin'])
    expect(second.post.code).toBe(0)
    expect(second.warnings).toHaveLength(1)
    expect(second.warnings[0]).toMatch(/2 path\(s\) could not be pushed; first: \/nix\/store\/\w+-same-twin: its contents do not match the hash Nix recorded/)
    expect(second.post.outputs['pushed-count']).toBe('1')
    const narinfos = (await readdir(cache.dir)).filter((f) => f.endsWith('.narinfo')).sort()
    expect(narinfos).toEqual([hashPart(first.paths.good as string), hashPart(second.paths.other as string)].map((h) => `${h}.narinfo`).sort())

    await expectVerifies(cache.dir)
    const consumer = await consumerOf(cache.url, world.keys.public, ['good'])
    expect(consumer.built).toBe(0)
    expect(consumer.substituted).toEqual([first.paths.good])
    for (const s of [first.store, second.store, consumer.store]) await s.cleanup()
  })

  it('publishes the good one of two same-content paths in one job, and refuses the tampered one', async () => {
    // A cache of its own, so that the good path is new to it.
    const url = `${cache.url}/one-job`
    const dir = join(cache.dir, 'one-job')
    const run = await twinJob(url, ['good', 'twin', 'user'], ['twin'])
    expect(run.post.code).toBe(0)
    expect(run.warnings).toHaveLength(1)
    expect(run.warnings[0]).toMatch(/2 path\(s\) could not be pushed/)
    expect(run.post.outputs['pushed-count']).toBe('1')
    await expectVerifies(dir)
    const consumer = await consumerOf(url, world.keys.public, ['good'])
    expect(consumer.built).toBe(0)
    for (const s of [run.store, consumer.store]) await s.cleanup()
  })
})

describe('two jobs pushing overlapping sets at once', () => {
  it('both stay green without warnings, and the cache verifies and serves the union', async () => {
    const dir = join(world.dir, 'cache-concurrent')
    const job = (): Promise<JobRun> => topJob(world, `file://${dir}`, { preexisting: false })
    const [a, b] = await Promise.all([job(), job()])
    for (const run of [a, b]) {
      expect(run.post.code).toBe(0)
      expect(warningLines(run.post.stdout)).toEqual([])
    }
    const union = new Set([...rolesOf(a.pushed, a.paths), ...rolesOf(b.pushed, b.paths)])
    expect([...union].sort()).toEqual(PUSH_WITH_PREEXISTING)
    expect(await leftovers(dir)).toEqual([])
    await expectVerifies(dir)
    const consumer = await consumerBuild({ substituters: [`file://${dir}`, world.upstream.url], trustedKeys: [world.keys.public, world.upstream.publicKey], variant: 'v2' })
    expect(consumer.built).toBe(1)
    for (const s of [a.store, b.store, consumer.store]) await s.cleanup()
  })
})

const mount = (args: string[]) => runProcess('mount', args, { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } })

describeAsRoot('mounts a tmpfs')('a cache directory on a read-only or full file system', () => {
  let mnt: string
  beforeAll(async () => {
    mnt = join(world.dir, 'tmpfs')
    await runProcess('mkdir', ['-p', mnt], { env: { PATH: '/usr/bin:/bin' } })
    const r = await mount(['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt])
    if (r.code !== 0) throw new Error(`mount: ${r.stderr}`)
  })
  afterAll(async () => {
    await runProcess('umount', [mnt], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } })
  })

  it('read-only: one warning naming EROFS, a green job, and the cache still verifies and serves', async () => {
    const dir = join(mnt, 'cache')
    const seed = await twinJob(`file://${dir}`, ['good'])
    expect(seed.warnings).toEqual([])
    expect((await mount(['-o', 'remount,ro', mnt])).code).toBe(0)
    try {
      const run = await twinJob(`file://${dir}`, ['other'])
      expect(run.post.code).toBe(0)
      expect(run.warnings).toHaveLength(1)
      expect(run.warnings[0]).toContain(`file://${dir} is not writable: the file system is read-only (EROFS`)
      await expectVerifies(dir)
      const consumer = await consumerOf(`file://${dir}`, world.keys.public, ['good'])
      expect(consumer.built).toBe(0)
      for (const s of [seed.store, run.store, consumer.store]) await s.cleanup()
    } finally {
      await mount(['-o', 'remount,rw', mnt])
    }
  })

  it('full: the paths that do not fit fail with one warning naming ENOSPC, nothing half-written is left, and the cache verifies', async () => {
    const dir = join(mnt, 'cache-full')
    const seed = await twinJob(`file://${dir}`, ['good'])
    expect(seed.warnings).toEqual([])
    // Fill what is left of the file system.
    const filler = join(mnt, 'filler')
    await runProcess('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { env: { PATH: '/usr/bin:/bin' } })
    const run = await twinJob(`file://${dir}`, ['other', 'user'])
    expect(run.post.code).toBe(0)
    expect(run.warnings).toHaveLength(1)
    expect(run.warnings[0]).toMatch(/could not be pushed; first: .*(ENOSPC|no space left)/)
    expect(await leftovers(dir)).toEqual([])
    await expectVerifies(dir)
    const consumer = await consumerOf(`file://${dir}`, world.keys.public, ['good'])
    expect(consumer.built).toBe(0)

    // Once there is room again, the next job pushes what the full one could not.
    await runProcess('rm', ['-f', filler], { env: { PATH: '/usr/bin:/bin' } })
    const again = await twinJob(`file://${dir}`, ['other', 'user'])
    expect(again.warnings).toEqual([])
    expect(again.post.outputs['pushed-count']).toBe('3')
    await expectVerifies(dir)
    // twin's narinfo names the NAR good's job wrote (so it carries no FileHash of its own).
    const both = await consumerOf(`file://${dir}`, world.keys.public, ['user'])
    expect(both.built).toBe(0)
    expect(both.substituted).toHaveLength(2)
    expect(both.substituted).toContain(again.paths.user)
    expect(both.substituted.find((p) => p.endsWith('-same-twin'))).toBeDefined()
    for (const s of [seed.store, run.store, consumer.store, again.store, both.store]) await s.cleanup()
  })
})
