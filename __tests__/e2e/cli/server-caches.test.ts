import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { graphPaths, UPSTREAM_KEY_NAME, writeGraph } from '../../helpers/graph.js'
import { createTestStore } from '../../helpers/nix-store.js'
import { PUSH_WITH_PREEXISTING, generateKeys, rolesOf, topInstallable, useGraphWorld } from '../../helpers/scenario.js'
import { jsonResult, runCli } from '../../helpers/cli.js'
import { startAtticServer, type AtticServer } from '../../helpers/attic-server.js'
import { parseSecretKey } from '../../../src/format/signing.js'
import { AUTH_TOKEN_ENV } from '../../../src/cli/options.js'

// The command-line tool with an Attic server: the token from --auth-token-file or the variable.
const world = useGraphWorld('e2e-cli-servers-')
const TOKEN = 'cli-attic-token-94be0c'

describe('nix-buildtime-cache run with an Attic cache', () => {
  let server: AtticServer
  beforeAll(async () => {
    const key = parseSecretKey((await generateKeys(world.dir, 'cli-attic-1')).secret)
    server = await startAtticServer({ caches: { ci: { key, isPublic: true } }, tokens: { [TOKEN]: { ci: 'rw' } } })
  })
  afterAll(async () => {
    await server.stop()
  })

  it('pushes exactly the new build-time closure with the token from --auth-token-file, and never prints it', async () => {
    const store = await createTestStore({ extraConfig: world.upstream.nixConfig })
    const nixFile = await writeGraph(store.root, 'v1')
    const tokenFile = join(world.dir, 'attic-token')
    await writeFile(tokenFile, `${TOKEN}\n`, { mode: 0o600 })
    const args = ['run', '--cache', server.uri('ci'), '--skip-signed-by', UPSTREAM_KEY_NAME, '--installables', await topInstallable(store), '--auth-token-file', tokenFile, '--json', '--no-push-during-build']
    const r = await runCli([...args, '--', 'nix-build', nixFile, '-A', 'job', '--no-out-link'], { env: store.env, cwd: store.root })
    expect(r.code).toBe(0)
    const paths = await graphPaths(nixFile, store)
    const pushed = (jsonResult(r.stdout).pushed as Array<{ path: string }>).map((p) => p.path)
    expect(rolesOf(pushed, paths)).toEqual([...PUSH_WITH_PREEXISTING])
    expect(rolesOf(server.uploads.get('ci')!, paths)).toEqual([...PUSH_WITH_PREEXISTING])
    expect(`${r.stdout}\n${r.stderr}`).not.toContain(TOKEN)
    await store.cleanup()
  })

  it('only pulls without a token, and says that the token is what is missing', async () => {
    const store = await createTestStore({ extraConfig: world.upstream.nixConfig })
    const nixFile = await writeGraph(store.root, 'v1')
    const before = server.uploads.get('ci')!.length
    const r = await runCli(['run', '--cache', server.uri('ci'), '--', 'nix-build', nixFile, '-A', 'job', '--no-out-link'], { env: { ...store.env, [AUTH_TOKEN_ENV]: '' }, cwd: store.root })
    expect(r.code).toBe(0)
    expect(r.stderr).toMatch(/pushed nothing \(no auth token: pull-only\)/)
    expect(server.uploads.get('ci')!.length).toBe(before)
    await store.cleanup()
  })
})
