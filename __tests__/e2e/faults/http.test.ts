// A job pushing to an HTTP cache that misbehaves as real ones do: 500s, 429 with Retry-After,
// connections cut mid-body, hangs, 403 on narinfos. Each case asserts the job's result, its
// warnings, and that the cache still verifies with real Nix (signatures and contents) and serves
// a consumer. Limits are shortened through NIX_BUILDTIME_CACHE_TEST_TIMEOUTS.
import { describe, expect, it } from '@jest/globals'
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { graphPaths, UPSTREAM_KEY_NAME, writeGraph } from '../../helpers/graph.js'
import { createTestStore } from '../../helpers/nix-store.js'
import { startFaultServer, type FaultServer, type FaultServerOptions } from '../../helpers/fault-server.js'
import { errorLines, startJob, warningLines, type StepResult } from '../../helpers/runner.js'
import { consumerBuild, PUSH_WITH_PREEXISTING, rolesOf, topInstallable, useGraphWorld } from '../../helpers/scenario.js'
import { expectVerified, narinfosWithPartialNar, partialNars } from '../../helpers/cache-check.js'

// No earlier job warmed the store, so `preexisting` is new too: a job pushes PUSH_WITH_PREEXISTING.

const world = useGraphWorld('e2e-http-faults-')
let n = 0

/** Short limits: an idle attempt is abandoned after 1.5 s, a failing cache may cost the job 6 s. */
const BUDGET_MS = 6_000
const TIMEOUTS = JSON.stringify({ idleMs: 1_500, jobBudgetMs: BUDGET_MS, retryBaseDelayMs: 100, retryMaxDelayMs: 400 })

interface FaultRun {
  post: StepResult
  postMs: number
  pushed: string[]
  roles: string[]
  warnings: string[]
}

/** One job (main, build of the graph, post) against `server`, timing the post step. */
async function job(server: FaultServer, inputs: Record<string, string> = {}, extraEnv: Record<string, string> = {}): Promise<FaultRun> {
  const store = await createTestStore({ extraConfig: world.upstream.nixConfig })
  const nixFile = await writeGraph(store.root, 'v1')
  const j = await startJob({
    env: { ...store.env, NIX_BUILDTIME_CACHE_TEST_TIMEOUTS: TIMEOUTS, ...extraEnv },
    inputs: {
      cache: server.url,
      'secret-key': world.keys.secret,
      'skip-signed-by': UPSTREAM_KEY_NAME,
      installables: await topInstallable(store),
      // The post step's faults: with the agent (which runs with installables too) it would meet them first.
      'push-during-build': 'false',
      ...inputs
    }
  })
  expect(j.main?.code).toBe(0)
  const build = await j.exec('nix-build', [nixFile, '-A', 'job', '--no-out-link'])
  expect(build.code).toBe(0)
  const started = Date.now()
  const post = await j.post()
  const postMs = Date.now() - started
  const pathsFile = post.outputs['paths-file']
  const pushed = pathsFile ? (await readFile(pathsFile, 'utf8')).split('\n').filter((l) => l !== '') : []
  const roles = rolesOf(pushed, await graphPaths(nixFile, store))
  await j.cleanup()
  await store.cleanup()
  return { post, postMs, pushed, roles, warnings: warningLines(post.stdout) }
}

async function server(opts: FaultServerOptions = {}): Promise<FaultServer> {
  const root = join(world.dir, `cache-${++n}`)
  await mkdir(root)
  return startFaultServer(root, opts)
}

/** `nix store verify --all` over the cache's directory with require-sigs: every narinfo signed by us, every NAR matching it. */
const verifies = (root: string): Promise<void> => expectVerified(root, world.keys.public)

/** A consumer substitutes everything but the changed top from the cache (plus upstream). */
async function serves(s: FaultServer): Promise<void> {
  s.script()
  const consumer = await consumerBuild({ substituters: [s.url, world.upstream.url], trustedKeys: [world.keys.public, world.upstream.publicKey], variant: 'v2' })
  expect(consumer.built).toBe(1)
  await consumer.store.cleanup()
}

describe('an HTTP cache with transient faults', () => {
  it('retries 500s, logging each retry, and ends green with a cache that verifies', async () => {
    const s = await server()
    try {
      s.script({ method: 'PUT', path: /^\/nar\//, fault: { kind: 'status', status: 500 }, times: 4 })
      const run = await job(s)
      expect(run.post.code).toBe(0)
      expect(run.warnings).toEqual([])
      expect(run.roles).toEqual(PUSH_WITH_PREEXISTING)
      expect(run.post.stdout).toMatch(/HTTP 500 Internal Server Error from PUT http:\/\/127\.0\.0\.1:\d+\/nar\/\S+; retry 2\/5 in \d+\.\d s/)
      await verifies(s.root)
      await serves(s)
    } finally {
      await s.stop()
    }
  })

  it("waits as a 429's Retry-After asks, and says so", async () => {
    const s = await server()
    try {
      s.script({ method: 'PUT', path: /\.narinfo$/, fault: { kind: 'status', status: 429, retryAfter: '2' }, times: 1 })
      const run = await job(s)
      expect(run.post.code).toBe(0)
      expect(run.warnings).toEqual([])
      expect(run.roles).toEqual(PUSH_WITH_PREEXISTING)
      const m = /HTTP 429 Too Many Requests from PUT http:\/\/127\.0\.0\.1:\d+\/(\w+)\.narinfo; retry 2\/5 in 2\.0 s/.exec(run.post.stdout)
      expect(m).not.toBeNull()
      const tries = s.log.filter((r) => r.method === 'PUT' && r.path === `/${m?.[1]}.narinfo`)
      expect(tries.map((t) => t.outcome)).toEqual([429, 201])
      expect(tries[1]!.at - tries[0]!.at).toBeGreaterThanOrEqual(1_900)
      await verifies(s.root)
    } finally {
      await s.stop()
    }
  })

  // The server writes in place, as a naive WebDAV or PUT handler does: a cut upload leaves the part
  // that arrived under the NAR's final name, where GET and HEAD serve it like a whole one.
  it('retries uploads whose connection is cut mid-body; no partial file is ever published', async () => {
    const s = await server({ writes: 'in-place' })
    try {
      s.script({ method: 'PUT', path: /^\/nar\//, fault: { kind: 'cut' }, times: 3 })
      const run = await job(s)
      expect(run.post.code).toBe(0)
      expect(run.warnings).toEqual([])
      expect(run.roles).toEqual(PUSH_WITH_PREEXISTING)
      expect(s.log.filter((r) => r.outcome === 'cut').length).toBeGreaterThanOrEqual(3)
      // Each cut is retried, and the retry is in the log.
      expect(run.post.stdout).toMatch(/fetch failed[^\n]* from PUT http:\/\/127\.0\.0\.1:\d+\/nar\/\S+; retry 2\/5 in \d+\.\d s/)
      // Each retry replaced the half its cut left, and every narinfo points at a whole NAR.
      expect(await partialNars(s.root)).toEqual([])
      expect(await narinfosWithPartialNar(s.root)).toEqual([])
      await verifies(s.root)
      await serves(s)
    } finally {
      await s.stop()
    }
  })

  it('never takes a NAR that a cut upload left half-written for a whole one: a later job uploads it again', async () => {
    const s = await server({ writes: 'in-place' })
    try {
      // Every NAR upload is cut: the job gives up on the cache, leaving half of each NAR it tried
      // under the NAR's final name, and no narinfo.
      s.script({ method: 'PUT', path: /^\/nar\//, fault: { kind: 'cut' } })
      const cut = await job(s)
      expect(await narinfosWithPartialNar(s.root)).toEqual([])
      expect((await partialNars(s.root)).length).toBeGreaterThan(0)
      expect(cut.post.code).toBe(0)
      expect(cut.pushed).toEqual([])
      expect(cut.warnings).toHaveLength(1)

      // The next job, to a cache that works again, finds those NARs under their names.
      s.script()
      const next = await job(s)
      expect(next.post.code).toBe(0)
      expect(next.warnings).toEqual([])
      expect(next.roles).toEqual(PUSH_WITH_PREEXISTING)
      expect(await narinfosWithPartialNar(s.root)).toEqual([])
      expect(await partialNars(s.root)).toEqual([])
      await verifies(s.root)
      await serves(s)
    } finally {
      await s.stop()
    }
  })
})

describe('an HTTP cache that does not answer', () => {
  it('a hang on every NAR upload costs the job at most its budget, then one warning; the cache stays consistent', async () => {
    const s = await server()
    try {
      s.script({ method: 'PUT', path: /^\/nar\//, fault: { kind: 'hang' } })
      const run = await job(s)
      expect(run.post.code).toBe(0)
      expect(run.pushed).toEqual([])
      expect(run.warnings).toHaveLength(1)
      expect(run.warnings[0]).toMatch(/could not be pushed; the cache was given up on: the cache kept failing for 6\.0 s in this job \(first: no answer for 1\.5 s from PUT/)
      // Budget, one idle timeout that was already running, and the post step's own work.
      expect(run.postMs).toBeLessThan(BUDGET_MS + 1_500 + 8_000)
      expect(run.post.stdout).toMatch(/no answer for 1\.5 s from PUT \S+; retry 2\/5/)
      // No narinfo was published for a NAR that never arrived.
      expect(s.count('PUT', /\.narinfo$/)).toBe(0)
      await verifies(s.root)
    } finally {
      await s.stop()
    }
  })

  it('a cache that hangs from the first request fails the post step in strict mode, within the bound', async () => {
    const s = await server()
    try {
      s.script({ fault: { kind: 'hang' } })
      // Not a substituter for the build: Nix itself would wait on it.
      const run = await job(s, { strict: 'true', pull: 'false' })
      expect(run.post.code).toBe(1)
      const errors = errorLines(run.post.stdout)
      expect(errors).toHaveLength(1)
      expect(errors[0]).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/nix-cache-info/)
      expect(run.postMs).toBeLessThan(BUDGET_MS + 1_500 + 8_000)
    } finally {
      await s.stop()
    }
  })

  it('403 on narinfos: the breaker stops after a few, one warning, green, nothing half-published', async () => {
    const s = await server()
    try {
      s.script({ method: 'PUT', path: /\.narinfo$/, fault: { kind: 'status', status: 403 } })
      const run = await job(s, { parallelism: '1' }, {
        NIX_BUILDTIME_CACHE_TEST_TIMEOUTS: JSON.stringify({ idleMs: 1_500, jobBudgetMs: BUDGET_MS, breakerThreshold: 2 })
      })
      expect(run.post.code).toBe(0)
      expect(run.pushed).toEqual([])
      expect(run.warnings).toHaveLength(1)
      expect(run.warnings[0]).toMatch(/the cache was given up on: 2 requests in a row were refused \(first: HTTP 403 Forbidden from PUT/)
      // The remaining paths were not tried: two refusals (and one already on its way), then no more requests.
      expect(s.count('PUT', /\.narinfo$/)).toBeLessThanOrEqual(3)
      expect(s.count('PUT', /\.narinfo$/)).toBeGreaterThanOrEqual(2)
      expect(s.count('PUT', /^\/nar\//)).toBeLessThan(PUSH_WITH_PREEXISTING.length)
      await verifies(s.root)
    } finally {
      await s.stop()
    }
  })
})
