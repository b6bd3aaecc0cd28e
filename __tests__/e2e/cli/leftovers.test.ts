import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { existsSync } from 'node:fs'
import { cp, mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { createTestStore, type TestStore } from '../../helpers/nix-store.js'
import { startFaultServer, type FaultServer } from '../../helpers/fault-server.js'
import { useGraphWorld } from '../../helpers/scenario.js'
import { CLI, jsonResult, runCli, tinyNix } from '../../helpers/cli.js'

// Outside GitHub no runner wipes a temp directory at the end of the job: the state directory
// outlives every job that uses it, so what a job leaves there stays (issue 20).
const world = useGraphWorld('e2e-cli-leftovers-')
let store: TestStore
let cache: FaultServer

beforeAll(async () => {
  store = await createTestStore()
  cache = await startFaultServer(join(world.dir, 'cache'))
})

afterAll(async () => {
  await cache.stop()
  await store.cleanup()
})

/** The netrc files (credentials) in the state directory's job directory. */
async function netrcFiles(stateDir: string): Promise<string[]> {
  const names = await readdir(join(stateDir, 'nix-buildtime-cache')).catch(() => [] as string[])
  return names.filter((n) => n.startsWith('netrc'))
}

/**
 * The CLI's bundle without `agent.js` next to it: no agent can start, so the job's Nix pulls from
 * the cache directly, with the credentials in a netrc file (issue 20: otherwise the agent's front
 * holds them).
 */
async function cliWithoutAgent(): Promise<string> {
  const dir = join(world.dir, 'cli-without-agent')
  await mkdir(dir, { recursive: true })
  await cp(join(dirname(CLI), 'cli.js'), join(dir, 'cli.js'))
  await cp(join(dirname(CLI), 'chunks'), join(dir, 'chunks'), { recursive: true })
  return join(dir, 'cli.js')
}

describe('the pull credentials of a command-line job', () => {
  it('stay with the agent that fronts the cache for Nix: no netrc file however often start runs', async () => {
    const stateDir = join(world.dir, 'state-fronted')
    await mkdir(stateDir)
    const url = cache.url.replace('http://', 'http://reader:s3cret@')
    const start = ['start', '--cache', url, '--no-push-during-build', '--state-dir', stateDir, '--json']
    for (let i = 0; i < 2; i++) {
      const r = await runCli(start, { env: store.env, cwd: store.root })
      expect(r.code).toBe(0)
      expect(r.stderr).not.toContain('s3cret')
      expect(r.stderr).toMatch(/Background agent \d+ fronts the cache for the job's Nix/)
    }
    expect(await netrcFiles(stateDir)).toEqual([])
    const push = await runCli(['push', '--state-dir', stateDir, '--json'], { env: store.env, cwd: store.root })
    expect(push.code).toBe(0)
  })

  it('are one 0600 netrc file however often start runs, and gone after push, where Nix pulls directly', async () => {
    const stateDir = join(world.dir, 'state-netrc')
    await mkdir(stateDir)
    // Credentials in the URL: without an agent, the job's Nix pulls with them through a netrc file.
    const url = cache.url.replace('http://', 'http://reader:s3cret@')
    const start = ['start', '--cache', url, '--no-push-during-build', '--state-dir', stateDir, '--json']
    const script = await cliWithoutAgent()
    for (let i = 0; i < 3; i++) {
      const r = await runCli(start, { env: store.env, cwd: store.root, script })
      expect(r.code).toBe(0)
      expect(r.stderr).not.toContain('s3cret')
      expect(r.stderr).toMatch(/^warning: .*The background agent could not start \(dist\/agent\.js was not found next to the entry point\); Nix pulls from the cache directly\.$/m)
    }
    const files = await netrcFiles(stateDir)
    expect(files).toEqual(['netrc'])
    const file = join(stateDir, 'nix-buildtime-cache', 'netrc')
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect(await readFile(file, 'utf8')).toContain('machine 127.0.0.1 login reader password s3cret')

    const push = await runCli(['push', '--state-dir', stateDir, '--json'], { env: store.env, cwd: store.root, script })
    expect(push.code).toBe(0)
    expect(await netrcFiles(stateDir)).toEqual([])
  })
})

describe('the spool of an upload that was killed', () => {
  it('is removed from the state directory by a later upload once nothing has written to it for an hour, as in a file:// cache', async () => {
    const stateDir = join(world.dir, 'state-spool')
    // What an agent killed mid-upload left: its spool directory, with half a compressed NAR.
    const old = join(stateDir, 'nix-buildtime-cache-spool-AbC123')
    const fresh = join(stateDir, 'nix-buildtime-cache-spool-XyZ789')
    for (const dir of [old, fresh]) {
      await mkdir(dir, { recursive: true })
      await writeFile(join(dir, '0123456789abcdef.spool'), 'half a NAR')
    }
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000)
    await utimes(join(old, '0123456789abcdef.spool'), twoHoursAgo, twoHoursAgo)
    await utimes(old, twoHoursAgo, twoHoursAgo)

    const r = await runCli(
      ['run', '--cache', cache.url, '--secret-key-file', world.keys.secretFile, '--no-push-during-build', '--state-dir', stateDir, '--json', '--', 'nix-build', await tinyNix(store.root, 'after-a-killed-upload'), '--no-out-link'],
      { env: store.env, cwd: store.root }
    )
    expect(r.code).toBe(0)
    expect(jsonResult(r.stdout)).toMatchObject({ status: 0, ok: true })
    expect((jsonResult(r.stdout).pushed as unknown[]).length).toBe(1)
    expect(existsSync(old)).toBe(false)
    // One that may still be in use (another upload's, written to within the hour) is left alone.
    expect(existsSync(fresh)).toBe(true)
    // Nor does the upload leave its own.
    const spools = (await readdir(stateDir)).filter((n) => n.startsWith('nix-buildtime-cache-spool-'))
    expect(spools).toEqual(['nix-buildtime-cache-spool-XyZ789'])
  })
})
