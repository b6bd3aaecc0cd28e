import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { graphPaths, UPSTREAM_KEY_NAME, writeGraph, type GraphPaths } from '../../helpers/graph.js'
import { createTestStore, type TestStore } from '../../helpers/nix-store.js'
import type { ProcResult } from '../../helpers/proc.js'
import { consumerBuild, rolesOf, topInstallable, useGraphWorld } from '../../helpers/scenario.js'
import { jsonResult, runCli } from '../../helpers/cli.js'
import { expectVerified } from '../../helpers/cache-check.js'
import { cacheShape, treeState } from '../../helpers/gc-check.js'
import { SECRET_KEY_ENV } from '../../../src/cli/options.js'
import { RECORD_PREFIX } from '../../../src/format/job-record.js'

// `nix-buildtime-cache gc` on a file:// cache: three CI jobs build three versions of the app over
// a shared library and build tool (the later ones substitute those from the cache), then the GC.
const world = useGraphWorld('e2e-cli-gc-file-')
let cacheDir: string
const stores: TestStore[] = []
let v3: GraphPaths
const jobs: ProcResult[] = []

/** One CI job in a fresh store: build `top` of `variant`, pulling from and pushing to the cache. */
async function ciJob(variant: string, dir: string): Promise<{ run: ProcResult; paths: GraphPaths }> {
  const store = await createTestStore({ extraConfig: world.upstream.nixConfig })
  stores.push(store)
  const nixFile = await writeGraph(store.root, variant)
  const top = await topInstallable(store, variant)
  const run = await runCli(
    ['run', '--cache', `file://${dir}`, '--skip-signed-by', UPSTREAM_KEY_NAME, '--installables', top, '--', 'nix-build', nixFile, '-A', 'top', '--no-out-link'],
    { env: { ...store.env, [SECRET_KEY_ENV]: world.keys.secret }, cwd: store.root }
  )
  if (run.code !== 0) throw new Error(`job ${variant} failed:\n${run.stderr}`)
  return { run, paths: await graphPaths(nixFile, store) }
}

const gc = (dir: string, args: readonly string[]): Promise<ProcResult> =>
  runCli(['gc', '--cache', `file://${dir}`, '--json', ...args], { env: { ...stores[0]?.env, PATH: process.env.PATH } })

beforeAll(async () => {
  cacheDir = join(world.dir, 'cache')
  for (const variant of ['v1', 'v2']) jobs.push((await ciJob(variant, cacheDir)).run)
  const last = await ciJob('v3', cacheDir)
  jobs.push(last.run)
  v3 = last.paths
})

afterAll(async () => {
  for (const s of stores) await s.cleanup()
})

describe('gc on a file:// cache', () => {
  it('finds one job record per job, completed by its post step', async () => {
    const recorded = await readdir(join(cacheDir, RECORD_PREFIX))
    expect(recorded).toHaveLength(3)
    // With installables everything is pushed by the post step (no agent): one part per job.
    const parts = (await Promise.all(recorded.map((job) => readdir(join(cacheDir, RECORD_PREFIX, job))))).flat()
    expect(parts.filter((p) => p === 'post.json')).toHaveLength(3)
  })

  it('changes nothing with --dry-run, and reports what would go', async () => {
    const before = await treeState(cacheDir)
    const r = await gc(cacheDir, ['--keep-jobs', '1', '--grace', '0s', '--dry-run'])
    expect(r.code).toBe(0)
    expect(await treeState(cacheDir)).toEqual(before)
    const result = jsonResult(r.stdout)
    expect(result).toMatchObject({ dryRun: true, jobs: { read: 3, kept: 1 } })
    // The two older apps would go, and nothing else.
    expect((result.deletedPaths as string[]).map((p) => p.replace(/^.*?-/, ''))).toEqual(['app', 'app'])
    expect(r.stderr).toMatch(/would delete/)
  })

  it('with --keep-jobs 1 --grace 0s leaves exactly what the last job pushed or used, with its closure', async () => {
    const r = await gc(cacheDir, ['--keep-jobs', '1', '--grace', '0s'])
    expect(r.code).toBe(0)
    const shape = await cacheShape(cacheDir)
    expect(rolesOf(shape.paths, v3)).toEqual(['lib', 'multiDev', 'multiOut', 'preexisting', 'src', 'tool', 'top'])
    expect(shape.missingNars).toEqual([])
    expect(shape.missingReferences).toEqual([])
    expect(shape.strayNars).toEqual([])
    expect(jsonResult(r.stdout)).toMatchObject({ narinfos: { deleted: 2 }, records: { deleted: 2 }, jobs: { read: 3, kept: 1 } })
    expect(await readdir(join(cacheDir, RECORD_PREFIX))).toHaveLength(1)
    expect(r.stderr).toMatch(/deleted; NARs: 2 of \d+ deleted; .* freed/)
    await expectVerified(cacheDir, world.keys.public)
  })

  it('lets a fresh store get the last app from the collected cache without building', async () => {
    const consumer = await consumerBuild({
      substituters: [`file://${cacheDir}`, world.upstream.url],
      trustedKeys: [world.keys.public, world.upstream.publicKey],
      variant: 'v3'
    })
    expect(consumer.built).toBe(0)
    await consumer.store.cleanup()
  })

  it('deletes nothing from a cache filled by nix copy, and says why', async () => {
    const copied = join(world.dir, 'copied')
    const store = stores[0] as TestStore
    const nixFile = await writeGraph(store.root, 'v1')
    const top = (await store.runOk('nix-build', [nixFile, '-A', 'top', '--no-out-link'])).stdout.trim()
    await store.runOk('nix', ['copy', '--to', `file://${copied}`, top])
    const before = await treeState(copied)
    const r = await gc(copied, ['--grace', '0s', '--keep-jobs', '1'])
    expect(r.code).toBe(0)
    expect(await treeState(copied)).toEqual(before)
    expect(r.stderr).toMatch(/Nothing deleted: the cache holds no job records yet/)
    expect(jsonResult(r.stdout)).toMatchObject({ narinfos: { deleted: 0 }, nars: { deleted: 0 } })
  })

  it('stops at a damaged record, deleting nothing, unless --force is given', async () => {
    const dir = join(world.dir, 'damaged')
    await cp(cacheDir, dir, { recursive: true })
    await mkdir(join(dir, RECORD_PREFIX, 'broken'), { recursive: true })
    await writeFile(join(dir, RECORD_PREFIX, 'broken', 'post.json'), '{"format":"nix-buildtime-cache/job-record","version":1,"job":')
    const before = await treeState(dir)
    const stopped = await gc(dir, ['--grace', '0s', '--keep-jobs', '1'])
    expect(stopped.code).toBe(1)
    expect(stopped.stderr).toMatch(/gc stopped: 1 damaged job record\(s\), first: nix-buildtime-cache\/jobs\/broken\/post.json is not JSON; nothing was deleted/)
    expect(stopped.stderr).not.toMatch(/\n\s+at /)
    expect(await treeState(dir)).toEqual(before)
    const forced = await gc(dir, ['--grace', '0s', '--keep-jobs', '1', '--force'])
    expect(forced.code).toBe(0)
    expect(forced.stderr).toMatch(/Skipping 1 damaged job record/)
  })

  it('stops at a record of a newer format even with --force, and leaves it alone', async () => {
    const dir = join(world.dir, 'newer')
    await cp(cacheDir, dir, { recursive: true })
    const part = join(dir, RECORD_PREFIX, 'future', 'post.json')
    await mkdir(join(dir, RECORD_PREFIX, 'future'), { recursive: true })
    await writeFile(part, JSON.stringify({ format: 'nix-buildtime-cache/job-record', version: 99, job: 'future', time: 0, pushed: [], used: [] }))
    const before = await treeState(dir)
    const r = await gc(dir, ['--grace', '0s', '--keep-jobs', '1', '--force'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/format version 99, newer than this version reads \(1\)/)
    expect(await treeState(dir)).toEqual(before)
    expect(await readFile(part, 'utf8')).toContain('"version":99')
  })

  it('keeps a narinfo it cannot parse, and the NAR and references it names', async () => {
    const dir = join(world.dir, 'unparsable')
    await cp(cacheDir, dir, { recursive: true })
    const lib = v3.lib.split('/').pop() as string
    const odd = `${'0'.repeat(31)}1`
    await writeFile(join(dir, `${odd}.narinfo`), `StorePath: /nix/store/${odd}-odd\nURL: nar/odd.nar.zst\nCompression: zstd\nNarHash: sha512:not-a-hash\nNarSize: 1\nReferences: ${lib}\n`)
    await writeFile(join(dir, 'nar', 'odd.nar.zst'), 'x')
    const r = await gc(dir, ['--grace', '0s', '--keep-jobs', '1', '--pin', 'no-such-path-anywhere'])
    expect(r.code).toBe(0)
    expect(r.stderr).toMatch(/1 narinfo\(s\) could not be parsed; they are kept/)
    expect(await readdir(join(dir, 'nar'))).toContain('odd.nar.zst')
    expect(await readdir(dir)).toContain(`${odd}.narinfo`)
  })

  it('refuses an HTTP cache and a nix copy store with one clear error', async () => {
    const http = await runCli(['gc', '--cache', 'https://cache.example.org'], { env: { PATH: process.env.PATH } })
    expect(http.code).toBe(2)
    expect(http.stderr).toMatch(/an HTTP cache cannot be listed/)
    const ssh = await runCli(['gc', '--cache', 'ssh://builder.example.org'], { env: { PATH: process.env.PATH } })
    expect(ssh.code).toBe(2)
    expect(ssh.stderr).toMatch(/not ours to collect/)
  })
})
