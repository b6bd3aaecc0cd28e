import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdir, readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { createTestStore, type TestStore } from '../../helpers/nix-store.js'
import { startFaultServer, type FaultServer } from '../../helpers/fault-server.js'
import { useGraphWorld } from '../../helpers/scenario.js'
import { runCli } from '../../helpers/cli.js'

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

describe('the pull credentials of a command-line job', () => {
  it('are one 0600 netrc file however often start runs, and gone after push', async () => {
    const stateDir = join(world.dir, 'state-netrc')
    await mkdir(stateDir)
    // Credentials in the URL: the job's Nix pulls with them through a netrc file.
    const url = cache.url.replace('http://', 'http://reader:s3cret@')
    const start = ['start', '--cache', url, '--no-push-during-build', '--state-dir', stateDir, '--json']
    for (let i = 0; i < 3; i++) {
      const r = await runCli(start, { env: store.env, cwd: store.root })
      expect(r.code).toBe(0)
      expect(r.stderr).not.toContain('s3cret')
    }
    const files = await netrcFiles(stateDir)
    expect(files).toEqual(['netrc'])
    const file = join(stateDir, 'nix-buildtime-cache', 'netrc')
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect(await readFile(file, 'utf8')).toContain('machine 127.0.0.1 login reader password s3cret')

    const push = await runCli(['push', '--state-dir', stateDir, '--json'], { env: store.env, cwd: store.root })
    expect(push.code).toBe(0)
    expect(await netrcFiles(stateDir)).toEqual([])
  })
})
