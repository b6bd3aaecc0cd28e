// `npm run bench`: measures the action against its peers (issue 6) on generated workloads, and
// prints Markdown tables (also written to .bench/results/). See docs/BENCHMARKS.md.
//
// Environment:
//   BENCH_RUNS=5          runs per timed figure (medians are reported)
//   BENCH_UPLOAD_RUNS=3   runs per upload-throughput figure
//   BENCH_SELECTION_RUNS=4   runs of the graph job, alternating whether our post step or `nix copy` goes first
//   BENCH_PROFILE_DIR=dir   V8 CPU profiles of the graph job's main and post steps there
//   BENCH_SIZES=10000,100000   store sizes for the step timings
//   BENCH_ONLY=steps,selection,upload   a subset of the measurements
// Workloads are generated on first use under .bench/workloads (about 3 minutes) and reused.
import { readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, loadavg, release, totalmem } from 'node:os'
import { join } from 'node:path'
import { existsSync } from 'node:fs'
import { removeTree } from '../__tests__/helpers/nix-store.js'
import { runProcess } from '../__tests__/helpers/proc.js'
import { log } from './lib/log.js'
import { REPO_ROOT, RESULTS, SCRATCH } from './lib/paths.js'
import { measuredNode } from './lib/timing.js'
import { measureBaselines, type BaselineFigures } from './measure/baselines.js'
import { measureSelectionRuns } from './measure/selection.js'
import { measureSteps, type StepFigures } from './measure/steps.js'
import { measureEndToEnd } from './measure/end-to-end.js'
import { measureThroughput } from './measure/throughput.js'
import { renderReport, targets, type Machine, type Results } from './report.js'
import { bigStore } from './workloads/big-store.js'
import { graphWorkload } from './workloads/graph.js'
import { narWorkload } from './workloads/nars.js'
import { newPaths } from './workloads/new-paths.js'

const runs = Number(process.env.BENCH_RUNS ?? 5)
const uploadRuns = Number(process.env.BENCH_UPLOAD_RUNS ?? 3)
const selectionRuns = Number(process.env.BENCH_SELECTION_RUNS ?? 4)
const sizes = (process.env.BENCH_SIZES ?? '10000,100000').split(',').map(Number)
const only = new Set((process.env.BENCH_ONLY ?? 'steps,selection,upload').split(','))

async function machine(): Promise<Machine> {
  const os = /PRETTY_NAME="([^"]*)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'Linux'
  const nix = await runProcess('nix', ['--version'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } })
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus().length,
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    os,
    kernel: release(),
    nix: nix.stdout.trim(),
    node: process.versions.node,
    loadBefore: loadavg().map((l) => l.toFixed(2)).join(' '),
    loadAfter: '',
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC'
  }
}

async function main(): Promise<void> {
  const t0 = Date.now()
  if (Number(process.versions.node.split('.')[0]) < 24) throw new Error('run the bench on Node 24 (npm run bench does)')
  for (const f of ['dist/main.js', 'dist/post.js']) {
    if (!existsSync(join(REPO_ROOT, f))) throw new Error(`${f} is missing: npm run build`)
  }
  const info = await machine()
  log(`nix-buildtime-cache bench: ${runs} runs per figure; ${info.cpu}, ${info.cores} cores; load ${info.loadBefore}`)
  await removeTree(SCRATCH)
  await mkdir(SCRATCH, { recursive: true })

  log('Workloads (generated once, then reused from .bench/workloads):')
  const stores = new Map<number, Awaited<ReturnType<typeof bigStore>>>()
  if (only.has('steps')) for (const size of sizes) stores.set(size, await bigStore(size))
  const fresh = only.has('steps') ? await newPaths() : undefined
  const graph = await graphWorkload()
  const nars = only.has('upload') ? await narWorkload() : undefined
  const workloadSeconds = (Date.now() - t0) / 1000
  const ctx = { node: await measuredNode(SCRATCH), parentDir: SCRATCH }

  const steps: StepFigures[] = []
  const baselines: BaselineFigures[] = []
  for (const [size, store] of stores) {
    log(`Steps and baselines at ${size} paths:`)
    steps.push(await measureSteps({ store, paths: size, newPaths: fresh!, secretKey: graph.ourSecretKey, runs, ctx, scratch: join(SCRATCH, `steps-${size}`) }))
    baselines.push(await measureBaselines({ store, paths: size, runs, scratch: join(SCRATCH, `steps-${size}`), atticFullUpTo: 10_000, atticSample: 2_000 }))
  }
  let selection
  if (only.has('selection')) {
    log('Selection on the graph:')
    selection = await measureSelectionRuns(selectionRuns, { graph, ctx, scratch: SCRATCH })
  }
  let throughput
  let endToEnd
  if (nars) {
    log('Upload throughput:')
    throughput = await measureThroughput({ nars, secretKey: graph.ourSecretKey, secretKeyFile: graph.ourSecretKeyFile, runs: uploadRuns, scratch: join(SCRATCH, 'upload') })
    log('End to end, large NARs:')
    endToEnd = await measureEndToEnd({ nars, secretKey: graph.ourSecretKey, runs: uploadRuns, ctx, scratch: join(SCRATCH, 'end-to-end') })
  }

  info.loadAfter = loadavg().map((l) => l.toFixed(2)).join(' ')
  const results: Results = { machine: info, runs, steps, baselines, selection, throughput, endToEnd, workloadSeconds, totalSeconds: (Date.now() - t0) / 1000 }
  const markdown = renderReport(results)
  await mkdir(RESULTS, { recursive: true })
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  await writeFile(join(RESULTS, `${stamp}.json`), JSON.stringify(results, null, 1))
  await writeFile(join(RESULTS, 'latest.json'), JSON.stringify(results, null, 1))
  await writeFile(join(RESULTS, 'latest.md'), markdown)
  await removeTree(SCRATCH)
  process.stdout.write(markdown + '\n')
  const missed = targets(results).filter((t) => !t.met)
  log(missed.length === 0 ? 'All targets met.' : `Targets missed: ${missed.map((t) => `${t.name} (${t.by})`).join('; ')}`)
}

await main()
