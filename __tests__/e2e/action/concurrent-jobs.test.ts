// Two jobs at the same time on one machine, as several self-hosted runners on one host run them:
// each with its own runner directories, both using the action at once. Each must push exactly its
// own closure, and neither may disturb the other's agent, port or temp files. The bundled action
// as the runner runs it, real Nix, the local GitHub Actions cache service, and (as root) one real
// nix-daemon whose store both jobs share.
import { describe, expect, it } from '@jest/globals'
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { useGhaCache } from '../../helpers/gha-jobs.js'
import { graphPaths, UPSTREAM_KEY_NAME, writeGraph, type GraphPaths } from '../../helpers/graph.js'
import { createTestStore, removeTree } from '../../helpers/nix-store.js'
import { startDaemon } from '../../helpers/daemon.js'
import { runProcess } from '../../helpers/proc.js'
import { describeAsRoot } from '../../helpers/requires.js'
import { startJob, warningLines, type Job } from '../../helpers/runner.js'
import { consumerBuild, FIRST_PUSH, PUSH_WITH_PREEXISTING, rolesOf, useGraphWorld } from '../../helpers/scenario.js'

const world = useGraphWorld('e2e-concurrent-')
const gha = useGhaCache(world)

interface Side {
  variant: string
  /** The job's environment: its store (or the shared daemon), cache service, RUNNER_TEMP. */
  env: NodeJS.ProcessEnv
  inputs: Record<string, string>
  /** Where the graph is written (readable by the job's Nix). */
  workDir: string
}

interface Outcome {
  job: Job
  paths: GraphPaths
  pushedRoles: string[]
  warnings: string[]
  summary: string
}

/**
 * Both main steps, then both builds at once, then both post steps: the two jobs overlap from the
 * first main step to the last post step, whatever the machine's speed.
 */
async function atOnce(sides: readonly [Side, Side]): Promise<[Outcome, Outcome]> {
  const files = await Promise.all(sides.map((s) => writeGraph(s.workDir, s.variant, `graph-${s.variant}.nix`)))
  const jobs: Job[] = []
  for (const s of sides) jobs.push(await startJob({ env: s.env, inputs: s.inputs }))
  for (const j of jobs) if (j.main?.code !== 0) throw new Error(`main failed:\n${j.main?.stdout}`)
  // Under load, Debian's 2.8 daemon has reset a client's connection before any build started
  // ("cannot open connection to remote store … Connection reset by peer", once in a full CI run).
  // That is between Nix's client and its daemon, before either job's build: it is run again once.
  const build = async (j: Job, file: string) => {
    const first = await j.exec('nix-build', [file, '-A', 'job', '--no-out-link'])
    if (first.code === 0 || !/cannot open connection to remote store/.test(first.stderr)) return first
    return await j.exec('nix-build', [file, '-A', 'job', '--no-out-link'])
  }
  const builds = await Promise.all(jobs.map((j, i) => build(j, files[i]!)))
  for (const b of builds) if (b.code !== 0) throw new Error(`build failed:\n${b.stderr}`)
  const outcomes: Outcome[] = []
  for (const [i, j] of jobs.entries()) {
    const post = await j.post()
    if (post.code !== 0) throw new Error(`post failed:\n${post.stdout}`)
    const pushed = (await readFile(post.outputs['paths-file']!, 'utf8')).split('\n').filter(Boolean)
    const paths = await graphPaths(files[i]!, undefined)
    outcomes.push({ job: j, paths, pushedRoles: rolesOf(pushed, paths), warnings: [...warningLines(j.main!.stdout), ...warningLines(post.stdout)], summary: post.summary })
  }
  for (const j of jobs) await j.cleanup()
  return [outcomes[0]!, outcomes[1]!]
}

/** A side with a store of its own (one runner, one machine-local store), RUNNER_TEMP in it. */
async function ownStoreSide(variant: string, inputs: Record<string, string>, env: NodeJS.ProcessEnv = {}): Promise<Side & { cleanup(): Promise<void> }> {
  const store = await createTestStore({ extraConfig: world.upstream.nixConfig })
  const runnerTemp = join(store.root, 'runner-temp')
  await mkdir(runnerTemp, { recursive: true })
  return { variant, env: { ...store.env, RUNNER_TEMP: runnerTemp, ...env }, inputs, workDir: store.root, cleanup: () => store.cleanup() }
}

const port = (o: Outcome): string | undefined => /Later steps substitute from http:\/\/127\.0\.0\.1:(\d+)/.exec(o.job.main?.stdout ?? '')?.[1]

describe('two jobs on one machine at the same time', () => {
  it('with the GitHub Actions cache: each serves its own port, pushes exactly its own closure, and a later job of either finds it all', async () => {
    const inputs = { cache: 'github-actions', 'secret-key': '', 'skip-signed-by': UPSTREAM_KEY_NAME }
    const a = await ownStoreSide('v1', inputs, gha.server.env())
    const b = await ownStoreSide('v2', inputs, gha.server.env())
    try {
      const [ra, rb] = await atOnce([a, b])
      expect(ra.warnings).toEqual([])
      expect(rb.warnings).toEqual([])
      expect(port(ra)).toBeDefined()
      expect(port(rb)).toBeDefined()
      expect(port(ra)).not.toBe(port(rb))
      // Separate stores: each job's new paths are its own, and nothing of the other's.
      expect(ra.pushedRoles).toEqual(FIRST_PUSH)
      expect(rb.pushedRoles).toEqual(FIRST_PUSH)
    } finally {
      await a.cleanup()
      await b.cleanup()
    }
    for (const variant of ['v1', 'v2']) {
      const later = await gha.jobs.run({ variant })
      expect(later.warnings).toEqual([])
      expect(later.built).toEqual([])
    }
  })

  it('with one file:// cache, a store each and overlapping closures: each pushes only its own paths, and the cache ends up with both', async () => {
    const cacheDir = join(world.dir, 'shared-file-cache')
    const inputs = { cache: `file://${cacheDir}`, 'secret-key': world.keys.secret, 'skip-signed-by': UPSTREAM_KEY_NAME }
    const a = await ownStoreSide('v1', inputs)
    const b = await ownStoreSide('v2', inputs)
    try {
      const [ra, rb] = await atOnce([a, b])
      expect(ra.warnings).toEqual([])
      expect(rb.warnings).toEqual([])
      // Shared paths may go up from either job, never a path outside the job's own closure.
      for (const r of [ra, rb]) {
        expect(r.pushedRoles.filter((role) => !FIRST_PUSH.includes(role))).toEqual([])
        expect(r.pushedRoles).toContain('top')
      }
      expect(new Set([...ra.pushedRoles, ...rb.pushedRoles])).toEqual(new Set(FIRST_PUSH))
    } finally {
      await a.cleanup()
      await b.cleanup()
    }
    for (const variant of ['v1', 'v2']) {
      const consumer = await consumerBuild({ substituters: [`file://${cacheDir}`, world.upstream.url], trustedKeys: [world.keys.public, world.upstream.publicKey], variant })
      expect(consumer.built).toBe(0)
      await consumer.store.cleanup()
    }
  })
})

describeAsRoot('runs a nix-daemon as root')('two jobs at the same time on one store, through one nix-daemon', () => {
  /** Both jobs' clients talk to one daemon: one store, as several runners on one host have. */
  async function sharedStoreSides(cacheDir: string, withInstallables: boolean): Promise<{ sides: [Side, Side]; stop(): Promise<void> }> {
    const daemon = await startDaemon({ config: [`substituters = ${world.upstream.url}`, `trusted-public-keys = ${world.upstream.publicKey}`] })
    const sides: Side[] = []
    for (const variant of ['v1', 'v2']) {
      const root = join(daemon.dir, `runner-${variant}`)
      const home = join(root, 'home')
      const runnerTemp = join(root, 'temp')
      for (const d of [home, runnerTemp]) await mkdir(d, { recursive: true })
      const env = { ...daemon.clientEnv(home), RUNNER_TEMP: runnerTemp }
      const inputs: Record<string, string> = { cache: `file://${cacheDir}`, 'secret-key': world.keys.secret, 'skip-signed-by': UPSTREAM_KEY_NAME }
      if (withInstallables) {
        const file = await writeGraph(root, variant, `top-${variant}.nix`)
        const drv = await runProcess('nix-instantiate', [file, '-A', 'top'], { env })
        if (drv.code !== 0) throw new Error(drv.stderr)
        inputs.installables = drv.stdout.trim()
      }
      sides.push({ variant, env, inputs, workDir: root })
    }
    return { sides: [sides[0]!, sides[1]!], stop: () => daemon.stop() }
  }

  it('with installables, each job pushes only its own closure, and neither is told about the other', async () => {
    const cacheDir = join(world.dir, 'daemon-cache-installables')
    const shared = await sharedStoreSides(cacheDir, true)
    try {
      const [ra, rb] = await atOnce(shared.sides)
      for (const r of [ra, rb]) {
        expect(r.warnings).toEqual([])
        expect(r.pushedRoles.filter((role) => !PUSH_WITH_PREEXISTING.includes(role))).toEqual([])
        expect(r.pushedRoles).toContain('top')
      }
    } finally {
      await shared.stop()
      await removeTree(cacheDir)
    }
  })

  it('without installables, each job says in its summary that another job shared the store, and recommends installables', async () => {
    const cacheDir = join(world.dir, 'daemon-cache-plain')
    const shared = await sharedStoreSides(cacheDir, false)
    try {
      const [ra, rb] = await atOnce(shared.sides)
      for (const r of [ra, rb]) {
        expect(r.summary).toMatch(/Another job using nix-buildtime-cache ran on this Nix store at the same time\..*`installables`/)
        expect(r.warnings).toEqual([expect.stringMatching(/Another job using nix-buildtime-cache ran on this Nix store at the same time/)])
      }
      // Whichever job pushed what, the cache holds both closures.
      for (const variant of ['v1', 'v2']) {
        const consumer = await consumerBuild({ substituters: [`file://${cacheDir}`, world.upstream.url], trustedKeys: [world.keys.public, world.upstream.publicKey], variant })
        expect(consumer.built).toBe(0)
        await consumer.store.cleanup()
      }
    } finally {
      await shared.stop()
      await removeTree(cacheDir)
    }
  })
})
