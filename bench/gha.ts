// `node scripts/node24.mjs scripts/bench-gha.mjs`: the GitHub Actions cache backend against
// cache-nix-action's approach (one zstd tarball of the whole /nix), on the same build and the same
// local stand-in for the cache service, both through the real @actions/cache client.
//
//   Job A (cold): nothing cached; builds everything; saves.
//   Job B (warm): a fresh VM; restores; changes only the top-level derivation; saves.
//
// Ours runs the bundled action as the runner would (dist/main.js, dist/post.js) and reads the
// figures it logs; the tarball is made and restored by @actions/cache's saveCache/restoreCache
// of the chroot store's /nix, exactly the paths cache-nix-action saves (its garbage collection and
// database merge, which would only add time on its side, are not run).
//
// Environment: BENCH_GHA_RUNS=3 (warm jobs and tarball restores per figure; medians reported).
import { restoreCache, saveCache } from '@actions/cache'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import { startGhaCacheServer, type GhaCacheServer } from '../__tests__/helpers/gha-cache-server.js'
import { builtDerivations, createTestStore, removeTree, type TestStore } from '../__tests__/helpers/nix-store.js'
import { startJob } from '../__tests__/helpers/runner.js'
import { captureOutput } from '../src/executors/gha/capture.js'
import { log } from './lib/log.js'
import { BENCH_DIR } from './lib/paths.js'
import { fmtBytes, fmtSeconds, summarise, type Sample } from './lib/stats.js'

const RUNS = Number(process.env.BENCH_GHA_RUNS ?? 3)
const SCRATCH = join(BENCH_DIR, 'gha')
const UPSTREAM_KEY = 'upstream-gha-bench-1'

/** The build: a toolchain from the upstream cache, and a project built on it. Only `app` depends on the variant. */
function workload(variant: string): string {
  return `let
  bb = "/bin/busybox";
  mk = name: script: attrs: derivation ({ inherit name; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" script ]; } // attrs);
  blob = name: mib: lines: mk name ''
    \${bb} mkdir -p $out
    \${bb} dd if=/dev/urandom of=$out/data.bin bs=1048576 count=\${toString mib} 2>/dev/null
    \${bb} seq 1 \${toString lines} > $out/text.txt
  '' {};
  # Substituted from the upstream cache: 6 x (32 MiB random + 27 MB text).
  compilers = builtins.genList (i: blob "compiler-\${toString i}" 32 3600000) 6;
  # Built by the project: 4 larger libraries and 120 small packages.
  libs = builtins.genList (i: mk "lib-\${toString i}" ''
    \${bb} mkdir -p $out
    \${bb} head -c 1000 \${builtins.elemAt compilers i}/text.txt > $out/built-with
    \${bb} dd if=/dev/urandom of=$out/lib.so bs=1048576 count=6 2>/dev/null
    \${bb} seq 1 1200000 > $out/symbols.txt
  '' {}) 4;
  pkgs = builtins.genList (i: mk "pkg-\${toString i}" ''
    \${bb} mkdir -p $out
    \${bb} head -c 100 \${builtins.elemAt compilers (i - 6 * (i / 6))}/text.txt > $out/built-with
    echo \${builtins.elemAt libs (i - 4 * (i / 4))} > $out/lib
    \${bb} dd if=/dev/urandom of=$out/blob bs=1024 count=192 2>/dev/null
    \${bb} seq 1 \${toString (40000 + 200 * i)} > $out/data.txt
  '' {}) 120;
  app = mk "app" ''
    \${bb} mkdir -p $out
    echo "\${toString pkgs}" > $out/pkgs
    echo "$variant" > $out/variant
  '' { variant = "${variant}"; };
in { inherit app; compilers = compilers; }
`
}

interface Upstream {
  url: string
  publicKey: string
}

async function makeUpstream(dir: string): Promise<Upstream> {
  const store = await createTestStore({ parentDir: dir })
  const sk = join(dir, 'upstream.sk')
  const pk = join(dir, 'upstream.pk')
  await store.runOk('nix-store', ['--generate-binary-cache-key', UPSTREAM_KEY, sk, pk])
  const file = join(dir, 'upstream.nix')
  await writeFile(file, workload('upstream'))
  const { outPaths } = await store.build(file, 'compilers')
  const url = `file://${join(dir, 'upstream-cache')}`
  await store.runOk('nix', ['copy', '--to', `${url}?secret-key=${sk}&compression=zstd`, ...outPaths])
  await store.cleanup()
  return { url, publicKey: (await readFile(pk, 'utf8')).trim() }
}

interface OurJob {
  /** Wall time of the main step, and the restore part it logged. */
  mainSeconds: number
  restoreSeconds: number
  restoredBytes: number
  postSeconds: number
  saveSeconds: number
  savedBytes: number
  built: number
  store: TestStore
}

const num = (re: RegExp, text: string): number => {
  const m = re.exec(text)
  return m ? Number(m[1]) : 0
}

async function ourJob(opts: { variant: string; upstream: Upstream; server: GhaCacheServer; runnerTemp: string; dir: string }): Promise<OurJob> {
  await removeTree(opts.runnerTemp)
  await mkdir(opts.runnerTemp, { recursive: true })
  const store = await createTestStore({ parentDir: opts.dir, extraConfig: [`substituters = ${opts.upstream.url}`, `trusted-public-keys = ${opts.upstream.publicKey}`] })
  const file = join(store.root, 'workload.nix')
  await writeFile(file, workload(opts.variant))
  const env = { ...store.env, ...opts.server.env(), RUNNER_TEMP: opts.runnerTemp }
  // The eager restore: its log line is what this bench reads (bench/gha-on-demand.ts measures the on-demand one).
  const inputs = { cache: 'github-actions', 'skip-signed-by': UPSTREAM_KEY, installables: '', 'push-during-build': 'false' }
  let t = Date.now()
  const job = await startJob({ env, inputs, timeoutMs: 600_000 })
  const mainSeconds = (Date.now() - t) / 1000
  const main = job.main!.stdout
  if (job.main!.code !== 0) throw new Error(`main failed:\n${main}`)
  const build = await job.exec('nix-build', [file, '-A', 'app', '--no-out-link'], { timeoutMs: 600_000 })
  if (build.code !== 0) throw new Error(`build failed:\n${build.stderr}`)
  t = Date.now()
  const post = await job.post()
  const postSeconds = (Date.now() - t) / 1000
  if (post.code !== 0 || /^::warning::/m.test(post.stdout + main)) throw new Error(`post failed or warned:\n${main}\n${post.stdout}`)
  await job.cleanup()
  return {
    mainSeconds,
    restoreSeconds: num(/Restored .* in ([\d.]+) s\./, main),
    restoredBytes: num(/downloaded \((\d+) B\)/, main),
    postSeconds,
    saveSeconds: num(/manifest \S+; in ([\d.]+) s\./, post.stdout),
    savedBytes: num(/uploaded \((\d+) B\)/, post.stdout) + manifestBytes(opts.server),
    built: builtDerivations(build.stderr).length,
    store
  }
}

/** The newest manifest entry's size: ours saves it with every layer. */
function manifestBytes(server: GhaCacheServer): number {
  const m = server.entries().filter((e) => e.key.includes('-manifest-')).at(-1)
  return m?.data.length ?? 0
}

interface Tarball {
  seconds: number
  bytes: number
}

/** cache-nix-action's save: saveCache of the store's /nix. */
async function tarSave(store: TestStore, key: string, server: GhaCacheServer): Promise<Tarball> {
  const path = join(store.storeRoot, 'nix')
  const t = Date.now()
  const { value: id, lines } = await captureOutput(() => saveCache([path], key))
  const seconds = (Date.now() - t) / 1000
  if (id === undefined || id === -1) throw new Error(`tarball save failed:\n${lines.join('\n')}`)
  const entry = server.entries().find((e) => e.key === key)
  return { seconds, bytes: entry?.data.length ?? 0 }
}

/** cache-nix-action's restore, on a fresh VM: restoreCache of /nix into a store that is not there yet. */
async function tarRestore(store: TestStore, key: string): Promise<number> {
  const path = join(store.storeRoot, 'nix')
  const aside = `${path}.aside`
  await rename(path, aside)
  const t = Date.now()
  const { value: hit, lines } = await captureOutput(() => restoreCache([path], key))
  const seconds = (Date.now() - t) / 1000
  if (hit !== key) throw new Error(`tarball restore missed:\n${lines.join('\n')}`)
  await removeTree(path)
  await rename(aside, path)
  return seconds
}

function row(name: string, ours: string, tar: string): string {
  return `| ${name} | ${ours} | ${tar} |`
}
const s = (x: Sample): string => (x.runs > 1 ? `${fmtSeconds(x.median)} (${fmtSeconds(x.min)}–${fmtSeconds(x.max)})` : fmtSeconds(x.median))
const b = (x: Sample): string => fmtBytes(x.median)

async function main(): Promise<void> {
  await removeTree(SCRATCH)
  await mkdir(SCRATCH, { recursive: true })
  const server = await startGhaCacheServer()
  const runnerTemp = join(SCRATCH, 'runner-temp')
  log('gha bench: building the upstream toolchain...')
  const upstream = await makeUpstream(SCRATCH)

  log('Job A (cold), ours...')
  const a = await ourJob({ variant: 'a', upstream, server, runnerTemp, dir: SCRATCH })
  log(`  built ${a.built}, saved ${fmtBytes(a.savedBytes)} in ${a.saveSeconds} s (post step ${a.postSeconds} s)`)

  // The bench process is the "runner" for the tarball: @actions/cache reads these.
  const workspace = join(SCRATCH, 'workspace')
  await mkdir(workspace, { recursive: true })
  Object.assign(process.env, server.env(), { GITHUB_WORKSPACE: workspace, RUNNER_TEMP: join(SCRATCH, 'tar-temp') })
  delete process.env.GITHUB_SERVER_URL
  process.chdir(workspace)
  log('Job A, tarball of the whole store...')
  const tarA = await tarSave(a.store, 'nix-store-a', server)

  const warm: OurJob[] = []
  const tarB: Tarball[] = []
  const tarRestores: number[] = []
  const tarBuilt: number[] = []
  for (let i = 0; i < RUNS; i++) {
    log(`Job B #${i + 1} (warm, top-level change), ours...`)
    const run = await ourJob({ variant: `b${i}`, upstream, server, runnerTemp, dir: SCRATCH })
    if (run.built !== 1) throw new Error(`warm job built ${run.built} derivations`)
    warm.push(run)
    log('  tarball: restore of job A, build, save of job B...')
    // The tarball's entry version is a hash of the path it was saved from, so it is restored there.
    tarRestores.push(await tarRestore(a.store, 'nix-store-a'))
    // After that restore the store is job A's, so job B's store is job A's plus the new app.
    const file = join(a.store.root, `workload-b${i}.nix`)
    await writeFile(file, workload(`b${i}`))
    const rebuilt = await a.store.run('nix-build', [file, '-A', 'app', '--no-out-link'], { timeoutMs: 600_000 })
    tarBuilt.push(builtDerivations(rebuilt.stderr).length)
    tarB.push(await tarSave(a.store, `nix-store-b${i}`, server))
    // Only its size matters; the stand-in keeps entries in memory.
    server.remove(`nix-store-b${i}`)
    await run.store.cleanup()
  }
  await a.store.cleanup()
  await server.stop()

  const med = (xs: number[]): Sample => summarise(xs)
  const lines = [
    `Machine: ${cpus()[0]?.model.trim()}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, load ${loadavg()[0]?.toFixed(2)}; Node ${process.versions.node}. ` +
      `Cache service: the local stand-in (loopback), so transfer costs are local disk and CPU, not network. Warm figures: median (min–max) of ${RUNS} runs.`,
    '',
    `| | nix-buildtime-cache (\`cache: github-actions\`) | cache-nix-action's approach (zstd tar of /nix) |`,
    '|---|---:|---:|',
    row('Job A (cold): save, bytes stored', fmtBytes(a.savedBytes), fmtBytes(tarA.bytes)),
    row('Job A (cold): save, time', fmtSeconds(a.saveSeconds), fmtSeconds(tarA.seconds)),
    row('Job B (warm): restore, bytes downloaded', b(med(warm.map((w) => w.restoredBytes))), fmtBytes(tarA.bytes)),
    row('Job B (warm): restore, time', s(med(warm.map((w) => w.restoreSeconds))), s(med(tarRestores))),
    row('Job B (warm): save, bytes stored', b(med(warm.map((w) => w.savedBytes))), b(med(tarB.map((t) => t.bytes)))),
    row('Job B (warm): save, time', s(med(warm.map((w) => w.saveSeconds))), s(med(tarB.map((t) => t.seconds)))),
    row('Job B: derivations built', String(warm[0]?.built), String(tarBuilt[0])),
    '',
    `Our whole steps, for reference: main ${s(med(warm.map((w) => w.mainSeconds)))} (warm), post ${fmtSeconds(a.postSeconds)} (cold) and ${s(med(warm.map((w) => w.postSeconds)))} (warm).`
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
  await mkdir(join(BENCH_DIR, 'results'), { recursive: true })
  await writeFile(join(BENCH_DIR, 'results', 'gha.md'), `${lines.join('\n')}\n`)
}

await main()
await rm(SCRATCH, { recursive: true, force: true }).catch(() => undefined)
