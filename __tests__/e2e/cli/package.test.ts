import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { graphPaths, UPSTREAM_KEY_NAME, writeGraph } from '../../helpers/graph.js'
import { createTestStore, removeTree, SYSTEM_PATH } from '../../helpers/nix-store.js'
import { runProcess } from '../../helpers/proc.js'
import { node24, REPO_ROOT } from '../../helpers/runner.js'
import { PUSH_WITH_PREEXISTING, rolesOf, topInstallable, useGraphWorld } from '../../helpers/scenario.js'
import { assertNoRunnerEnv, jsonResult } from '../../helpers/cli.js'
import { SECRET_KEY_ENV } from '../../../src/cli/options.js'

// The package as users get it: `npm pack`, then `npm install` of the tarball into an empty
// directory, and the `nix-buildtime-cache` bin run from there (dist/ must be built).
const world = useGraphWorld('e2e-cli-package-')
let installDir: string
let packed: string[]

beforeAll(async () => {
  // --ignore-scripts: prepack would rebuild dist/ under the other test files' feet.
  const pack = await runProcess('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', world.dir], { env: process.env, cwd: REPO_ROOT })
  if (pack.code !== 0) throw new Error(`npm pack failed:\n${pack.stderr}`)
  const [info] = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>
  if (!info) throw new Error('npm pack printed no package')
  packed = info.files.map((f) => f.path)
  installDir = await mkdtemp(join(tmpdir(), 'cli-install-'))
  const install = await runProcess('npm', ['install', '--no-audit', '--no-fund', join(world.dir, info.filename)], { env: process.env, cwd: installDir })
  if (install.code !== 0) throw new Error(`npm install failed:\n${install.stderr}`)
})

afterAll(async () => {
  if (installDir) await removeTree(installDir)
})

describe('the npm package', () => {
  it('holds what the command needs (its bundle, the agent, their shared chunks) and its documents, and nothing else', () => {
    expect(packed).toEqual(expect.arrayContaining(['dist/cli.js', 'dist/agent.js', 'README.md', 'CHANGELOG.md', 'LICENSE', 'package.json']))
    expect(packed.filter((p) => p.startsWith('dist/chunks/')).length).toBeGreaterThan(0)
    // The action is used from its git tag: its entry points and action.yml are not the command's.
    const extra = packed.filter((p) => !/^(dist\/(cli|agent)\.js|dist\/chunks\/[^/]+\.js|README\.md|CHANGELOG\.md|LICENSE|package\.json)$/.test(p))
    expect(extra).toEqual([])
    for (const dir of ['src/', '__tests__/', 'node_modules/', 'bench/', 'scripts/', 'docs/', '.github/', '.ci/']) {
      expect(packed.filter((p) => p.startsWith(dir))).toEqual([])
    }
  })

  it('names the repository, its home page and where to report bugs', async () => {
    const meta = JSON.parse(await readFile(join(installDir, 'node_modules', 'nix-buildtime-cache', 'package.json'), 'utf8')) as Record<string, unknown>
    expect(meta.repository).toEqual({ type: 'git', url: 'git+https://github.com/nix-buildtime-cache/nix-buildtime-cache.git' })
    expect(meta.homepage).toBe('https://github.com/nix-buildtime-cache/nix-buildtime-cache#readme')
    expect(meta.bugs).toEqual({ url: 'https://github.com/nix-buildtime-cache/nix-buildtime-cache/issues' })
    expect(meta.dependencies).toBeUndefined()
  })

  it('installs a nix-buildtime-cache command that pushes a build, run from the install directory', async () => {
    const bin = join(installDir, 'node_modules', '.bin', 'nix-buildtime-cache')
    // The bin's `#!/usr/bin/env node` finds Node 24 first on PATH.
    const path = `${dirname(node24())}:${SYSTEM_PATH}`
    const help = await runProcess(bin, ['--help'], { env: { PATH: path, HOME: installDir }, cwd: installDir })
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('nix-buildtime-cache run [options] -- COMMAND')

    const store = await createTestStore({ extraConfig: world.upstream.nixConfig })
    const nixFile = await writeGraph(store.root, 'v1')
    const cacheDir = join(world.dir, 'cache')
    const env = { ...store.env, PATH: `${dirname(node24())}:${store.env.PATH}`, [SECRET_KEY_ENV]: world.keys.secret }
    assertNoRunnerEnv(env)
    const args = ['run', '--cache', `file://${cacheDir}`, '--skip-signed-by', UPSTREAM_KEY_NAME, '--installables', await topInstallable(store), '--json']
    const r = await runProcess(bin, [...args, '--', 'nix-build', nixFile, '-A', 'top', '--no-out-link'], { env, cwd: installDir, timeoutMs: 110_000 })
    expect(r.code).toBe(0)
    const pushed = (jsonResult(r.stdout).pushed as Array<{ path: string }>).map((p) => p.path)
    // Nothing was in the store before, so preexisting is new here too.
    expect(rolesOf(pushed, await graphPaths(nixFile, store))).toEqual(PUSH_WITH_PREEXISTING)
    await store.cleanup()
  })
})
