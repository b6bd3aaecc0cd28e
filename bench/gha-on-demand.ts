// `npm run bench:gha-on-demand`: the GitHub Actions cache served on demand by the agent, against
// the eager restore (`push-during-build: false`), on a cache where the build needs a fraction.
//
// The cache is filled by a matrix of four projects, each job saving its own layer. The measured
// job is a fresh VM building a new version of one project: it needs that project's layer only.
// Both restores run the bundled action as the runner would, through the real @actions/cache client
// against the local stand-in for the cache service (loopback: no network cost, so the figures are
// a lower bound for the eager restore's wait on a hosted runner).
//
// Environment: BENCH_GHA_RUNS=3 (measured jobs per mode, alternating; medians reported).
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import { startGhaCacheServer, type GhaCacheServer } from '../__tests__/helpers/gha-cache-server.js'
import { builtDerivations, createTestStore, removeTree } from '../__tests__/helpers/nix-store.js'
import { startJob } from '../__tests__/helpers/runner.js'
import { NIX_PRELUDE } from '../__tests__/helpers/graph.js'
import { log } from './lib/log.js'
import { BENCH_DIR } from './lib/paths.js'
import { fmtBytes, fmtSeconds, summarise } from './lib/stats.js'

const RUNS = Number(process.env.BENCH_GHA_RUNS ?? 3)
const SCRATCH = join(BENCH_DIR, 'gha-on-demand')
const PROJECTS = 4

/** Project `p`: two libraries of 12 MiB and 16 small packages, and an app (the only part that depends on `variant`). */
function project(p: number, variant: string): string {
  return `let
${NIX_PRELUDE}
  libs = builtins.genList (i: mk "p${p}-lib-\${toString i}" ''
    \${bb} mkdir -p $out
    \${bb} dd if=/dev/urandom of=$out/lib.so bs=1048576 count=12 2>/dev/null
  '' {}) 2;
  pkgs = builtins.genList (i: mk "p${p}-pkg-\${toString i}" ''
    \${bb} mkdir -p $out
    echo \${builtins.elemAt libs (i - 2 * (i / 2))} > $out/lib
    \${bb} dd if=/dev/urandom of=$out/blob bs=1024 count=256 2>/dev/null
  '' {}) 16;
  app = mk "p${p}-app" ''
    \${bb} mkdir -p $out
    echo "\${toString pkgs}" > $out/pkgs
    echo "$variant" > $out/variant
  '' { variant = "${variant}"; };
in { inherit app; }
`
}

interface Measured {
  mainSeconds: number
  buildSeconds: number
  postSeconds: number
  downloadedBytes: number
  built: number
}

/** `readOnly`: the measured jobs save nothing (ACTIONS_CACHE_MODE=read), so every one sees the cache the matrix left. */
async function job(server: GhaCacheServer, runnerTemp: string, p: number, variant: string, onDemand: boolean, readOnly = false): Promise<Measured> {
  await removeTree(runnerTemp)
  await mkdir(runnerTemp, { recursive: true })
  const store = await createTestStore({ parentDir: SCRATCH })
  const file = join(store.root, 'project.nix')
  await writeFile(file, project(p, variant))
  const since = server.requests.length
  const inputs = { cache: 'github-actions', 'push-during-build': String(onDemand) }
  let t = Date.now()
  const mode = readOnly ? { ACTIONS_CACHE_MODE: 'read' } : {}
  const j = await startJob({ env: { ...store.env, ...server.env(), RUNNER_TEMP: runnerTemp, ...mode }, inputs, timeoutMs: 600_000 })
  const mainSeconds = (Date.now() - t) / 1000
  if (j.main?.code !== 0) throw new Error(`main failed:\n${j.main?.stdout}`)
  t = Date.now()
  const build = await j.exec('nix-build', [file, '-A', 'app', '--no-out-link'], { timeoutMs: 600_000 })
  const buildSeconds = (Date.now() - t) / 1000
  if (build.code !== 0) throw new Error(`build failed:\n${build.stderr}`)
  t = Date.now()
  const post = await j.post()
  const postSeconds = (Date.now() - t) / 1000
  if (post.code !== 0 || /^::warning::/m.test(post.stdout + (j.main?.stdout ?? ''))) throw new Error(`post failed or warned:\n${j.main?.stdout}\n${post.stdout}`)
  const sizes = new Map(server.entries().map((e) => [e.key, e.data.length]))
  const downloadedBytes = server.requests
    .slice(since)
    .filter((r) => r.method === 'DOWNLOAD' && r.key?.includes('-layer-'))
    .reduce((a, r) => a + (sizes.get(r.key ?? '') ?? 0), 0)
  await j.cleanup()
  await store.cleanup()
  return { mainSeconds, buildSeconds, postSeconds, downloadedBytes, built: builtDerivations(build.stderr).length }
}

async function main(): Promise<void> {
  await removeTree(SCRATCH)
  await mkdir(SCRATCH, { recursive: true })
  const server = await startGhaCacheServer()
  const runnerTemp = join(SCRATCH, 'runner-temp')
  for (let p = 0; p < PROJECTS; p++) {
    log(`Filling the cache: project ${p}...`)
    await job(server, runnerTemp, p, 'v1', false)
  }
  const cacheBytes = server.entries().filter((e) => e.key.includes('-layer-')).reduce((a, e) => a + e.data.length, 0)
  const eager: Measured[] = []
  const onDemand: Measured[] = []
  for (let i = 0; i < RUNS; i++) {
    log(`Measured job #${i + 1}: project 0, a new version of its app, eager then on demand...`)
    for (const [list, mode] of [[eager, false], [onDemand, true]] as const) {
      const m = await job(server, runnerTemp, 0, `v2-${i}-${mode}`, mode, true)
      if (m.built !== 1) throw new Error(`the measured job built ${m.built} derivations`)
      list.push(m)
    }
  }
  await server.stop()

  const med = (xs: Measured[], f: (m: Measured) => number): number => summarise(xs.map(f)).median
  const range = (xs: Measured[], f: (m: Measured) => number): string => {
    const s = summarise(xs.map(f))
    return xs.length > 1 ? `${fmtSeconds(s.median)} (${fmtSeconds(s.min)}–${fmtSeconds(s.max)})` : fmtSeconds(s.median)
  }
  const total = (m: Measured): number => m.mainSeconds + m.buildSeconds + m.postSeconds
  const lines = [
    `Machine: ${cpus()[0]?.model.trim()}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, load ${loadavg()[0]?.toFixed(2)}; Node ${process.versions.node}. ` +
      `Cache: ${PROJECTS} layers (one per project of a matrix), ${fmtBytes(cacheBytes)} stored; the measured job builds a new version of one project's app. ` +
      `Local stand-in for the cache service (no network). Median (min–max) of ${RUNS} jobs per mode, interleaved.`,
    '',
    '| | eager restore (`push-during-build: false`) | on demand (default) |',
    '|---|---:|---:|',
    `| main step (the build's wait) | ${range(eager, (m) => m.mainSeconds)} | ${range(onDemand, (m) => m.mainSeconds)} |`,
    `| layer bytes downloaded | ${fmtBytes(med(eager, (m) => m.downloadedBytes))} | ${fmtBytes(med(onDemand, (m) => m.downloadedBytes))} |`,
    `| build step (downloads included when on demand) | ${range(eager, (m) => m.buildSeconds)} | ${range(onDemand, (m) => m.buildSeconds)} |`,
    `| post step (saves nothing: ACTIONS_CACHE_MODE=read) | ${range(eager, (m) => m.postSeconds)} | ${range(onDemand, (m) => m.postSeconds)} |`,
    `| job total | ${range(eager, total)} | ${range(onDemand, total)} |`,
    `| derivations built | ${eager[0]?.built} | ${onDemand[0]?.built} |`
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
  await mkdir(join(BENCH_DIR, 'results'), { recursive: true })
  await writeFile(join(BENCH_DIR, 'results', 'gha-on-demand.md'), `${lines.join('\n')}\n`)
}

await main()
await rm(SCRATCH, { recursive: true, force: true }).catch(() => undefined)
