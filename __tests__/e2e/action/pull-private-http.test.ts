import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { existsSync } from 'node:fs'
import { chmod, chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeGraph, UPSTREAM_KEY_NAME } from '../../helpers/graph.js'
import { countBuilt, createTestStore, substitutedPaths } from '../../helpers/nix-store.js'
import { startDaemon, testUser } from '../../helpers/daemon.js'
import { describeAsRoot } from '../../helpers/requires.js'
import { startNginx, type Nginx } from '../../helpers/nginx.js'
import { allOutput, startJob, warningLines, type StepResult } from '../../helpers/runner.js'
import { topJob, useGraphWorld, type JobRun } from '../../helpers/scenario.js'

// A private HTTP cache: nginx answers every request, GETs included, only with basic auth. The
// credentials are given the way users often write them, in the cache URL.
const world = useGraphWorld('e2e-private-http-')
let nginx: Nginx
const password = 'pw-7c1e0b9d42-private'
let cacheWithCredentials: string
let pushRun: JobRun
let work: string

// Its hooks are a describe block's, not the file's: jest runs a file's own afterAll hooks after
// useGraphWorld's, which removes the world, nginx's root included.
describe('a cache behind nginx with basic auth', () => {
  beforeAll(async () => {
    const root = join(world.dir, 'www')
    await mkdir(root)
    nginx = await startNginx({ root, auth: { user: 'ci', password } })
    cacheWithCredentials = nginx.url.replace('http://', `http://ci:${password}@`)
    pushRun = await topJob(world, cacheWithCredentials, { preexisting: false })
    await pushRun.store.cleanup()
    work = join(world.dir, 'work')
    await mkdir(work)
    await chmod(work, 0o755)
  })
  afterAll(async () => {
    await nginx?.stop()
  })

  /** Everything a step exposed, except the lines that register masks (they name the secret on purpose). */
  const visible = (r: StepResult): string =>
    allOutput(r)
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::'))
      .join('\n')

  describe('a private HTTP cache with credentials in its URL', () => {
    it('is pushed to, and a pull-only job substitutes from it without building anything', async () => {
      expect(pushRun.post.code).toBe(0)
      expect(pushRun.pushed.length).toBeGreaterThan(0)

      // A pull request from a fork: no secret key, only the public key.
      const store = await createTestStore({ extraConfig: world.upstream.nixConfig })
      const job = await startJob({ env: store.env, inputs: { cache: cacheWithCredentials, 'public-keys': world.keys.public } })
      try {
        const main = job.main as StepResult
        expect(main.code).toBe(0)
        // Nix pulls through the agent's front (issue 20), which holds the credentials: Nix gets
        // none, neither in NIX_CONFIG nor in a netrc file, and trusts the paths by the cache's key.
        const nixConfig = job.exports.NIX_CONFIG ?? ''
        const front = /^extra-substituters = (http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32})$/m.exec(nixConfig)?.[1]
        expect(front).toBeDefined()
        expect(nixConfig).not.toContain(nginx.url)
        expect(nixConfig).not.toMatch(/^netrc-file = /m)
        expect(nixConfig).not.toContain('trusted=1')

        const build = await job.exec('nix-build', [await writeGraph(store.root, 'v1'), '-A', 'top', '--no-out-link'])
        expect(build.code).toBe(0)
        expect(countBuilt(build.stderr)).toBe(0)
        expect(substitutedPaths(build.stderr).some((s) => s.from.startsWith(front!))).toBe(true)

        const post = await job.post()
        expect(post.code).toBe(0)

        // Never shown, exported or written to state, by either job, in any step.
        for (const step of [pushRun.main, pushRun.post, main, post]) {
          expect(visible(step)).not.toContain(password)
          expect(visible(step)).not.toContain(`ci:${password.slice(0, 6)}`)
        }
        expect(main.masks).toContain(password)
      } finally {
        await job.cleanup()
        await store.cleanup()
      }
    })
    it('pulls with the netrc-file input too, and leaves the netrc Nix was configured with as it was', async () => {
      const userNetrc = join(world.dir, 'user-netrc')
      await writeFile(userNetrc, `machine 127.0.0.1 login ci password ${password}\n`, { mode: 0o600 })
      const nixNetrc = join(world.dir, 'nix-netrc')
      await writeFile(nixNetrc, 'machine other.example login someone password kept\n', { mode: 0o600 })
      const store = await createTestStore({ extraConfig: [...world.upstream.nixConfig, `netrc-file = ${nixNetrc}`] })
      const job = await startJob({ env: store.env, inputs: { cache: nginx.url, 'public-keys': world.keys.public, 'netrc-file': userNetrc } })
      try {
        // The agent's front reads the cache with the input's credentials; Nix keeps its own netrc-file.
        expect([...(job.exports.NIX_CONFIG ?? '').matchAll(/^netrc-file = (.*)$/gm)].map((m) => m[1])).toEqual([nixNetrc])
        expect(await readFile(nixNetrc, 'utf8')).toBe('machine other.example login someone password kept\n')
        const build = await job.exec('nix-build', [await writeGraph(store.root, 'v1'), '-A', 'top', '--no-out-link'])
        expect(build.code).toBe(0)
        expect(countBuilt(build.stderr)).toBe(0)
        expect((await job.post()).code).toBe(0)
      } finally {
        await job.cleanup()
        await store.cleanup()
      }
    })
  })

  // The daemon, not the job's Nix, fetches here, so the credentials have to reach it: from the client
  // where the user is trusted, through sudo where not.
  const daemonConfig = (trustedUsers: string): string[] => [
    `substituters = ${world.upstream.url}`,
    `trusted-public-keys = ${world.upstream.publicKey}`,
    `trusted-users = ${trustedUsers}`,
    'narinfo-cache-negative-ttl = 0'
  ]
  const inputs = (): Record<string, string> => ({ cache: cacheWithCredentials, 'public-keys': world.keys.public, 'skip-signed-by': UPSTREAM_KEY_NAME })

  describeAsRoot('creates users and runs nix-daemon as root')('a pull-only job on a multi-user daemon, from a cache that requires a password', () => {
    it('when trusted: the daemon pulls through the agent, which holds the credentials', async () => {
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
      // The user's own netrc also holds a credential for another host: the daemon, which serves
      // every user of the machine, must get the cache's credentials only.
      const userNetrc = join(user.home, '.netrc')
      await writeFile(userNetrc, 'machine other.example login someone password not-for-the-daemon-51c\n', { mode: 0o600 })
      await chown(userNetrc, user.uid, user.gid)
      const daemon = await startDaemon({ config: daemonConfig('root') })
      try {
        const job = await startJob({ env: daemon.clientEnv(user.home), user, inputs: inputs() })
        const main = job.main as StepResult
        expect(warningLines(main.stdout)).toEqual([])
        const conf = join(daemon.confDir, 'nix.conf')
        const daemonNetrc = join(daemon.confDir, 'nix-buildtime-cache.netrc')
        expect(await readFile(conf, 'utf8')).toContain(`netrc-file = ${daemonNetrc}`)
        const given = await readFile(daemonNetrc, 'utf8')
        expect(given).toContain(`password ${password}`)
        expect(given).not.toContain('not-for-the-daemon-51c')
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
})
