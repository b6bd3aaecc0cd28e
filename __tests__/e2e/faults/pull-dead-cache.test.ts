// Pulling is on by default, so the cache becomes a substituter of the job's own Nix. A cache that
// accepts connections and never answers would then stall the user's build for minutes (Nix waits
// 300 s per attempt, and retries): the main step and `start`/`run` probe it first, for seconds,
// and leave a cache that does not answer out, with one warning (issue 20).
import { describe, expect, it } from '@jest/globals'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { UPSTREAM_KEY_NAME, writeGraph } from '../../helpers/graph.js'
import { createTestStore } from '../../helpers/nix-store.js'
import { startFaultServer, type FaultServer } from '../../helpers/fault-server.js'
import { startJob, warningLines } from '../../helpers/runner.js'
import { topInstallable, useGraphWorld } from '../../helpers/scenario.js'
import { jsonResult, runCli, tinyNix } from '../../helpers/cli.js'

const world = useGraphWorld('e2e-pull-dead-')
let n = 0

/** Short limits: an idle attempt is abandoned after 1.5 s, a failing cache may cost the job 6 s. */
const BUDGET_MS = 6_000
const TIMEOUTS = JSON.stringify({ idleMs: 1_500, jobBudgetMs: BUDGET_MS, retryBaseDelayMs: 100, retryMaxDelayMs: 400 })
/** The budget, an idle timeout already running when it ran out, and the steps' own work (Nix, the build). */
const WHOLE_JOB_MS = BUDGET_MS + 1_500 + 25_000

async function silentCache(): Promise<FaultServer> {
  const root = join(world.dir, `cache-${++n}`)
  await mkdir(root)
  const s = await startFaultServer(root)
  // Connections are accepted; no request is ever answered.
  s.script({ fault: { kind: 'hang' } })
  return s
}

const PULL_WARNING = /Later steps do not substitute from http:\/\/127\.0\.0\.1:\d+: it did not answer within seconds \(no answer for 1\.5 s from GET http:\/\/127\.0\.0\.1:\d+\/nix-cache-info\)/

describe('a cache that accepts connections and never answers, with pulling on', () => {
  it('the action leaves it out of the substituters after a probe of seconds: the build runs, the job ends green within its bound, one warning per step', async () => {
    const s = await silentCache()
    const store = await createTestStore({ extraConfig: world.upstream.nixConfig })
    try {
      const nixFile = await writeGraph(store.root, 'v1')
      const startedAt = Date.now()
      const j = await startJob({
        env: { ...store.env, NIX_BUILDTIME_CACHE_TEST_TIMEOUTS: TIMEOUTS },
        // The agent (which now runs with installables) checks the cache for pushing on its own,
        // within the budget (e2e/faults/killed-agent-budget.test.ts); here only the pull side counts.
        inputs: { cache: s.url, 'secret-key': world.keys.secret, 'skip-signed-by': UPSTREAM_KEY_NAME, installables: await topInstallable(store), 'push-during-build': 'false' }
      })
      try {
        expect(j.main?.code).toBe(0)
        const mainWarnings = warningLines(j.main!.stdout)
        expect(mainWarnings).toHaveLength(1)
        expect(mainWarnings[0]).toMatch(PULL_WARNING)
        expect(j.env.NIX_CONFIG ?? '').not.toContain(s.url)
        // Asked twice at most (one retry), never for minutes.
        expect(s.count('GET', /^\/nix-cache-info$/)).toBeLessThanOrEqual(3)
        // The user's build never waits on the silent cache.
        const buildStarted = Date.now()
        const build = await j.exec('nix-build', [nixFile, '-A', 'job', '--no-out-link'], { timeoutMs: 60_000 })
        expect(build.code).toBe(0)
        expect(Date.now() - buildStarted).toBeLessThan(30_000)
        const post = await j.post()
        expect(post.code).toBe(0)
        const postWarnings = warningLines(post.stdout)
        expect(postWarnings).toHaveLength(1)
        expect(postWarnings[0]).toMatch(/the cache kept failing for 6\.0 s in this job/)
        expect(Date.now() - startedAt).toBeLessThan(WHOLE_JOB_MS)
      } finally {
        await j.cleanup()
      }
    } finally {
      await s.stop()
      await store.cleanup()
    }
  })

  it('the CLI (run) leaves it out of the command’s substituters too: the command builds, the job ends green within its bound', async () => {
    const s = await silentCache()
    const store = await createTestStore()
    try {
      const started = Date.now()
      const r = await runCli(
        ['run', '--cache', s.url, '--secret-key-file', world.keys.secretFile, '--state-dir', join(world.dir, 'state-cli'), '--json', '--', 'nix-build', await tinyNix(store.root, 'pulls-from-a-silent-cache'), '--no-out-link'],
        { env: { ...store.env, NIX_BUILDTIME_CACHE_TEST_TIMEOUTS: TIMEOUTS }, cwd: store.root }
      )
      expect(r.code).toBe(0)
      expect(jsonResult(r.stdout)).toMatchObject({ status: 0, commandStatus: 0 })
      const pullWarnings = r.stderr.split('\n').filter((l) => PULL_WARNING.test(l))
      expect(pullWarnings).toHaveLength(1)
      expect(Date.now() - started).toBeLessThan(WHOLE_JOB_MS)
    } finally {
      await s.stop()
      await store.cleanup()
    }
  })
})
