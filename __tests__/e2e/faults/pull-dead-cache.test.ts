// Pulling is on by default, so the cache becomes a substituter of the job's own Nix. A cache that
// accepts connections and never answers would then stall the user's build for minutes (Nix waits
// 300 s per attempt, and retries): the main step and `start`/`run` probe it first, for seconds,
// and leave a cache that does not answer out, with one warning (issue 20).
import { describe, expect, it } from '@jest/globals'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { UPSTREAM_KEY_NAME, writeGraph } from '../../helpers/graph.js'
import { createTestStore } from '../../helpers/nix-store.js'
import { startFaultServer, type FaultServer } from '../../helpers/fault-server.js'
import { startJob, warningLines } from '../../helpers/runner.js'
import { topInstallable, useGraphWorld } from '../../helpers/scenario.js'
import { CLI, jsonResult, runCli, tinyNix, until } from '../../helpers/cli.js'
import { node24 } from '../../helpers/runner.js'
import { countBuilt } from '../../helpers/nix-store.js'
import { runProcess } from '../../helpers/proc.js'

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

  it('the action leaves a silent S3 endpoint out of the substituters too, after a probe of seconds, and the build runs', async () => {
    const s = await silentCache()
    const store = await createTestStore({ extraConfig: world.upstream.nixConfig })
    const cache = `s3://nbc-silent?region=us-east-1&endpoint=${encodeURIComponent(s.url)}&scheme=http`
    try {
      const nixFile = await writeGraph(store.root, 'v1')
      const j = await startJob({
        env: { ...store.env, NIX_BUILDTIME_CACHE_TEST_TIMEOUTS: TIMEOUTS, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' },
        inputs: { cache, 'secret-key': world.keys.secret, 'skip-signed-by': UPSTREAM_KEY_NAME, 'push-during-build': 'false' }
      })
      try {
        expect(j.main?.code).toBe(0)
        const mainWarnings = warningLines(j.main!.stdout)
        expect(mainWarnings).toHaveLength(1)
        // Also on Debian's 2.8, which cannot open s3:// stores: the bucket would be pulled through the agent's front.
        expect(mainWarnings[0]).toContain('Later steps do not substitute from s3://nbc-silent?')
        expect(j.env.NIX_CONFIG ?? '').not.toContain('nbc-silent')
        const buildStarted = Date.now()
        const build = await j.exec('nix-build', [nixFile, '-A', 'job', '--no-out-link'], { timeoutMs: 60_000 })
        expect(build.code).toBe(0)
        expect(Date.now() - buildStarted).toBeLessThan(30_000)
        expect((await j.post()).code).toBe(0)
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

/**
 * A cache that answers (the main step's probe, `start`'s), with the store's nix-cache-info, until
 * `die()`: from then on it accepts connections and never answers anything.
 */
async function cacheThatWillDie(): Promise<FaultServer> {
  const root = join(world.dir, `cache-${++n}`)
  await mkdir(root)
  await writeFile(join(root, 'nix-cache-info'), 'StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 30\n')
  return startFaultServer(root)
}

const die = (s: FaultServer): void => s.script({ fault: { kind: 'hang' } })

/** The job's Nix asked the dead cache this much, through the agent: once or a few times in parallel, never again after the breaker opened. */
function hungReads(s: FaultServer, since: number): number {
  return s.log.filter((r) => r.at >= since && (r.method === 'GET' || r.method === 'HEAD') && r.outcome === 'hang').length
}

/** The agent's front gave the cache up: its line, repeated by the post step (or push) as information. */
const FRONT_GAVE_UP = /Background agent: The cache stopped answering the job's Nix \(no answer for 1\.5 s from http:\/\/127\.0\.0\.1:\d+\/[^)]*\): for the rest of the job, Nix builds what it would have pulled from it\./

describe('a cache that answers at first, then stops answering while the job builds (pulled through the agent)', () => {
  it('the action: the build gets "not here" within seconds and builds; the job ends green within its bound, with one warning', async () => {
    const s = await cacheThatWillDie()
    const store = await createTestStore({ extraConfig: world.upstream.nixConfig })
    try {
      const nixFile = await writeGraph(store.root, 'v1')
      const j = await startJob({
        env: { ...store.env, NIX_BUILDTIME_CACHE_TEST_TIMEOUTS: TIMEOUTS },
        inputs: { cache: s.url, 'secret-key': world.keys.secret, 'skip-signed-by': UPSTREAM_KEY_NAME }
      })
      try {
        expect(j.main?.code).toBe(0)
        expect(warningLines(j.main!.stdout)).toEqual([])
        // Nix pulls from the agent on loopback, not from the cache itself.
        const nixConfig = j.env.NIX_CONFIG ?? ''
        expect(nixConfig).toMatch(/^extra-substituters = http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}$/m)
        expect(nixConfig).not.toContain(s.url)

        const troubleAt = Date.now()
        die(s)
        const build = await j.exec('nix-build', [nixFile, '-A', 'job', '--no-out-link'], { timeoutMs: 90_000 })
        expect(build.code).toBe(0)
        expect(countBuilt(build.stderr)).toBeGreaterThan(0)
        // One idle timeout of the agent (1.5 s here), not Nix's 300 s per attempt.
        expect(Date.now() - troubleAt).toBeLessThan(30_000)
        const hung = hungReads(s, troubleAt)
        expect(hung).toBeGreaterThan(0)
        expect(hung).toBeLessThanOrEqual(10)

        const post = await j.post()
        expect(post.code).toBe(0)
        expect(post.stdout).toMatch(FRONT_GAVE_UP)
        const warnings = warningLines(post.stdout)
        expect(warnings).toHaveLength(1)
        expect(warnings[0]).toMatch(/the cache kept failing for 6\.0 s in this job|the cache was given up on/)
        expect(Date.now() - troubleAt).toBeLessThan(WHOLE_JOB_MS)
      } finally {
        await j.cleanup()
      }
    } finally {
      await s.stop()
      await store.cleanup()
    }
  })

  it('the CLI (start, the build, push, in one CI script): the build builds within seconds; push ends green within the bound, with one warning', async () => {
    const s = await cacheThatWillDie()
    const store = await createTestStore()
    const stateDir = join(world.dir, 'state-cli-dies')
    await mkdir(stateDir)
    const mark = (name: string): string => join(stateDir, name)
    // The CI script: `start`, its settings sourced; the build once the test has killed the cache; `push`.
    const script = [
      '"$NODE" "$CLI" start --cache "$CACHE" --secret-key-file "$KEY" --state-dir "$STATE" --dotenv "$STATE/env" 2>"$STATE/start.err" || exit 1',
      'set -a; . "$STATE/env"; set +a',
      'printf %s "$NIX_CONFIG" > "$STATE/nix-config"',
      'until [ -e "$STATE/dead" ]; do sleep 0.05; done',
      'nix-build "$A" --no-out-link 2>"$STATE/build.err" || exit 2',
      'touch "$STATE/built"',
      'exec "$NODE" "$CLI" push --state-dir "$STATE" --json'
    ].join('\n')
    const env = { ...store.env, NIX_BUILDTIME_CACHE_TEST_TIMEOUTS: TIMEOUTS }
    try {
      const run = runProcess('sh', ['-c', script], {
        env: { ...env, NODE: node24(), CLI, KEY: world.keys.secretFile, CACHE: s.url, STATE: stateDir, A: await tinyNix(store.root, 'cache-dies-under-the-cli') },
        cwd: store.root,
        timeoutMs: 110_000
      })
      await until(() => existsSync(mark('nix-config')), 30_000)
      expect(await readFile(mark('start.err'), 'utf8')).not.toMatch(/^warning:/m)
      expect(await readFile(mark('nix-config'), 'utf8')).toMatch(/^extra-substituters = http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}$/m)

      const troubleAt = Date.now()
      die(s)
      await writeFile(mark('dead'), '')
      await until(() => existsSync(mark('built')), 90_000)
      // One idle timeout of the agent (1.5 s here), not Nix's 300 s per attempt.
      expect(existsSync(mark('built'))).toBe(true)
      expect(Date.now() - troubleAt).toBeLessThan(30_000)
      expect(countBuilt(await readFile(mark('build.err'), 'utf8'))).toBe(1)
      expect(hungReads(s, troubleAt)).toBeGreaterThan(0)

      const push = await run
      expect(push.code).toBe(0)
      expect(jsonResult(push.stdout)).toMatchObject({ status: 0 })
      expect(push.stderr).toMatch(FRONT_GAVE_UP)
      expect(push.stderr.split('\n').filter((l) => l.startsWith('warning:'))).toHaveLength(1)
      expect(Date.now() - troubleAt).toBeLessThan(WHOLE_JOB_MS)
    } finally {
      await s.stop()
      await store.cleanup()
    }
  })
})
