// `npm run bench:agent`: the background agent (issue 12), measured side by side with the agent
// off (push-during-build: false) in one run, on the same machine at the same time:
//   - idle cost of the agent following a 100,000-path store (CPU share, RSS);
//   - what the agent adds to the main step, and to a post step with nothing to push;
//   - a build realising about 1 GB of NARs across 24 derivations spread over time (each waits):
//     post step on vs off, agent peak RSS, publication latency, build time;
//   - a CPU-bound build on all cores: its slowdown with the agent on.
// Prints a Markdown section for docs/BENCHMARKS.md (also written to .bench/results/agent.md).
import { readdirSync, readFileSync } from 'node:fs'
import { mkdir, stat, writeFile } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { NIX_PRELUDE } from '../__tests__/helpers/graph.js'
import { removeTree } from '../__tests__/helpers/nix-store.js'
import { sleep } from '../__tests__/helpers/proc.js'
import { agentPid, startJob } from '../__tests__/helpers/runner.js'
import { generateKeys, type SigningKeys } from '../__tests__/helpers/scenario.js'
import { log } from './lib/log.js'
import { RESULTS, SCRATCH } from './lib/paths.js'
import { openStore, type BenchStore } from './lib/store.js'
import { bigStore } from './workloads/big-store.js'

const ROOT = join(SCRATCH, 'agent')
const TICK = 100 // clock ticks per second (USER_HZ)
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const fmt = (x: number, d = 2): string => x.toFixed(d)

/** CPU seconds of a process and the children it has waited for. */
function cpuSeconds(pid: number): number {
  const raw = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = raw.slice(raw.lastIndexOf(')') + 2).split(' ')
  // Fields 14-17 (utime stime cutime cstime), counted from the state field (3) here at index 0.
  return [11, 12, 13, 14].reduce((a, i) => a + Number(f[i]), 0) / TICK
}

function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) * 1024 : 0
}

/** The nice value of each of a process's threads (Linux priorities are per thread). */
function threadNice(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((t) => {
    const raw = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8')
    return Number(raw.slice(raw.lastIndexOf(')') + 2).split(' ')[16])
  })
}

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t = process.hrtime.bigint()
  const r = await f()
  return [r, Number(process.hrtime.bigint() - t) / 1e9]
}

function inputs(cacheDir: string, keys: SigningKeys, agent: boolean): Record<string, string> {
  return { cache: `file://${cacheDir}`, 'secret-key': keys.secret, 'push-during-build': String(agent) }
}

interface IdleFigures {
  mainOn: number
  mainOff: number
  postOn: number
  postOff: number
  idleCpuShare: number
  idleRss: number
  storePaths: number
}

/** The agent following a big store with nothing happening; the steps' times with it on and off. */
async function idle(keys: SigningKeys, runs: number): Promise<IdleFigures> {
  const store = await bigStore(100_000)
  const cacheDir = join(ROOT, 'idle-cache')
  const t: Record<'mainOn' | 'mainOff' | 'postOn' | 'postOff', number[]> = { mainOn: [], mainOff: [], postOn: [], postOff: [] }
  let share = 0
  let rss = 0
  for (let i = 0; i < runs; i++) {
    for (const agent of [false, true]) {
      const [job, main] = await timed(() => startJob({ env: store.env, inputs: inputs(cacheDir, keys, agent) }))
      if (job.main?.code !== 0) throw new Error(job.main?.stdout)
      const pid = agentPid(job)
      if (agent && pid === undefined) throw new Error(`no agent:\n${job.main?.stdout}`)
      if (agent && i === 0) {
        // After its first poll (the one full read of the database), what following costs.
        await sleep(3000)
        const c0 = cpuSeconds(pid!)
        const w0 = Date.now()
        await sleep(30_000)
        share = (cpuSeconds(pid!) - c0) / ((Date.now() - w0) / 1000)
        rss = peakRss(pid!)
        log(`agent threads' nice values: ${threadNice(pid!).join(' ')}`)
      } else {
        // A short build step in between, on both sides: the agent is past its start-up.
        await sleep(2000)
      }
      const [post, postS] = await timed(() => job.post())
      if (post.code !== 0) throw new Error(post.stdout)
      t[agent ? 'mainOn' : 'mainOff'].push(main)
      t[agent ? 'postOn' : 'postOff'].push(postS)
      await job.cleanup()
    }
  }
  await removeTree(cacheDir)
  return { mainOn: median(t.mainOn), mainOff: median(t.mainOff), postOn: median(t.postOn), postOff: median(t.postOff), idleCpuShare: share, idleRss: rss, storePaths: 100_000 }
}

/** 24 derivations in 4 chains of 6, each waiting 2 s then writing ~42 MiB of incompressible data. */
function spreadNix(): string {
  return `let
${NIX_PRELUDE}
  step = chain: n: dep: mk "spread-\${toString chain}-\${toString n}" ''
    \${bb} sleep 2
    \${bb} mkdir -p $out
    \${bb} dd if=/dev/urandom of=$out/blob bs=1M count=42 2>/dev/null
    echo \${dep} > $out/dep
  '' {};
  chainOf = c: builtins.foldl' (dep: n: step c n dep) "none" [ 1 2 3 4 5 6 ];
in builtins.map chainOf [ 1 2 3 4 ]
`
}

/** CPU-bound: 8 derivations hashing 48 MiB of generated data 12 times each, 2 cores busy. */
function cpuNix(): string {
  return `let
${NIX_PRELUDE}
  burn = n: mk "burn-\${toString n}" ''
    \${bb} mkdir -p $out
    \${bb} dd if=/dev/urandom of=$out/blob bs=1M count=48 2>/dev/null
    for i in 1 2 3 4 5 6 7 8 9 10 11 12; do \${bb} sha256sum $out/blob > $out/sum; done
  '' {};
in builtins.map burn [ 1 2 3 4 5 6 7 8 ]
`
}

interface BuildFigures {
  agent: boolean
  buildSeconds: number
  postSeconds: number
  narBytes: number
  pushed: number
  duringBuild: number
  agentPeakRss?: number
  latencies?: number[]
}

async function buildJob(name: string, nix: string, keys: SigningKeys, agent: boolean, maxJobs: number): Promise<BuildFigures> {
  const dir = join(ROOT, `${name}-${agent ? 'on' : 'off'}`)
  await removeTree(dir)
  const store: BenchStore = await openStore(join(dir, 'store-root'))
  const nixFile = join(dir, `${name}.nix`)
  await writeFile(nixFile, nix)
  const cacheDir = join(dir, 'cache')
  const job = await startJob({ env: store.env, inputs: inputs(cacheDir, keys, agent) })
  if (job.main?.code !== 0) throw new Error(job.main?.stdout)
  const pid = agentPid(job)
  const [build, buildSeconds] = await timed(() => job.exec('nix-build', [nixFile, '--no-out-link', '--max-jobs', String(maxJobs)], { timeoutMs: 1_200_000 }))
  if (build.code !== 0) throw new Error(build.stderr.slice(-2000))
  const outs = build.stdout.split('\n').filter((l) => l !== '')
  let agentPeakRss: number | undefined
  let latencies: number[] | undefined
  if (pid !== undefined) {
    agentPeakRss = peakRss(pid)
    log(`agent memory now: ${readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').filter((l) => /^(VmHWM|VmRSS|RssAnon|RssFile|RssShmem)/.test(l)).join(', ').replace(/\s+/g, ' ')}`)
  }
  const [post, postSeconds] = await timed(() => job.post())
  if (post.code !== 0) throw new Error(post.stdout)
  if (pid !== undefined) {
    // Registration time (s, from Nix) to the narinfo's modification time, for every output.
    const closure = (await store.runOk('nix-store', ['-qR', ...outs])).stdout.split('\n').filter((l) => l !== '')
    const infos = JSON.parse((await store.runOk('nix', ['path-info', '--json', ...closure])).stdout) as Array<{ path: string; registrationTime: number }>
    latencies = []
    for (const i of infos) {
      const f = join(cacheDir, `${i.path.slice('/nix/store/'.length, '/nix/store/'.length + 32)}.narinfo`)
      const m = await stat(f).catch(() => undefined)
      if (m) latencies.push(m.mtimeMs / 1000 - i.registrationTime)
    }
  }
  const during = /(\d+) paths? \([^)]*\) went up during the build/.exec(post.summary)
  const figures: BuildFigures = {
    agent,
    buildSeconds,
    postSeconds,
    narBytes: Number(post.outputs['nar-bytes']),
    pushed: Number(post.outputs['pushed-count']),
    duringBuild: during ? Number(during[1]) : 0,
    agentPeakRss,
    latencies
  }
  await job.cleanup()
  await removeTree(dir)
  return figures
}

async function main(): Promise<void> {
  if (Number(process.versions.node.split('.')[0]) < 24) throw new Error('run on Node 24 (npm run bench:agent does)')
  await removeTree(ROOT)
  await mkdir(ROOT, { recursive: true })
  const keys = await generateKeys(ROOT)
  const loadBefore = loadavg().map((l) => l.toFixed(2)).join(' ')
  log(`agent bench: ${cpus().length} cores, load ${loadBefore}`)

  if (process.env.BENCH_AGENT_ONLY === 'spread-on') {
    // A quick look at one figure (peak RSS, latency) while tuning; not a comparison.
    log(JSON.stringify({ ...(await buildJob('spread', spreadNix(), keys, true, 2)), latencies: undefined }))
    return
  }
  log('Idle at 100,000 store paths (main and post steps, agent on and off, interleaved)…')
  const idleFigures = await idle(keys, Number(process.env.BENCH_RUNS ?? 3))
  log(JSON.stringify(idleFigures))

  log('Spread build, ~1 GB of NARs, agent off then on…')
  const spread: BuildFigures[] = []
  for (const agent of [false, true]) {
    spread.push(await buildJob('spread', spreadNix(), keys, agent, 2))
    log(JSON.stringify({ ...spread.at(-1), latencies: undefined }))
  }

  log('CPU-bound build on 2 cores, off, on, off, on…')
  const cpu: BuildFigures[] = []
  for (const agent of [false, true, false, true]) {
    cpu.push(await buildJob('cpu', cpuNix(), keys, agent, cpus().length))
    log(JSON.stringify({ ...cpu.at(-1), latencies: undefined }))
  }
  const loadAfter = loadavg().map((l) => l.toFixed(2)).join(' ')

  const [off, on] = spread as [BuildFigures, BuildFigures]
  const lat = on.latencies ?? []
  const cpuOff = median(cpu.filter((c) => !c.agent).map((c) => c.buildSeconds))
  const cpuOn = median(cpu.filter((c) => c.agent).map((c) => c.buildSeconds))
  const cpuLat = cpu.filter((c) => c.agent).flatMap((c) => c.latencies ?? [])
  const mib = (b: number): string => `${fmt(b / 2 ** 20, 0)} MiB`
  const md = `## The background agent (push-during-build)

Measured by \`npm run bench:agent\` (bench/agent.ts) on ${cpus().length} cores shared with other engineers' work
(load average ${loadBefore} before, ${loadAfter} after): every comparison ran side by side in the same
run, agent off (\`push-during-build: false\`) against on, so both sides saw the same machine.

| figure | agent off | agent on | target |
|---|---:|---:|---|
| main step, 100,000-path store (median of ${process.env.BENCH_RUNS ?? 3}) | ${fmt(idleFigures.mainOff)} s | ${fmt(idleFigures.mainOn)} s | +≤ 0.1 s |
| post step with nothing to push, 100,000-path store | ${fmt(idleFigures.postOff)} s | ${fmt(idleFigures.postOn)} s | +≤ 0.1 s |
| agent idle, following 100,000 paths: CPU | – | ${fmt(idleFigures.idleCpuShare * 100)}% of one core | ≤ 2% |
| agent idle: peak RSS | – | ${mib(idleFigures.idleRss)} | |
| spread build (24 derivations waiting 2 s each, ${mib(on.narBytes)} of NARs): build step | ${fmt(off.buildSeconds, 1)} s | ${fmt(on.buildSeconds, 1)} s | |
| … post step | ${fmt(off.postSeconds, 1)} s | ${fmt(on.postSeconds, 1)} s (${fmt((on.postSeconds / off.postSeconds) * 100, 0)}%) | ≤ 15% |
| … paths pushed (by the agent during the build) | ${off.pushed} | ${on.pushed} (${on.duringBuild}) | |
| … agent peak RSS | – | ${mib(on.agentPeakRss ?? 0)} | ≤ 150 MB |
| … publication latency, registration to narinfo: median / max | – | ${fmt(median(lat), 1)} s / ${fmt(Math.max(...lat), 1)} s | ≤ 10 s |
| CPU-bound build (8 derivations hashing, all cores), median of 2 | ${fmt(cpuOff, 1)} s | ${fmt(cpuOn, 1)} s (${fmt((cpuOn / cpuOff - 1) * 100, 1)}%) | ≤ +10% |
| … publication latency under it: median / max | – | ${cpuLat.length ? `${fmt(median(cpuLat), 1)} s / ${fmt(Math.max(...cpuLat), 1)} s` : '–'} | |
`
  await mkdir(RESULTS, { recursive: true })
  await writeFile(join(RESULTS, 'agent.md'), md)
  process.stdout.write(`\n${md}`)
  await removeTree(ROOT)
}

await main()
