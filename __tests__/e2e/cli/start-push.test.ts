import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { graphPaths, UPSTREAM_KEY_NAME, writeGraph } from '../../helpers/graph.js'
import { createTestStore, type TestStore } from '../../helpers/nix-store.js'
import { runProcess } from '../../helpers/proc.js'
import { EXPECTED_PUSH, rolesOf, topInstallable, useGraphWorld } from '../../helpers/scenario.js'
import { jsonResult, runCli, WORKFLOW_COMMAND } from '../../helpers/cli.js'

// A CI system with separate before and after scripts: `start`, the build, then `push`.
const world = useGraphWorld('e2e-cli-split-')
let store: TestStore

beforeAll(async () => {
  store = await createTestStore({ extraConfig: world.upstream.nixConfig })
})

afterAll(async () => {
  await store.cleanup()
})

/** What `sh` makes of a file of shell lines: the NIX_CONFIG a later script's commands see. */
async function nixConfigAfterSourcing(file: string, how: string): Promise<string> {
  const r = await runProcess('sh', ['-c', `${how} "$1"; printf '%s' "$NIX_CONFIG"`, 'sh', file], { env: { PATH: store.env.PATH } })
  if (r.code !== 0) throw new Error(r.stderr)
  return r.stdout
}

describe('nix-buildtime-cache start and push', () => {
  it('snapshots in start, configures later commands through a dotenv file, and pushes the exact set in push', async () => {
    const cacheDir = join(world.dir, 'cache-split')
    const stateDir = join(world.dir, 'state')
    const dotenvFile = join(world.dir, 'nix-cache.env')
    const nixFile = await writeGraph(store.root, 'v1')
    await store.build(nixFile, 'preexisting')
    const top = await topInstallable(store)
    const start = await runCli(
      ['start', '--cache', `file://${cacheDir}`, '--skip-signed-by', UPSTREAM_KEY_NAME, '--secret-key-file', world.keys.secretFile, '--state-dir', stateDir, '--dotenv', dotenvFile],
      { env: store.env, cwd: store.root }
    )
    expect(start.code).toBe(0)
    expect(start.stdout).toBe('')
    const nixConfig = await nixConfigAfterSourcing(dotenvFile, 'set -a; .')
    expect(nixConfig).toContain(`extra-substituters = file://${cacheDir}`)
    expect(nixConfig).toContain(`store = ${store.storeRoot}`)

    // The build step, in a shell of its own, with the dotenv's settings.
    await store.runOk('nix-build', [nixFile, '-A', 'job', '--no-out-link'], { env: { NIX_CONFIG: nixConfig } })

    // push takes start's options; it adds the installables.
    const push = await runCli(['push', '--state-dir', stateDir, '--installables', top, '--json'], { env: store.env, cwd: store.root })
    expect(push.code).toBe(0)
    const result = jsonResult(push.stdout)
    expect(result).toMatchObject({ status: 0, mode: 'push', ok: true, cache: `file://${cacheDir}` })
    const pushed = (result.pushed as Array<{ path: string }>).map((p) => p.path)
    expect(rolesOf(pushed, await graphPaths(nixFile, store))).toEqual([...EXPECTED_PUSH].sort())

    const secret = world.keys.secret.slice(world.keys.secret.indexOf(':') + 1)
    for (const text of [start.stdout, start.stderr, push.stdout, push.stderr, await readFile(dotenvFile, 'utf8')]) {
      expect(text).not.toContain(secret)
      expect(text).not.toMatch(WORKFLOW_COMMAND)
    }

    // The snapshot and start's options are used up: a second push has nothing to compare with, and says so.
    const again = await runCli(['push', '--state-dir', stateDir, '--cache', `file://${cacheDir}`], { env: store.env, cwd: store.root })
    expect(again.code).toBe(0)
    expect(again.stderr).toMatch(/^warning: nix-buildtime-cache: no snapshot in .*run `nix-buildtime-cache start` first/m)
    const strict = await runCli(['push', '--state-dir', stateDir, '--cache', `file://${cacheDir}`, '--strict'], { env: store.env, cwd: store.root })
    expect(strict.code).toBe(1)
  })

  it('prints export lines for eval, kept in a state dir per working directory by default', async () => {
    const cacheDir = join(world.dir, 'cache-eval')
    const outFile = join(world.dir, 'start.sh')
    const start = await runCli(['start', '--cache', `file://${cacheDir}`, '--public-keys', world.keys.public], { env: store.env, cwd: store.root })
    expect(start.code).toBe(0)
    expect(start.stdout).toMatch(/^export NIX_CONFIG='/)
    await runProcess('sh', ['-c', 'cat > "$1"', 'sh', outFile], { env: { PATH: store.env.PATH }, input: start.stdout })
    const nixConfig = await nixConfigAfterSourcing(outFile, '.')
    expect(nixConfig).toContain(`extra-substituters = file://${cacheDir}`)
    expect(nixConfig).toContain(`extra-trusted-public-keys = ${world.keys.public}`)
    const nixFile = await writeGraph(store.root, 'v5', 'graph-v5.nix')
    await store.runOk('nix-build', [nixFile, '-A', 'top', '--no-out-link'], { env: { NIX_CONFIG: nixConfig } })

    // Same working directory, no --state-dir: push finds start's snapshot (and its options).
    const push = await runCli(['push', '--json'], { env: store.env, cwd: store.root })
    expect(push.code).toBe(0)
    // No key: pull-only, as on a merge request.
    expect(jsonResult(push.stdout)).toMatchObject({ mode: 'pull-only', cache: `file://${cacheDir}` })
    // Another working directory has a state of its own.
    const elsewhere = await runCli(['push', '--cache', `file://${cacheDir}`], { env: store.env, cwd: world.dir })
    expect(elsewhere.stderr).toMatch(/no snapshot in/)
  })
})
