// A private HTTP cache behind a multi-user daemon: the daemon, not the job's Nix, fetches, so the
// credentials have to reach it: from the client where the user is trusted, through sudo where not.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { existsSync } from 'node:fs'
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeGraph, type Upstream, UPSTREAM_KEY_NAME } from './helpers/graph.js'
import { countBuilt, createTestStore, removeTree } from './helpers/nix-store.js'
import { startDaemon, testUser } from './helpers/daemon.js'
import { startNginx, type Nginx } from './helpers/nginx.js'
import { allOutput, startJob, warningLines, type StepResult } from './helpers/runner.js'
import { graphWorld, runGraphJob, topInstallable, type SigningKeys } from './helpers/scenario.js'

let dir: string
let upstream: Upstream
let keys: SigningKeys
let nginx: Nginx
let work: string
const password = 'pw-daemon-5e8a31c0f7'
let cache: string

beforeAll(async () => {
  ;({ dir, upstream, keys } = await graphWorld('e2e-private-daemon-'))
  const root = join(dir, 'www')
  await mkdir(root)
  nginx = await startNginx({ root, auth: { user: 'ci', password } })
  cache = nginx.url.replace('http://', `http://ci:${password}@`)
  const pusher = await createTestStore({ extraConfig: upstream.nixConfig })
  const pushed = await runGraphJob({ cache, keys, upstream, store: pusher, preexisting: false, inputs: { installables: await topInstallable(pusher) } })
  if (pushed.post.code !== 0) throw new Error(pushed.post.stdout)
  await pusher.cleanup()
  work = join(dir, 'work')
  await mkdir(work)
  await chmod(work, 0o755)
})
afterAll(async () => {
  await nginx?.stop()
  await removeTree(dir)
})

const daemonConfig = (trustedUsers: string): string[] => [
  `substituters = ${upstream.url}`,
  `trusted-public-keys = ${upstream.publicKey}`,
  `trusted-users = ${trustedUsers}`,
  'narinfo-cache-negative-ttl = 0'
]
/** Everything a step exposed, except the lines that register masks (they name the secret on purpose). */
const visible = (r: StepResult): string =>
  allOutput(r)
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n')
const inputs = (): Record<string, string> => ({ cache, 'public-keys': keys.public, 'skip-signed-by': UPSTREAM_KEY_NAME })

describe('a pull-only job on a multi-user daemon, from a cache that requires a password', () => {
  it('when trusted: the daemon pulls with the netrc file the job names', async () => {
    const user = await testUser('nbc-i11b-trusted')
    const daemon = await startDaemon({ config: daemonConfig(`root ${user.name}`) })
    try {
      const job = await startJob({ env: daemon.clientEnv(user.home), user, inputs: inputs() })
      const main = job.main as StepResult
      expect(warningLines(main.stdout)).toEqual([])
      expect(visible(main)).not.toContain(password)
      const build = await job.exec('nix-build', [await writeGraph(work, 'v1', 'trusted.nix'), '-A', 'top', '--no-out-link'])
      expect(build.code).toBe(0)
      expect(countBuilt(build.stderr)).toBe(0)
      expect((await job.post()).code).toBe(0)
    } finally {
      await daemon.stop()
    }
  })

  it('when untrusted with passwordless sudo: gives the daemon the credentials for the job only', async () => {
    const user = await testUser('nbc-i11b-sudoer')
    const sudoers = '/etc/sudoers.d/nbc-i11b-sudoer-test'
    await writeFile(sudoers, `${user.name} ALL=(ALL) NOPASSWD: ALL\n`, { mode: 0o440 })
    const daemon = await startDaemon({ config: daemonConfig('root') })
    try {
      const job = await startJob({ env: daemon.clientEnv(user.home), user, inputs: inputs() })
      const main = job.main as StepResult
      expect(warningLines(main.stdout)).toEqual([])
      const conf = join(daemon.confDir, 'nix.conf')
      const daemonNetrc = join(daemon.confDir, 'nix-buildtime-cache.netrc')
      expect(await readFile(conf, 'utf8')).toContain(`netrc-file = ${daemonNetrc}`)
      // No systemd here: the harness restarts the daemon as `systemctl restart nix-daemon` would.
      await daemon.restart()
      const build = await job.exec('nix-build', [await writeGraph(work, 'v1', 'sudo.nix'), '-A', 'top', '--no-out-link'])
      expect(build.code).toBe(0)
      expect(countBuilt(build.stderr)).toBe(0)

      const post = await job.post()
      expect(post.code).toBe(0)
      expect(existsSync(daemonNetrc)).toBe(false)
      const after = await readFile(conf, 'utf8')
      expect(after).not.toContain('netrc-file')
      // The trust lines stay (they only allow the cache); the credentials do not.
      expect(after).toContain('extra-trusted-substituters')
      for (const step of [main, post]) {
        expect(visible(step)).not.toContain(password)
      }
    } finally {
      await rm(sudoers, { force: true })
      await daemon.stop()
    }
  })
})
