import { describe, expect, it } from '@jest/globals'
import { existsSync, readFileSync } from 'node:fs'
import { readdir, readFile, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { NIX_PRELUDE, UPSTREAM_KEY_NAME, writeGraph } from '../../helpers/graph.js'
import { createTestStore } from '../../helpers/nix-store.js'
import { alive, sleep } from '../../helpers/proc.js'
import { agentPid, startJob, trackedProcesses } from '../../helpers/runner.js'
import { buildWatching, expected, publicationLatencies, slowNix, slowStore } from '../../helpers/slow-graph.js'
import { useGraphWorld } from '../../helpers/scenario.js'
import { hashPart } from '../../../src/format/store-path.js'
import { parseRecordPart, RECORD_PREFIX } from '../../../src/format/job-record.js'
import { expectVerified, narinfos } from '../../helpers/cache-check.js'

const world = useGraphWorld('e2e-agent-')

describe('the background agent with a file:// cache', () => {
  it('publishes during the build exactly what the post step would push, and a job killed without a post step keeps it, on its job record too', async () => {
    const { store, nixFile, paths } = await slowStore(world.upstream)
    const cacheDir = join(world.dir, 'cache-killed')
    await store.build(nixFile, 'pre')
    const job = await startJob({
      env: store.env,
      inputs: { cache: `file://${cacheDir}`, 'secret-key': world.keys.secret, 'skip-signed-by': UPSTREAM_KEY_NAME }
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
    // Published while the build still ran: the first step's output long before the last one
    // finished (the steps after it wait 8 s in all).
    expect(w.firstSeen.get(hashPart(paths.s1))!).toBeLessThan(w.buildMs)
    expect(w.firstSeen.get(hashPart(paths.s1))!).toBeLessThan(w.buildMs - 4_000)
    // The agent writes a record part after the narinfos it names: the kill waits for it, since a
    // kill during that write leaves a temporary file, as any cut write does (swept later).
    const recordDir = join(cacheDir, RECORD_PREFIX)
    const recordedSoFar = async (): Promise<string[]> => {
      const seen = new Set<string>()
      for (const job of existsSync(recordDir) ? await readdir(recordDir) : []) {
        for (const p of (await readdir(join(recordDir, job))).filter((n) => n.endsWith('.json'))) {
          for (const path of parseRecordPart(p, await readFile(join(recordDir, job, p), 'utf8')).pushed) seen.add(hashPart(path))
        }
      }
      return [...seen].sort()
    }
    const want = expected(paths).map(hashPart).sort()
    for (let waited = 0; waited < 10_000 && JSON.stringify(await recordedSoFar()) !== JSON.stringify(want); waited += 100) await sleep(100)
    // The agent survived the build step, and dies with the job (the runner's clean-up; no post step).
    expect(alive(pid!)).toBe(true)
    expect(job.endJob()).toContain(pid)
    await sleep(200)
    expect(alive(pid!)).toBe(false)
    // Its job record counts what it published, though no post step completed it (docs/gc.md).
    const jobs = await readdir(join(cacheDir, RECORD_PREFIX))
    expect(jobs).toHaveLength(1)
    const parts = await readdir(join(cacheDir, RECORD_PREFIX, jobs[0]!))
    expect(parts.filter((p) => !/^agent-\d+-\d+\.json$/.test(p))).toEqual([])
    const recorded = new Set<string>()
    for (const p of parts) for (const path of parseRecordPart(p, await readFile(join(cacheDir, RECORD_PREFIX, jobs[0]!, p), 'utf8')).pushed) recorded.add(hashPart(path))
    expect([...recorded].sort()).toEqual(expected(paths).map(hashPart).sort())

    // A fresh consumer substitutes everything it needs, building nothing.
    const consumer = await createTestStore({
      extraConfig: [
        `substituters = file://${cacheDir} ${world.upstream.url}`,
        `trusted-public-keys = ${world.keys.public} ${world.upstream.publicKey}`,
        'require-sigs = true'
      ]
    })
    await writeGraph(consumer.root, 'v1')
    await writeFile(join(consumer.root, 'slow.nix'), slowNix)
    const r = await consumer.run('nix-build', [join(consumer.root, 'slow.nix'), '-A', 'final', '--no-out-link', '--max-jobs', '0'])
    expect(r.stderr).not.toMatch(/building '/)
    expect(r.stderr).toMatch(/copying path .*slow-step-1/)
    expect(r.code).toBe(0)
    expect(r.stdout.trim()).toBe(paths.final)
    await consumer.cleanup()
    await store.cleanup()
  })

  it('counts what went up during the build in the post step outputs and summary, and stops the agent', async () => {
    const { store, nixFile, paths } = await slowStore(world.upstream)
    const cacheDir = join(world.dir, 'cache-post')
    await store.build(nixFile, 'pre')
    const job = await startJob({
      env: store.env,
      inputs: { cache: `file://${cacheDir}`, 'secret-key': world.keys.secret, 'skip-signed-by': UPSTREAM_KEY_NAME }
    })
    const pid = agentPid(job)!
    const w = await buildWatching(job, nixFile, cacheDir, expected(paths), store)
    expect(w.build.code).toBe(0)
    // Each path went up within 10 s of becoming valid (the uploader keeps up with this build).
    for (const seconds of await publicationLatencies(store, expected(paths), w)) expect(seconds).toBeLessThanOrEqual(10)
    expect(alive(pid)).toBe(true)
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
    const { store, nixFile, paths } = await slowStore(world.upstream)
    const cacheDir = join(world.dir, 'cache-agent-killed')
    await store.build(nixFile, 'pre')
    const job = await startJob({
      env: store.env,
      inputs: { cache: `file://${cacheDir}`, 'secret-key': world.keys.secret, 'skip-signed-by': UPSTREAM_KEY_NAME }
    })
    // Dies once it is up (the main step waits for it only 50 ms; one killed before it was ready
    // is a different case, with its own message).
    const agentDir = (JSON.parse(job.main!.state.nix_buildtime_cache!) as { agent: { dir: string } }).agent.dir
    for (let waited = 0; !existsSync(join(agentDir, 'ready.json')) && waited < 10_000; waited += 20) await sleep(20)
    expect(existsSync(join(agentDir, 'ready.json'))).toBe(true)
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
    const { store, nixFile, paths } = await slowStore(world.upstream)
    const cacheDir = join(world.dir, 'cache-off')
    const job = await startJob({
      env: store.env,
      inputs: { cache: `file://${cacheDir}`, 'secret-key': world.keys.secret, 'skip-signed-by': UPSTREAM_KEY_NAME, 'push-during-build': 'false' }
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

  it('shares one agent when the action is used again in the job while that agent is still starting', async () => {
    const { store } = await slowStore(world.upstream)
    const cacheDir = join(world.dir, 'cache-twice-starting')
    // A loaded machine, made certain: the agent's Node sleeps 3 s before it runs, so it is not
    // ready when the second main step starts (a main step waits 50 ms for it).
    const preload = join(world.dir, 'slow-agent-start.mjs')
    await writeFile(preload, `if (process.argv[1]?.endsWith('agent.js')) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3000)\n`)
    // Through NODE_OPTIONS: the main step starts the agent with its own Node binary.
    const env = { ...store.env, NODE_OPTIONS: `--import ${pathToFileURL(preload).href}` }
    const job = await startJob({ env, inputs: { cache: `file://${cacheDir}`, 'secret-key': world.keys.secret } })
    const first = agentPid(job)
    expect(first).toBeDefined()
    await job.runMain()
    expect(agentPid(job)).toBe(first)
    expect(trackedProcesses(job.dirs.trackingId)).toEqual([first])
    const post = await job.post()
    expect(post.code).toBe(0)
    expect(alive(first!)).toBe(false)
    await job.cleanup()
    await store.cleanup()
  })

  it('shares one agent when the action is used twice in a job for the same cache', async () => {
    const { store } = await slowStore(world.upstream)
    const cacheDir = join(world.dir, 'cache-twice')
    const job = await startJob({ env: store.env, inputs: { cache: `file://${cacheDir}`, 'secret-key': world.keys.secret } })
    const first = agentPid(job)
    await job.runMain()
    expect(agentPid(job)).toBe(first)
    expect(trackedProcesses(job.dirs.trackingId)).toEqual([first])
    const post = await job.post()
    expect(post.code).toBe(0)
    expect(alive(first!)).toBe(false)
    await job.cleanup()
    await store.cleanup()
  })
  it('stays within 150 MB while it compresses large NARs during the build', async () => {
    // Two chains of four 40 MiB incompressible outputs, built two at a time: 320 MiB of zstd
    // output, several times the 64 MiB of garbage V8 lets pile up before it collects on its own.
    const nix = `let
${NIX_PRELUDE}
  big = n: dep: mk "big-\${n}" ''
    \${bb} sleep 1
    \${bb} mkdir -p $out
    \${bb} head -c 41943040 /dev/urandom > $out/blob
    echo \${dep} > $out/dep
  '' {};
  a1 = big "a1" "none";
  a2 = big "a2" a1;
  a3 = big "a3" a2;
  a4 = big "a4" a3;
  b1 = big "b1" "none";
  b2 = big "b2" b1;
  b3 = big "b3" b2;
  b4 = big "b4" b3;
in [ a4 b4 ]
`
    const store = await createTestStore()
    const nixFile = join(store.root, 'big.nix')
    await writeFile(nixFile, nix)
    const cacheDir = join(world.dir, 'cache-big')
    const job = await startJob({ env: store.env, inputs: { cache: `file://${cacheDir}`, 'secret-key': world.keys.secret } })
    const pid = agentPid(job)!
    const build = await job.exec('nix-build', [nixFile, '--no-out-link', '--max-jobs', '2'])
    expect(build.code).toBe(0)
    for (let waited = 0; (await narinfos(cacheDir)).size < 8 && waited < 60_000; waited += 200) await sleep(200)
    expect((await narinfos(cacheDir)).size).toBe(8)
    const peakKiB = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1])
    expect(peakKiB * 1024).toBeLessThanOrEqual(150e6)
    const post = await job.post()
    expect(post.code).toBe(0)
    expect(post.summary).toMatch(/8 paths \([\d.]+ MiB NAR\) went up during the build/)
    await job.cleanup()
    await store.cleanup()
  }, 120_000)
  it('leaves no spool file for good when it is killed mid-upload: the next push removes it once stale, and the cache verifies', async () => {
    const bigNix = (tag: string): string => `let
${NIX_PRELUDE}
in mk "big-${tag}" ''
  \${bb} mkdir -p $out
  \${bb} head -c 83886080 /dev/urandom > $out/blob
'' {}
`
    const store = await createTestStore()
    const cacheDir = join(world.dir, 'cache-killed-mid-upload')
    const first = join(store.root, 'big-first.nix')
    await writeFile(first, bigNix('first'))
    const spools = async (): Promise<string[]> => (await readdir(join(cacheDir, 'nar')).catch(() => [] as string[])).filter((n) => n.includes('.spool-'))
    const job = await startJob({ env: store.env, inputs: { cache: `file://${cacheDir}`, 'secret-key': world.keys.secret } })
    const pid = agentPid(job)!
    expect((await job.exec('nix-build', [first, '--no-out-link'])).code).toBe(0)
    // The runner's end-of-job clean-up, while the agent is writing the NAR: no post step.
    for (let waited = 0; (await spools()).length === 0 && waited < 30_000; waited += 20) await sleep(20)
    process.kill(pid, 'SIGKILL')
    job.endJob()
    const left = await spools()
    expect(left).toHaveLength(1)
    expect(await narinfos(cacheDir)).toEqual(new Set())

    // An hour later, another job pushes to the same cache.
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000)
    await utimes(join(cacheDir, 'nar', left[0]!), old, old)
    const second = join(store.root, 'big-second.nix')
    await writeFile(second, bigNix('second'))
    const next = await startJob({ env: store.env, inputs: { cache: `file://${cacheDir}`, 'secret-key': world.keys.secret, 'push-during-build': 'false' } })
    expect((await next.exec('nix-build', [second, '--no-out-link'])).code).toBe(0)
    const post = await next.post()
    expect(post.code).toBe(0)
    expect(post.stdout).toContain('Removed 1 temporary file(s) that interrupted uploads had left in the cache.')
    expect(await spools()).toEqual([])
    // The first job's path was never published (it is the second job's pre-existing path now).
    expect((await narinfos(cacheDir)).size).toBe(1)
    await expectVerified(cacheDir, world.keys.public)
    await next.cleanup()
    await store.cleanup()
  }, 120_000)
})
