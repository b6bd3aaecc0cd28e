import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { createTestStore, type TestStore } from '../../helpers/nix-store.js'
import { alive, killTree, runProcess, sleep, spawnTracked } from '../../helpers/proc.js'
import { node24 } from '../../helpers/runner.js'
import { useGraphWorld } from '../../helpers/scenario.js'
import { narinfos } from '../../helpers/cache-check.js'
import { agentOf, CLI, jsonResult, tinyNix, until } from '../../helpers/cli.js'
import { hashPart } from '../../../src/format/store-path.js'

// Outside GitHub no runner ends a job's processes. The agent that `start` leaves behind must end
// with the script that ran `start`, and must never work for a later job.
const world = useGraphWorld('e2e-cli-agent-')
let store: TestStore

beforeAll(async () => {
  store = await createTestStore()
})

afterAll(async () => {
  await store.cleanup()
})

/** A CI script in a shell of its own (its own process group, as a CI system runs one): $CLI is the tool. */
function script(text: string, extraEnv: NodeJS.ProcessEnv = {}): [string, string[], { env: NodeJS.ProcessEnv }] {
  return ['sh', ['-c', text], { env: { ...store.env, NODE: node24(), CLI, KEY: world.keys.secretFile, ...extraEnv } }]
}

describe('the command-line tool’s background agent', () => {
  it('stops once the script that ran start has ended, push or not, and publishes nothing built later', async () => {
    const cacheDir = join(world.dir, 'cache-ended')
    const stateDir = join(world.dir, 'state-ended')
    const during = await tinyNix(store.root, 'built-during-the-script')
    const later = await tinyNix(store.root, 'built-after-the-script')
    const r = await runProcess(
      ...script('"$NODE" "$CLI" start --cache "file://$CACHE" --secret-key-file "$KEY" --state-dir "$STATE" --dotenv "$STATE/env" && nix-build "$A" --no-out-link && sleep 3', {
        CACHE: cacheDir,
        STATE: stateDir,
        A: during
      })
    )
    expect(r.code).toBe(0)
    const built = r.stdout.trim().split('\n').pop()!
    const pid = agentOf(stateDir)!
    expect(pid).toBeDefined()
    // It worked while the script ran…
    expect(await narinfos(cacheDir)).toContain(hashPart(built))
    // …and stops after it, although no push came.
    await until(() => !alive(pid), 5_000)
    expect(alive(pid)).toBe(false)
    const afterwards = (await store.runOk('nix-build', [later, '--no-out-link'])).stdout.trim()
    await sleep(2_500)
    expect(await narinfos(cacheDir)).not.toContain(hashPart(afterwards))

    // A push after all says why the agent is gone, and pushes what it did not.
    const push = await runProcess(node24(), [CLI, 'push', '--state-dir', stateDir, '--json'], { env: store.env })
    expect(push.code).toBe(0)
    expect(push.stderr).toContain('the script that started it has ended')
    expect(await narinfos(cacheDir)).toContain(hashPart(afterwards))
  })

  it('stops once the script that ran start has ended, also when that script’s shell does not lead its process group', async () => {
    const cacheDir = join(world.dir, 'cache-not-leader')
    const stateDir = join(world.dir, 'state-not-leader')
    const done = join(world.dir, 'not-leader-done')
    // The outer shell leads the group (as a CI system's runner process may) and lives on after
    // the script, the inner shell, has ended; start is run through a wrapper, as with eval "$(npx …)".
    const inner = 'eval "$(sh -c \'"$NODE" "$CLI" start --cache "file://$CACHE" --secret-key-file "$KEY" --state-dir "$STATE"\')" && nix-build "$A" --no-out-link && sleep 3; touch "$DONE"'
    const outer = spawnTracked(
      ...script('sh -c "$INNER"; sleep 60', {
        CACHE: cacheDir,
        STATE: stateDir,
        A: await tinyNix(store.root, 'built-by-a-script-that-does-not-lead'),
        DONE: done,
        INNER: inner
      })
    )
    try {
      await until(() => existsSync(done), 60_000)
      expect(existsSync(done)).toBe(true)
      const pid = agentOf(stateDir)!
      expect(pid).toBeDefined()
      // It published while the script ran, then ended with it, though the group's leader runs on.
      expect((await narinfos(cacheDir)).size).toBe(1)
      await until(() => !alive(pid), 5_000)
      expect(alive(pid)).toBe(false)
      expect(outer.exitCode).toBeNull()
    } finally {
      killTree(outer, 'SIGKILL')
    }
  })

  it('never shares an earlier job’s agent: a later start stops it, and push counts only its own job', async () => {
    const cacheDir = join(world.dir, 'cache-shared')
    const stateDir = join(world.dir, 'state-shared')
    const first = await tinyNix(store.root, 'built-by-the-first-job')
    const second = await tinyNix(store.root, 'built-by-the-second-job')
    // The first job's script is still running (or hung) when the second job starts on the same
    // machine, in the same directory, with the same cache.
    spawnTracked(
      ...script('"$NODE" "$CLI" start --cache "file://$CACHE" --secret-key-file "$KEY" --state-dir "$STATE" --dotenv "$STATE/env" && nix-build "$A" --no-out-link && sleep 60', {
        CACHE: cacheDir,
        STATE: stateDir,
        A: first
      })
    )
    await until(async () => (await narinfos(cacheDir)).size > 0, 20_000)
    expect((await narinfos(cacheDir)).size).toBe(1)
    const earlier = agentOf(stateDir)!
    expect(alive(earlier)).toBe(true)

    const r = await runProcess(
      ...script(
        '"$NODE" "$CLI" start --cache "file://$CACHE" --secret-key-file "$KEY" --state-dir "$STATE" --dotenv "$STATE/env" && nix-build "$B" --no-out-link >/dev/null && sleep 3 && "$NODE" "$CLI" push --state-dir "$STATE" --json',
        { CACHE: cacheDir, STATE: stateDir, B: second }
      )
    )
    expect(r.code).toBe(0)
    expect(alive(earlier)).toBe(false)
    expect(r.stderr).toMatch(/Stopped background agent \d+, left by an earlier job that did not push/)
    const result = jsonResult(r.stdout)
    const pushed = (result.pushed as Array<{ path: string }>).map((p) => p.path)
    expect(pushed).toHaveLength(1)
    expect(pushed[0]).toMatch(/-built-by-the-second-job$/)
    // Its own agent published it during the script.
    expect(r.stderr).toMatch(/1 path.* during the build/)
    expect(r.stderr).toMatch(/published 1 path\(s\) during the build\./)
  })
})
