// A dead cache may cost a whole job about two minutes, however the job is split into processes.
// That bound must hold when a process dies mid-request too: the background agent is killed (the
// post step's stop wait, a CI system ending a script) while its upload to a cache that never
// answers is still running. What it spent must already be on the job's books, so that the post
// step (and the CLI's push) gives up within what is left, instead of starting a budget afresh.
import { describe, expect, it } from '@jest/globals'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { UPSTREAM_KEY_NAME, writeGraph } from '../../helpers/graph.js'
import { createTestStore } from '../../helpers/nix-store.js'
import { startFaultServer, type FaultServer } from '../../helpers/fault-server.js'
import { agentPid, startJob, warningLines } from '../../helpers/runner.js'
import { useGraphWorld } from '../../helpers/scenario.js'
import { alive, killTree, sleep, spawnTracked } from '../../helpers/proc.js'
import { node24 } from '../../helpers/runner.js'
import { agentOf, CLI, jsonResult, runCli, tinyNix, until } from '../../helpers/cli.js'

const world = useGraphWorld('e2e-killed-agent-')
let n = 0

/**
 * Idle attempts are abandoned after 1.5 s and retried until the budget (20 s) runs out; the
 * breaker never opens first, so the agent is still mid-request, its budget unsaved, when killed.
 */
const BUDGET_MS = 20_000
const TIMEOUTS = JSON.stringify({ idleMs: 1_500, jobBudgetMs: BUDGET_MS, breakerThreshold: 100, retryAttempts: 100, retryBaseDelayMs: 100, retryMaxDelayMs: 400 })
/** How long the agent fails before it is killed: the post step has what is left. */
const SPENT_BY_THE_AGENT_MS = 14_000
/** What is left, one idle timeout already running, and the step's own work; a fresh budget alone would take 20 s. */
const LEFT_MS = BUDGET_MS - SPENT_BY_THE_AGENT_MS + 1_500 + 5_500

async function uploadsHang(): Promise<FaultServer> {
  const root = join(world.dir, `cache-${++n}`)
  await mkdir(root)
  const s = await startFaultServer(root)
  // nix-cache-info and lookups answer; no NAR upload ever does.
  s.script({ method: 'PUT', path: /^\/nar\//, fault: { kind: 'hang' } })
  return s
}

/** Waits until the cache has hung on uploads for `ms`, then kills the agent without warning. */
async function killAgentAfterTrouble(s: FaultServer, pid: number, ms: number): Promise<void> {
  await until(() => s.log.some((r) => r.method === 'PUT' && r.outcome === 'hang'), 30_000)
  const first = s.log.find((r) => r.method === 'PUT' && r.outcome === 'hang')
  expect(first).toBeDefined()
  await sleep(Math.max(0, first!.at + ms - Date.now()))
  expect(alive(pid)).toBe(true)
  process.kill(pid, 'SIGKILL')
  await until(() => !alive(pid), 5_000)
}

describe('an agent killed mid-request against a cache that never answers', () => {
  it('has already counted what it spent: the action’s post step ends within what is left of the job’s budget', async () => {
    const s = await uploadsHang()
    const store = await createTestStore({ extraConfig: world.upstream.nixConfig })
    try {
      const nixFile = await writeGraph(store.root, 'v1')
      const j = await startJob({
        env: { ...store.env, NIX_BUILDTIME_CACHE_TEST_TIMEOUTS: TIMEOUTS },
        // No installables: the agent publishes during the build only without them.
        inputs: { cache: s.url, 'secret-key': world.keys.secret, 'skip-signed-by': UPSTREAM_KEY_NAME }
      })
      try {
        expect(j.main?.code).toBe(0)
        const pid = agentPid(j)
        expect(pid).toBeDefined()
        const build = await j.exec('nix-build', [nixFile, '-A', 'job', '--no-out-link'])
        expect(build.code).toBe(0)
        await killAgentAfterTrouble(s, pid!, SPENT_BY_THE_AGENT_MS)
        const started = Date.now()
        const post = await j.post()
        const postMs = Date.now() - started
        expect(post.code).toBe(0)
        const warnings = warningLines(post.stdout)
        // One warning: the budget ran out, or the last retry no longer fitted in what was left of it.
        expect(warnings).toEqual([expect.stringMatching(/could not be pushed; (the cache was given up on: the cache kept failing for 20 s in this job|first: .*gave up after \d+ attempts)/)])
        expect(postMs).toBeLessThan(LEFT_MS)
      } finally {
        await j.cleanup()
      }
    } finally {
      await s.stop()
      await store.cleanup()
    }
  })

  it('has already counted what it spent: the CLI’s push ends within what is left of the job’s budget', async () => {
    const s = await uploadsHang()
    const store = await createTestStore()
    const stateDir = join(world.dir, 'state-cli')
    await mkdir(stateDir)
    const env = { ...store.env, NIX_BUILDTIME_CACHE_TEST_TIMEOUTS: TIMEOUTS }
    const script = spawnTracked(
      'sh',
      ['-c', '"$NODE" "$CLI" start --cache "$CACHE" --secret-key-file "$KEY" --state-dir "$STATE" --dotenv "$STATE/env" && nix-build "$A" --no-out-link && sleep 90'],
      { env: { ...env, NODE: node24(), CLI, KEY: world.keys.secretFile, CACHE: s.url, STATE: stateDir, A: await tinyNix(store.root, 'killed-cli-agent') } }
    )
    try {
      await until(() => {
        try {
          return agentOf(stateDir) !== undefined
        } catch {
          return false
        }
      }, 30_000)
      const pid = agentOf(stateDir)
      expect(pid).toBeDefined()
      await killAgentAfterTrouble(s, pid!, SPENT_BY_THE_AGENT_MS)
      const push = await runCli(['push', '--state-dir', stateDir, '--json'], { env, cwd: store.root })
      expect(push.code).toBe(0)
      expect(push.stderr).toMatch(/warning: nix-buildtime-cache: 1 path\(s\) could not be pushed; (the cache was given up on: the cache kept failing for 20 s in this job|first: .*gave up after \d+ attempts)/)
      expect((jsonResult(push.stdout).seconds as number) * 1000).toBeLessThan(LEFT_MS)
    } finally {
      killTree(script, 'SIGKILL')
      await s.stop()
      await store.cleanup()
    }
  })
})
