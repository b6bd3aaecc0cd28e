import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { createTestStore, type TestStore } from '../../helpers/nix-store.js'
import { startFaultServer, type FaultRule, type FaultServer } from '../../helpers/fault-server.js'
import { alive, killTree, runProcess, spawnTracked } from '../../helpers/proc.js'
import { node24 } from '../../helpers/runner.js'
import { useGraphWorld } from '../../helpers/scenario.js'
import { agentOf, CLI, jsonResult, runCli, tinyNix, until } from '../../helpers/cli.js'

// A dead cache may cost a whole job about two minutes, however the job is split into processes
// (runtime/budget.ts). Outside GitHub the job is `start`, its background agent and `push` (or one
// `run` and its agent): what the agent spent failing must count in push, which then gives up at
// once instead of failing for a budget of its own.
const world = useGraphWorld('e2e-cli-budget-')
let store: TestStore
let n = 0

/** Short limits: an idle attempt is abandoned after 1.5 s, a failing cache may cost the job 6 s. */
const BUDGET_MS = 6_000
const TIMEOUTS = JSON.stringify({ idleMs: 1_500, jobBudgetMs: BUDGET_MS, retryBaseDelayMs: 100, retryMaxDelayMs: 400 })

beforeAll(async () => {
  store = await createTestStore()
})

afterAll(async () => {
  await store.cleanup()
})

async function failingCache(...rules: FaultRule[]): Promise<FaultServer> {
  const s = await startFaultServer(join(world.dir, `cache-${++n}`))
  s.script(...rules)
  return s
}

const env = (): NodeJS.ProcessEnv => ({ ...store.env, NIX_BUILDTIME_CACHE_TEST_TIMEOUTS: TIMEOUTS })

/**
 * `start` and a build in a CI script that stays up, until the agent has spent the budget on the
 * failing cache and ended; then `push`, as the script's last command. Returns push and what the
 * cache saw of it.
 */
async function startBuildPush(cache: FaultServer, name: string): Promise<{ push: Awaited<ReturnType<typeof runCli>>; requestsInPush: number }> {
  const stateDir = join(world.dir, `state-${name}`)
  await mkdir(stateDir)
  const script = spawnTracked(
    'sh',
    ['-c', '"$NODE" "$CLI" start --cache "$CACHE" --secret-key-file "$KEY" --no-pull --state-dir "$STATE" --dotenv "$STATE/env" && nix-build "$A" --no-out-link && sleep 60'],
    { env: { ...env(), NODE: node24(), CLI, KEY: world.keys.secretFile, CACHE: cache.url, STATE: stateDir, A: await tinyNix(store.root, name) } }
  )
  try {
    await until(() => {
      try {
        return agentOf(stateDir) !== undefined
      } catch {
        return false
      }
    }, 30_000)
    const agent = agentOf(stateDir)!
    expect(agent).toBeDefined()
    // Its budget spent, the agent ends by itself: well within the budget, one idle timeout and a few rounds.
    await until(() => !alive(agent), BUDGET_MS + 30_000)
    expect(alive(agent)).toBe(false)
    const before = cache.log.length
    const push = await runCli(['push', '--state-dir', stateDir, '--json'], { env: env(), cwd: store.root })
    return { push, requestsInPush: cache.log.length - before }
  } finally {
    killTree(script, 'SIGKILL')
  }
}

describe('one cache budget for the whole command-line job', () => {
  it('push asks a cache nothing once start’s agent has spent the job’s budget on it, and says so at once', async () => {
    // The cache takes nix-cache-info, then never answers an upload: the agent spends the budget on the build's NAR.
    const cache = await failingCache({ method: 'PUT', path: /^\/nar\//, fault: { kind: 'hang' } })
    try {
      const { push, requestsInPush } = await startBuildPush(cache, 'spent-by-the-agent')
      expect(cache.count('PUT', /^\/nar\//)).toBeGreaterThan(0)
      expect(push.code).toBe(0)
      expect(push.stderr).toMatch(/warning: nix-buildtime-cache: the cache kept failing for 6\.0 s in this job/)
      // A fresh budget would have spent another 6 s failing on the same cache.
      expect(requestsInPush).toBe(0)
      expect(jsonResult(push.stdout).seconds).toBeLessThan(BUDGET_MS / 1000)
    } finally {
      await cache.stop()
    }
  })

  it('counts what the agent spent even when the cache failed before its first round', async () => {
    // Nothing answers, nix-cache-info included: the agent never gets to publish anything.
    const cache = await failingCache({ fault: { kind: 'hang' } })
    try {
      const { push, requestsInPush } = await startBuildPush(cache, 'spent-before-publishing')
      expect(cache.count('GET', /^\/nix-cache-info$/)).toBeGreaterThan(0)
      expect(push.code).toBe(0)
      expect(push.stderr).toMatch(/warning: nix-buildtime-cache: the cache kept failing for 6\.0 s in this job/)
      expect(requestsInPush).toBe(0)
      expect(jsonResult(push.stdout).seconds).toBeLessThan(BUDGET_MS / 1000)
    } finally {
      await cache.stop()
    }
  })

  it('run pushes within what its agent left of the budget', async () => {
    const cache = await failingCache({ method: 'PUT', path: /^\/nar\//, fault: { kind: 'hang' } })
    const stateDir = join(world.dir, 'state-run')
    try {
      // The command waits (at most a minute) until the agent has given up on the cache. (It may
      // still be on its way out then: run stops it, and it hands on its budget as it ends.) A
      // failed build, or a wait that runs out, fails the command.
      const command = 'nix-build "$A" --no-out-link || exit 1; i=0; until [ -n "$(ls "$STATE"/nix-buildtime-cache/agent-*/ended.txt 2>/dev/null)" ] || [ $i -ge 300 ]; do sleep 0.2; i=$((i+1)); done; [ $i -lt 300 ]'
      const r = await runProcess(
        node24(),
        [CLI, 'run', '--cache', cache.url, '--secret-key-file', world.keys.secretFile, '--no-pull', '--state-dir', stateDir, '--json', '--', 'sh', '-c', command],
        { env: { ...env(), STATE: stateDir, A: await tinyNix(store.root, 'spent-in-run') }, cwd: store.root, timeoutMs: 110_000 }
      )
      expect(r.code).toBe(0)
      expect(r.stderr).toMatch(/warning: nix-buildtime-cache: the cache kept failing for 6\.0 s in this job/)
      // Everything after the command took less than a budget of its own would have.
      expect(jsonResult(r.stdout).seconds).toBeLessThan(BUDGET_MS / 1000)
    } finally {
      await cache.stop()
    }
  })
})
