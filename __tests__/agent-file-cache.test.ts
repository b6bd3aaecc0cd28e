import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { existsSync, readFileSync } from 'node:fs'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { NIX_PRELUDE, UPSTREAM_KEY_NAME, writeGraph, type Upstream } from './helpers/graph.js'
import { createTestStore, removeTree, type TestStore } from './helpers/nix-store.js'
import { startJob, trackedProcesses, type Job } from './helpers/runner.js'
import { graphWorld, type SigningKeys } from './helpers/scenario.js'
import { hashPart } from '../src/nix/store-path.js'

// A build that takes its time, so that publication during the build can be watched: four steps
// that sleep, each referencing the previous one at run time, plus a source file (`script`) the
// steps read while building, a dependency built before the job (`pre`) and a tool substituted
// from the upstream cache.
const slowNix = `let
  g = import ./graph.nix;
${NIX_PRELUDE}
  script = builtins.toFile "step-script.txt" "scripted step";
  pre = mk "slow-pre" "\${bb} mkdir -p $out; echo pre > $out/pre" {};
  step = n: dep: secs: mk "slow-step-\${n}" ''
    \${bb} sleep \${secs}
    \${bb} mkdir -p $out
    \${bb} dd if=/dev/urandom of=$out/blob bs=64k count=4 2>/dev/null
    echo \${dep} > $out/dep
    \${bb} cat \${script} > $out/script
  '' {};
  s1 = step "1" pre "1";
  s2 = step "2" s1 "3";
  s3 = step "3" s2 "3";
  final = mk "slow-final" ''
    \${bb} sleep 2
    \${bb} mkdir -p $out
    echo \${s3} > $out/dep
    /bin/sh \${g.upstream}/bin/compile > $out/compiled
  '' {};
in { inherit pre s1 s2 s3 final script; upstream = g.upstream; upstreamLib = g.upstreamLib; }
`

interface SlowPaths {
  pre: string
  s1: string
  s2: string
  s3: string
  final: string
  script: string
  upstream: string
  upstreamLib: string
}

let dir: string
let upstream: Upstream
let keys: SigningKeys

beforeAll(async () => {
  ;({ dir, upstream, keys } = await graphWorld('e2e-agent-'))
})
afterAll(async () => {
  await removeTree(dir)
})

async function slowStore(): Promise<{ store: TestStore; nixFile: string; paths: SlowPaths }> {
  const store = await createTestStore({ extraConfig: upstream.nixConfig })
  await writeGraph(store.root, 'v1')
  const nixFile = join(store.root, 'slow.nix')
  await writeFile(nixFile, slowNix)
  const r = await store.runOk('nix', [
    'eval',
    // Read-only: computing the paths must not write the .drv files before the job instantiates them.
    '--read-only',
    '--impure',
    '--json',
    '--expr',
    `builtins.mapAttrs (n: v: if builtins.isString v then v else v.outPath) (import ${nixFile})`
  ])
  return { store, nixFile, paths: JSON.parse(r.stdout) as SlowPaths }
}

/** What the job's final selection pushes: the new build closure, minus upstream, pre-existing and .drv paths. */
const expected = (p: SlowPaths): string[] => [p.s1, p.s2, p.s3, p.final, p.script]

async function narinfos(cacheDir: string): Promise<Set<string>> {
  const names = await readdir(cacheDir).catch(() => [] as string[])
  return new Set(names.filter((n) => n.endsWith('.narinfo')).map((n) => n.slice(0, 32)))
}

function agentPid(job: Job): number | undefined {
  const raw = job.main?.state.nix_buildtime_cache
  return raw ? (JSON.parse(raw) as { agent?: { pid: number } }).agent?.pid : undefined
}

/** Running (a killed process whose parent is gone may linger as a zombie until something reaps it). */
const alive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !/^\d+ \(.*\) [ZX]/.test(stat)
  } catch {
    return false
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

interface Watched {
  build: { code: number | null; stderr: string }
  /** hash part → ms since the build started when its narinfo was first seen. */
  firstSeen: Map<string, number>
  buildMs: number
  stray: string
}

/**
 * Runs the slow build as a `run:` step while watching the cache every 100 ms, adds a stray path
 * during the build, then waits (up to 15 s) for the expected paths to be published.
 */
async function buildWatching(job: Job, nixFile: string, cacheDir: string, want: readonly string[], store: TestStore): Promise<Watched> {
  const firstSeen = new Map<string, number>()
  const start = Date.now()
  let done = false
  const buildP = job.exec('nix-build', [nixFile, '-A', 'final', '--no-out-link']).finally(() => (done = true))
  const strayFile = join(store.root, 'stray.txt')
  await writeFile(strayFile, `a stray add ${Math.random()}\n`)
  await sleep(500)
  const stray = (await job.exec('nix-store', ['--add', strayFile])).stdout.trim()
  let buildMs = 0
  const wanted = new Set(want.map(hashPart))
  while (Date.now() - start < 90_000) {
    for (const h of await narinfos(cacheDir)) if (!firstSeen.has(h)) firstSeen.set(h, Date.now() - start)
    if (done && buildMs === 0) buildMs = Date.now() - start
    if (done && Date.now() - start - buildMs > 15_000) break
    if (done && [...wanted].every((h) => firstSeen.has(h))) break
    await sleep(100)
  }
  const build = await buildP
  return { build, firstSeen, buildMs, stray }
}

describe('the background agent with a file:// cache', () => {
  it('publishes during the build exactly what the post step would push, and a job killed without a post step keeps it', async () => {
    const { store, nixFile, paths } = await slowStore()
    const cacheDir = join(dir, 'cache-killed')
    await store.build(nixFile, 'pre')
    const job = await startJob({
      env: store.env,
      inputs: { cache: `file://${cacheDir}`, 'secret-key': keys.secret, 'skip-signed-by': UPSTREAM_KEY_NAME }
    })
    expect(job.main?.code).toBe(0)
    const pid = agentPid(job)
    expect(pid).toBeDefined()
    expect(trackedProcesses(job.dirs.trackingId)).toContain(pid)

    const w = await buildWatching(job, nixFile, cacheDir, expected(paths), store)
    expect(w.build.code).toBe(0)
    // Nothing outside the closure, at any moment: not the stray add, not upstream or pre-existing paths, no .drv.
    expect([...w.firstSeen.keys()].sort()).toEqual(expected(paths).map(hashPart).sort())
    expect(w.firstSeen.has(hashPart(w.stray))).toBe(false)
    // Published while the build still ran: the first step's output long before the last one finished.
    expect(w.firstSeen.get(hashPart(paths.s1))!).toBeLessThan(w.buildMs)
    // The agent survived the build step, and dies with the job (the runner's clean-up; no post step).
    expect(alive(pid!)).toBe(true)
    expect(job.endJob()).toContain(pid)
    await sleep(200)
    expect(alive(pid!)).toBe(false)

    // A fresh consumer substitutes everything it needs, building nothing.
    const consumer = await createTestStore({
      extraConfig: [
        `substituters = file://${cacheDir} ${upstream.url}`,
        `trusted-public-keys = ${keys.public} ${upstream.publicKey}`,
        'require-sigs = true'
      ]
    })
    await writeGraph(consumer.root, 'v1')
    await writeFile(join(consumer.root, 'slow.nix'), slowNix)
    // Like the job's store, the consumer has `pre` already (the job found it, so did not push it).
    await consumer.build(join(consumer.root, 'slow.nix'), 'pre')
    const r = await consumer.run('nix-build', [join(consumer.root, 'slow.nix'), '-A', 'final', '--no-out-link', '--max-jobs', '0'])
    expect(r.stderr).not.toMatch(/building '/)
    expect(r.stderr).toMatch(/copying path .*slow-step-1/)
    expect(r.code).toBe(0)
    expect(r.stdout.trim()).toBe(paths.final)
    await consumer.cleanup()
    await store.cleanup()
  })

  it('counts what went up during the build in the post step outputs and summary, and stops the agent', async () => {
    const { store, nixFile, paths } = await slowStore()
    const cacheDir = join(dir, 'cache-post')
    await store.build(nixFile, 'pre')
    const job = await startJob({
      env: store.env,
      inputs: { cache: `file://${cacheDir}`, 'secret-key': keys.secret, 'skip-signed-by': UPSTREAM_KEY_NAME }
    })
    const pid = agentPid(job)!
    const w = await buildWatching(job, nixFile, cacheDir, expected(paths), store)
    expect(w.build.code).toBe(0)
    const post = await job.post()
    expect(post.code).toBe(0)
    expect(alive(pid)).toBe(false)
    expect(post.outputs['pushed-count']).toBe(String(expected(paths).length))
    expect(Number(post.outputs['nar-bytes'])).toBeGreaterThan(3 * 256 * 1024)
    const listed = (await readFile(post.outputs['paths-file']!, 'utf8')).split('\n').filter((l) => l !== '')
    expect(listed.sort()).toEqual(expected(paths).sort())
    expect(post.summary).toMatch(/\*\*Pushed 5 paths\*\*/)
    expect(post.summary).toMatch(/5 paths \([\d.]+ [KM]iB NAR\) went up during the build/)
    expect(post.summary).toMatch(/\| already-cached \| 0 \|/)
    expect(post.summary).toMatch(/\| outside-closure \| 1 \|/)
    await job.cleanup()
    await store.cleanup()
  })

  it('never fails the job when the agent dies: the post step pushes everything', async () => {
    const { store, nixFile, paths } = await slowStore()
    const cacheDir = join(dir, 'cache-agent-killed')
    await store.build(nixFile, 'pre')
    const job = await startJob({
      env: store.env,
      inputs: { cache: `file://${cacheDir}`, 'secret-key': keys.secret, 'skip-signed-by': UPSTREAM_KEY_NAME }
    })
    process.kill(agentPid(job)!, 'SIGKILL')
    const build = await job.exec('nix-build', [nixFile, '-A', 'final', '--no-out-link'])
    expect(build.code).toBe(0)
    const post = await job.post()
    expect(post.code).toBe(0)
    expect(post.stdout).toContain('no longer running')
    expect([...(await narinfos(cacheDir))].sort()).toEqual(expected(paths).map(hashPart).sort())
    expect(post.outputs['pushed-count']).toBe('5')
    await job.cleanup()
    await store.cleanup()
  })

  it('starts no agent with push-during-build: false; the post step pushes everything as before', async () => {
    const { store, nixFile, paths } = await slowStore()
    const cacheDir = join(dir, 'cache-off')
    const job = await startJob({
      env: store.env,
      inputs: { cache: `file://${cacheDir}`, 'secret-key': keys.secret, 'skip-signed-by': UPSTREAM_KEY_NAME, 'push-during-build': 'false' }
    })
    expect(agentPid(job)).toBeUndefined()
    expect(trackedProcesses(job.dirs.trackingId)).toEqual([])
    await job.exec('nix-build', [nixFile, '-A', 'final', '--no-out-link'])
    expect(existsSync(cacheDir) ? (await narinfos(cacheDir)).size : 0).toBe(0)
    const post = await job.post()
    expect(post.code).toBe(0)
    // pre was built by this job here, so it is new and pushed too.
    expect(post.outputs['pushed-count']).toBe(String(expected(paths).length + 1))
    expect(post.summary).not.toContain('during the build')
    await job.cleanup()
    await store.cleanup()
  })
})
