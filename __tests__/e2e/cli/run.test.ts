import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { spawn } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { graphPaths, UPSTREAM_KEY_NAME, writeGraph, type GraphPaths } from '../../helpers/graph.js'
import { createTestStore, type TestStore } from '../../helpers/nix-store.js'
import type { ProcResult } from '../../helpers/proc.js'
import { consumerBuild, EXPECTED_PUSH, rolesOf, topInstallable, useGraphWorld } from '../../helpers/scenario.js'
import { CLI, jsonResult, runCli, WORKFLOW_COMMAND } from '../../helpers/cli.js'
import { node24 } from '../../helpers/runner.js'
import { SKIP_REASONS } from '../../../src/plan/selection.js'
import { SECRET_KEY_ENV } from '../../../src/cli/options.js'

// `nix-buildtime-cache run` end to end: real Nix, a file:// cache, no GitHub variables.
const world = useGraphWorld('e2e-cli-run-')
let cacheDir: string
let store: TestStore
let nixFile: string
let paths: GraphPaths
let warm: ProcResult
let job: ProcResult
let summaryFile: string
let stateDir: string

const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ ...store.env, [SECRET_KEY_ENV]: world.keys.secret, ...extra })
const cacheArgs = (): string[] => ['--cache', `file://${cacheDir}`, '--skip-signed-by', UPSTREAM_KEY_NAME]
const run = (args: readonly string[], command: readonly string[], extraEnv?: NodeJS.ProcessEnv): Promise<ProcResult> =>
  runCli(['run', ...cacheArgs(), ...args, '--', ...command], { env: env(extraEnv), cwd: store.root })

beforeAll(async () => {
  cacheDir = join(world.dir, 'cache')
  summaryFile = join(world.dir, 'summary.md')
  store = await createTestStore({ extraConfig: world.upstream.nixConfig })
  stateDir = join(store.home, '.local', 'state', 'nix-buildtime-cache')
  nixFile = await writeGraph(store.root, 'v1')
  // An earlier run built and pushed `preexisting`, so it is in the store when the job starts.
  warm = await run([], ['nix-build', nixFile, '-A', 'preexisting', '--no-out-link'])
  if (warm.code !== 0) throw new Error(`warm-up run failed:\n${warm.stderr}`)
  const top = await topInstallable(store)
  job = await run(['--installables', top, '--summary', summaryFile, '--json'], ['nix-build', nixFile, '-A', 'job', '--no-out-link'])
  paths = await graphPaths(nixFile, store)
})

afterAll(async () => {
  await store?.cleanup()
})

describe('nix-buildtime-cache run', () => {
  it('runs the command, then pushes exactly its new build-time closure, minus upstream and pre-existing paths', async () => {
    expect(job.code).toBe(0)
    const result = jsonResult(job.stdout)
    const pushed = (result.pushed as Array<{ path: string }>).map((p) => p.path)
    expect(rolesOf(pushed, paths)).toEqual([...EXPECTED_PUSH].sort())
    const narinfos = (await readdir(cacheDir)).filter((f) => f.endsWith('.narinfo'))
    expect(narinfos).toHaveLength(EXPECTED_PUSH.length + 1) // plus the warm-up's preexisting
    // The command's own output comes first on stdout: nix-build's out paths.
    expect(job.stdout).toContain(paths.top)
  })

  it('prints a JSON result as the last line of stdout with --json', () => {
    const result = jsonResult(job.stdout)
    expect(result).toMatchObject({ status: 0, commandStatus: 0, cache: `file://${cacheDir}`, mode: 'push', ok: true, failed: [], vanished: [] })
    expect(Object.keys(result.skipped as object).sort()).toEqual([...SKIP_REASONS].sort())
    expect((result.skipped as Record<string, string[]>)['upstream-signed']?.sort()).toEqual([paths.upstream, paths.upstreamLib].sort())
    expect(result.outputs).toMatchObject({ 'pushed-count': EXPECTED_PUSH.length, 'skipped-count': expect.any(Number) })
    expect(typeof result.seconds).toBe('number')
    const pushed = result.pushed as Array<{ path: string; narSize: number; fileSize: number }>
    expect(pushed.every((p) => p.narSize > 0 && p.fileSize > 0)).toBe(true)
  })

  it('reports on stderr what it pushed, what not and why, the bytes and the time, and writes the summary to --summary', async () => {
    expect(job.stderr).toMatch(/pushed 6 paths \([\d.]+ \w*B compressed, [\d.]+ \w*B NAR\) to file:\/\/\S+ in \d+\.\d s\./)
    expect(job.stderr).toMatch(/not pushed: pre-existing \d+, upstream-signed 2, outside-closure \d+/)
    const summary = await readFile(summaryFile, 'utf8')
    expect(summary).toContain('## Nix build-time cache')
    expect(summary).toMatch(/\| upstream-signed \| 2 \|/)
  })

  it('lets a fresh store rebuild a changed top-level derivation by building exactly one derivation', async () => {
    const consumer = await consumerBuild({
      substituters: [`file://${cacheDir}`, world.upstream.url],
      trustedKeys: [world.keys.public, world.upstream.publicKey],
      variant: 'v2'
    })
    expect(consumer.built).toBe(1)
    await consumer.store.cleanup()
  })

  it('exits with the command exit status, and still pushes', async () => {
    const failing = await run(['--json'], ['sh', '-c', `nix-build ${nixFile} -A unrelated --no-out-link && exit 3`])
    expect(failing.code).toBe(3)
    expect(jsonResult(failing.stdout)).toMatchObject({ status: 3, commandStatus: 3, mode: 'push', ok: true })
    const missing = await run([], ['no-such-command-anywhere'])
    expect(missing.code).toBe(127)
    expect(missing.stderr).toMatch(/cannot run no-such-command-anywhere/)
  })

  it('gives the command Nix settings that pull from the cache, and never the secret key', async () => {
    const r = await run([], ['sh', '-c', `printf '%s\\n' "$NIX_CONFIG"; echo "key:\${${SECRET_KEY_ENV}:-absent}"`])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`extra-substituters = file://${cacheDir}`)
    expect(r.stdout).toContain(`extra-trusted-public-keys = ${world.keys.public}`)
    expect(r.stdout).toContain('key:absent')
    // The user's own settings are kept: the store is still the test's.
    expect(r.stdout).toContain(`store = ${store.storeRoot}`)
  })

  it('turns push trouble into a warning that leaves the status alone, and into exit 1 with --strict', async () => {
    // The command leaves the cache claiming another store dir, so the push (only) is refused.
    const trouble = async (variant: string, strict: string[]): Promise<ProcResult> => {
      const dir = join(world.dir, `cache-${variant}`)
      const file = await writeGraph(store.root, variant, `graph-${variant}.nix`)
      const script = `nix-build ${file} -A top --no-out-link && printf 'StoreDir: /elsewhere\\n' > ${dir}/nix-cache-info`
      return runCli(['run', '--cache', `file://${dir}`, ...strict, '--', 'sh', '-c', script], { env: env(), cwd: store.root })
    }
    const lenient = await trouble('v3', [])
    expect(lenient.code).toBe(0)
    expect(lenient.stderr).toMatch(/^warning: nix-buildtime-cache: .*is a cache for \/elsewhere/m)
    const strict = await trouble('v4', ['--strict'])
    expect(strict.code).toBe(1)
    expect(strict.stderr).toMatch(/^error: nix-buildtime-cache: .*is a cache for \/elsewhere/m)
  })

  it('hands a stop signal to the command, exits with its status, and pushes what it built', async () => {
    const file = await writeGraph(store.root, 'v6', 'graph-v6.nix')
    const script = `nix-build ${file} -A top --no-out-link >/dev/null && trap 'echo got-term; exit 7' TERM && echo ready && while :; do sleep 0.1; done`
    const args = ['run', ...cacheArgs(), '--json', '--', 'sh', '-c', script]
    const child = spawn(node24(), [CLI, ...args], { env: env(), cwd: store.root, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (b: Buffer) => {
        stdout += b.toString()
        if (stdout.includes('ready')) resolve()
      })
    )
    // Only nix-buildtime-cache gets the signal, as from a CI system stopping the job's process.
    child.kill('SIGTERM')
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)))
    expect(stdout).toContain('got-term')
    expect(code).toBe(7)
    const result = jsonResult(stdout)
    expect(result).toMatchObject({ status: 7, commandStatus: 7, mode: 'push' })
    expect((result.pushed as Array<{ path: string }>).length).toBeGreaterThan(0)
    expect(stderr).toMatch(/nix-buildtime-cache: pushed \d+ paths? /)
  })

  it('never prints the secret key, writes no workflow commands, and keeps the key out of its state', async () => {
    const base64 = world.keys.secret.slice(world.keys.secret.indexOf(':') + 1)
    const files = await readdir(stateDir, { recursive: true })
    const stateText = (await Promise.all(files.map((f) => readFile(join(stateDir, f), 'utf8').catch(() => '')))).join('\n')
    for (const text of [warm.stdout, warm.stderr, job.stdout, job.stderr, await readFile(summaryFile, 'utf8'), stateText]) {
      expect(text).not.toContain(base64)
      expect(text).not.toMatch(WORKFLOW_COMMAND)
    }
  })
})
