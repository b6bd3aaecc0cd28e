// (b) Bytes pushed for one job on the graph workload (bench/workloads/graph-nix.ts), by:
//   ours       the action: main step, the job's build, post step with `installables: <top.drv>`
//              and `skip-signed-by: upstream-bench-1`
//   seed-002   the blog recipe "How to correctly cache build-time dependencies using Nix":
//              `nix-store -qR --include-outputs <drv>` then `nix copy --to <cache>` of the result.
//              On Nix 2.4-2.14 a .drv argument to `nix copy` means its outputs (and builds missing
//              ones), so the .drv files are left out, as our default (include-derivations: false) does.
//   cachix     every new store path, as cachix-action's store scan finds it (bash glob minus .drv),
//              pushed with its closure like `cachix push`.
// Every cache starts as the earlier job left ours: holding the pre-existing paths. The ideal set
// comes from the graph's structure: the outputs of top's build closure that the job built
// itself (not upstream, not pre-existing), without .drv files.
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { removeTree } from '../../__tests__/helpers/nix-store.js'
import { parseNarInfo } from '../../src/format/narinfo.js'
import { BenchJob, numberOutput, type JobContext } from '../lib/job.js'
import { log } from '../lib/log.js'
import { RESULTS } from '../lib/paths.js'
import { seconds, summarise } from '../lib/stats.js'
import { lines, openStore, type BenchStore } from '../lib/store.js'
import { UPSTREAM_KEY } from '../workloads/graph-nix.js'
import type { GraphWorkload } from '../workloads/graph.js'

export type Category = 'ideal' | 'upstream' | 'pre-existing' | 'outside closure (extras)' | 'stray nix-store --add' | 'other'

export interface PushSet {
  paths: number
  narBytes: number
  fileBytes: number
  seconds: number
  /** Pushed paths by what they are. */
  byCategory: Partial<Record<Category, { paths: number; narBytes: number }>>
  /** Paths of the ideal set that were not pushed. */
  missing: number
}

export interface SelectionFigures {
  derivations: number
  storePaths: number
  newPaths: number
  ideal: { paths: number; narBytes: number }
  ours: PushSet
  seed002: PushSet
  cachix: PushSet
  /** Our pushed set equals the ideal set. */
  exact: boolean
  /** Each run's times (medians above): ours and the seed-002 recipe, and which went first. */
  timings?: Array<{ ours: number; seed002: number; order: 'ours-first' | 'nix-copy-first' }>
}

/**
 * The selection measured `runs` times, alternating which of our post step and the seed-002 recipe
 * is timed first; the figures of the first run, with every time the median of all runs.
 */
export async function measureSelectionRuns(runs: number, opts: { graph: GraphWorkload; ctx: JobContext; scratch: string }): Promise<SelectionFigures> {
  const all: SelectionFigures[] = []
  for (let i = 0; i < runs; i++) all.push(await measureSelection({ ...opts, order: i % 2 === 0 ? 'ours-first' : 'nix-copy-first' }))
  const first = all[0]!
  const median = (pick: (f: SelectionFigures) => number): number => summarise(all.map(pick)).median
  return {
    ...first,
    ours: { ...first.ours, seconds: median((f) => f.ours.seconds) },
    seed002: { ...first.seed002, seconds: median((f) => f.seed002.seconds) },
    cachix: { ...first.cachix, seconds: median((f) => f.cachix.seconds) },
    exact: all.every((f) => f.exact),
    timings: all.map((f, i) => ({ ours: f.ours.seconds, seed002: f.seed002.seconds, order: i % 2 === 0 ? 'ours-first' : 'nix-copy-first' }))
  }
}

async function copyTree(from: string, to: string, store: BenchStore): Promise<void> {
  await removeTree(to)
  await store.runOk('cp', ['-a', from, to])
}

/**
 * Lets the disk catch up before a timed step: the set-up just deleted and copied thousands of
 * files. This bench's machines run ext4 without a journal, where every file creation skips each
 * free inode deleted in the last minute or more (`recently_deleted` in fs/ext4/ialloc.c; `perf`
 * showed it taking most of a creation's time), so creating a file costs 0.05 to 0.6 ms depending
 * on the minute. Hence also the repeated runs in alternating order (measureSelection's `order`).
 */
async function settle(store: BenchStore): Promise<void> {
  await store.runOk('sync', [])
  await new Promise((resolve) => setTimeout(resolve, 2000))
}

async function narinfos(dir: string): Promise<Map<string, { narSize: number; fileSize: number }>> {
  const out = new Map<string, { narSize: number; fileSize: number }>()
  for (const f of await readdir(dir)) {
    if (!f.endsWith('.narinfo')) continue
    const info = parseNarInfo(await readFile(join(dir, f), 'utf8'))
    out.set(info.storePath, { narSize: info.narSize, fileSize: info.fileSize })
  }
  return out
}

async function validPaths(store: BenchStore): Promise<Map<string, number>> {
  const r = await store.runOk('sqlite3', ['-readonly', '-separator', ' ', store.dbPath, 'SELECT path, narSize FROM ValidPaths'])
  return new Map(lines(r.stdout).map((l) => [l.slice(0, l.indexOf(' ')), Number(l.slice(l.indexOf(' ') + 1))]))
}

/**
 * One job on the graph, and the two recipes on the same store. `order` says whether our post step
 * is timed before or after the seed-002 recipe: runs alternate, so neither always meets the disk
 * in the state the other left it in.
 */
export async function measureSelection(opts: { graph: GraphWorkload; ctx: JobContext; scratch: string; order?: 'ours-first' | 'nix-copy-first' }): Promise<SelectionFigures> {
  const { graph } = opts
  const work = join(opts.scratch, 'graph-job')
  await removeTree(work)
  await mkdir(work, { recursive: true })
  const store = await openStore(work, graph.jobConfig)
  await copyTree(graph.beforeDir, store.storeRoot, store)
  const caches = { ours: join(work, 'cache-ours'), seed002: join(work, 'cache-seed002'), cachix: join(work, 'cache-cachix') }
  for (const dir of Object.values(caches)) await copyTree(graph.seedCacheDir, dir, store)
  const seeded = new Set((await narinfos(graph.seedCacheDir)).keys())

  const job = await BenchJob.create(opts.ctx, {
    cache: `file://${caches.ours}`,
    'secret-key': graph.ourSecretKey,
    'skip-signed-by': UPSTREAM_KEY,
    installables: graph.topDrv,
    // The post step pushing the exact set is what is measured (issue 22: `push-during-build: false`).
    'push-during-build': 'false'
  }, process.env.BENCH_PROFILE_DIR ? { ...store.env, NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}` } : store.env)
  await job.main()
  const before = await validPaths(store)
  // The job's build, replayed: the store as `nix-build -A job` left it (see workloads/graph.ts).
  await copyTree(graph.afterDir, store.storeRoot, store)
  const strayDir = join(work, 'stray')
  await mkdir(strayDir)
  const strays = ['notes.txt', 'coverage.json', 'env-dump.txt']
  for (const s of strays) await writeFile(join(strayDir, s), `stray file ${s} ${Date.now()}\n`)
  const strayPaths = lines((await store.runOk('nix-store', ['--add', ...strays], { cwd: strayDir })).stdout)
  const key = graph.ourSecretKeyFile
  const cacheUrl = (dir: string): string => `file://${dir}?compression=zstd&secret-key=${key}`
  const recipe = `set -euo pipefail
mapfile -t DEPENDENCIES < <(nix-store --query --requisites --include-outputs "$1")
printf '%s\\n' "\${DEPENDENCIES[@]}" | grep -v '\\.drv$' | xargs nix copy --to "$2"
`
  const seed002 = async (): Promise<number> => {
    await settle(store)
    const start = process.hrtime.bigint()
    await store.runOk('bash', ['-c', recipe, 'bash', graph.topDrv, cacheUrl(caches.seed002)])
    return seconds(start)
  }
  const seed002First = opts.order === 'nix-copy-first' ? await seed002() : undefined
  await settle(store)
  const post = await job.post()
  // Kept for reading: the post step's log and job summary explain its selection.
  await mkdir(RESULTS, { recursive: true })
  await writeFile(join(RESULTS, 'selection-post-step.log'), `${post.result.stdout}\n${post.result.stderr}\n--- summary ---\n${post.result.summary}`)
  const oursPushed = lines(await readFile(post.result.outputs['paths-file'] ?? '', 'utf8'))
  const after = await validPaths(store)
  const newPaths = [...after.keys()].filter((p) => !before.has(p))
  const seed002Seconds = seed002First ?? (await seed002())

  const cachixPaths = newPaths.filter((p) => !/\.(drv|drv\.chroot|check|lock)$/.test(p))
  await settle(store)
  const start = process.hrtime.bigint()
  await store.runOk('/bin/sh', ['-c', 'xargs nix copy --to "$1"', 'sh', cacheUrl(caches.cachix)], { input: cachixPaths.join('\n') })
  const cachixSeconds = seconds(start)

  const ideal = new Set(graph.groups.closure)
  const category = new Map<string, Category>()
  for (const p of graph.groups.upstream) category.set(p, 'upstream')
  for (const p of graph.groups.base) category.set(p, 'pre-existing')
  for (const p of graph.groups.extras) category.set(p, 'outside closure (extras)')
  for (const p of strayPaths) category.set(p, 'stray nix-store --add')
  for (const p of ideal) category.set(p, 'ideal')
  for (const p of ideal) if (!after.has(p) || before.has(p)) throw new Error(`graph workload: ${p} should be new and valid`)

  const pushSet = async (dir: string, secs: number): Promise<PushSet> => {
    const added = [...(await narinfos(dir))].filter(([p]) => !seeded.has(p))
    const byCategory: PushSet['byCategory'] = {}
    for (const [p, info] of added) {
      const c = category.get(p) ?? 'other'
      const entry = (byCategory[c] ??= { paths: 0, narBytes: 0 })
      entry.paths++
      entry.narBytes += info.narSize
    }
    const pushed = new Set(added.map(([p]) => p))
    return {
      paths: added.length,
      narBytes: added.reduce((a, [, i]) => a + i.narSize, 0),
      fileBytes: added.reduce((a, [, i]) => a + i.fileSize, 0),
      seconds: secs,
      byCategory,
      missing: [...ideal].filter((p) => !pushed.has(p)).length
    }
  }
  const ours = await pushSet(caches.ours, post.seconds)
  if (ours.paths !== oursPushed.length || ours.paths !== numberOutput(post, 'pushed-count')) {
    throw new Error(`the post step reports ${oursPushed.length} pushed paths, the cache got ${ours.paths}`)
  }
  const exact = oursPushed.length === ideal.size && oursPushed.every((p) => ideal.has(p))
  const figures: SelectionFigures = {
    derivations: graph.derivations,
    storePaths: after.size,
    newPaths: newPaths.length,
    ideal: { paths: ideal.size, narBytes: [...ideal].reduce((a, p) => a + (after.get(p) ?? 0), 0) },
    ours,
    seed002: await pushSet(caches.seed002, seed002Seconds),
    cachix: await pushSet(caches.cachix, cachixSeconds),
    exact
  }
  log(`  selection: ideal ${figures.ideal.paths} paths, ours ${ours.paths} (exact: ${exact}), seed-002 ${figures.seed002.paths}, cachix-style ${figures.cachix.paths}`)
  await job.cleanup()
  await removeTree(work)
  return figures
}
