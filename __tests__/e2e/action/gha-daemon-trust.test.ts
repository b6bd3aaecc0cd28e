// The GitHub Actions cache's local substituter where the job's user is not trusted by the Nix
// daemon: the daemon checks signatures against its own nix.conf only, so it needs the machine key
// an admin installs once; the per-job key is never written to nix.conf, and the daemon is never
// restarted. The bundled action run by an unprivileged user, a real nix-daemon as root, the real
// @actions/cache client against the local cache service.
import { expect, it } from '@jest/globals'
import { chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { useGhaCache } from '../../helpers/gha-jobs.js'
import { UPSTREAM_KEY_NAME, writeGraph } from '../../helpers/graph.js'
import { builtDerivations, substitutedPaths } from '../../helpers/nix-store.js'
import { startDaemon, testUser, type Daemon } from '../../helpers/daemon.js'
import { freePort } from '../../helpers/ports.js'
import { runProcess } from '../../helpers/proc.js'
import { describeAsRoot } from '../../helpers/requires.js'
import { chownTree, startJob, warningLines, type StepResult } from '../../helpers/runner.js'
import { useGraphWorld } from '../../helpers/scenario.js'

const world = useGraphWorld('e2e-gha-daemon-')
const gha = useGhaCache(world)

/** An admin's one-time set-up: a machine key the runner's user can read, its public half in nix.conf. */
async function machineKey(daemonConfDir: string, owner: { uid: number; gid: number }): Promise<string> {
  const dir = join(daemonConfDir, 'nix-buildtime-cache')
  await mkdir(dir, { recursive: true })
  const sec = join(dir, 'substituter.sec')
  const pub = join(dir, 'substituter.pub')
  const r = await runProcess('nix-store', ['--generate-binary-cache-key', 'ci-host-nix-buildtime-cache-1', sec, pub], {
    env: { PATH: '/usr/bin:/bin', HOME: dir, NIX_CONF_DIR: dir, NIX_USER_CONF_FILES: join(dir, 'none'), NIX_CONFIG: `store = ${join(dir, 'tool-store')}` }
  })
  if (r.code !== 0) throw new Error(r.stderr)
  await chown(sec, owner.uid, owner.gid)
  return (await readFile(pub, 'utf8')).trim()
}

interface GhaDaemonJob {
  main: StepResult
  post: StepResult
  buildLog: string
}

async function ghaJobThroughDaemon(daemon: Daemon, user: Awaited<ReturnType<typeof testUser>>, port: number): Promise<GhaDaemonJob> {
  const work = join(daemon.dir, `work-${Date.now()}`)
  await mkdir(work)
  await chownTree(work, user)
  const nixFile = await writeGraph(work, 'v1')
  const job = await startJob({
    env: { ...daemon.clientEnv(user.home), ...gha.server.env() },
    user,
    inputs: { cache: 'github-actions', 'secret-key': '', 'skip-signed-by': UPSTREAM_KEY_NAME, 'substituter-port': String(port) }
  })
  try {
    const build = await job.exec('nix-build', [nixFile, '-A', 'job', '--no-out-link'])
    if (build.code !== 0) throw new Error(build.stderr)
    const post = await job.post()
    return { main: job.main!, post, buildLog: build.stderr }
  } finally {
    await job.cleanup()
  }
}

describeAsRoot('creates users and runs nix-daemon as root')('the GitHub Actions cache for a user the Nix daemon does not trust', () => {
  it('with the machine key and the URL trusted once in nix.conf: the daemon takes the signed paths, and nix.conf never changes', async () => {
    const user = await testUser('nbc-untrusted')
    const port = await freePort()
    const daemons: Daemon[] = []
    try {
      // Two machines, one admin set-up each; the first job fills the cache, the second pulls it.
      for (let i = 0; i < 2; i++) {
        const daemon = await startDaemon({ config: [`substituters = ${world.upstream.url}`, 'trusted-users = root'] })
        daemons.push(daemon)
        const pub = await machineKey(daemon.confDir, user)
        const conf = join(daemon.confDir, 'nix.conf')
        const { appendFile } = await import('node:fs/promises')
        await appendFile(conf, `trusted-public-keys = ${world.upstream.publicKey} ${pub}\ntrusted-substituters = http://127.0.0.1:${port}\n`)
        await daemon.restart()
      }
      const confBefore = await readFile(join(daemons[1]!.confDir, 'nix.conf'), 'utf8')
      const first = await ghaJobThroughDaemon(daemons[0]!, user, port)
      expect(first.main.stdout).toContain('Nix trust: untrusted')
      expect(first.post.code).toBe(0)
      expect(warningLines(first.main.stdout + first.post.stdout)).toEqual([])

      const second = await ghaJobThroughDaemon(daemons[1]!, user, port)
      expect(warningLines(second.main.stdout + second.post.stdout)).toEqual([])
      expect(second.main.stdout).toContain(`Later steps substitute from http://127.0.0.1:${port}`)
      expect(builtDerivations(second.buildLog)).toEqual([])
      expect(substitutedPaths(second.buildLog).some((p) => p.from === `http://127.0.0.1:${port}`)).toBe(true)
      expect(await readFile(join(daemons[1]!.confDir, 'nix.conf'), 'utf8')).toBe(confBefore)
    } finally {
      for (const d of daemons) await d.stop()
    }
  })

  it('without a machine key: one warning saying how to set it up, no pulls, and the job still ends green', async () => {
    const user = await testUser('nbc-untrusted')
    const port = await freePort()
    const daemon = await startDaemon({
      config: [`substituters = ${world.upstream.url}`, `trusted-public-keys = ${world.upstream.publicKey}`, `trusted-substituters = http://127.0.0.1:${port}`, 'trusted-users = root']
    })
    try {
      const run = await ghaJobThroughDaemon(daemon, user, port)
      const warnings = warningLines(run.main.stdout)
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toMatch(/Pulls from http:\/\/127\.0\.0\.1:\d+ are disabled: .*machine key.*substituter\.sec/)
      expect(run.main.env.NIX_CONFIG ?? '').not.toContain('extra-substituters')
      // The cache the first test filled holds all of it, and still Nix built it here.
      expect(builtDerivations(run.buildLog).length).toBeGreaterThan(1)
      expect(run.post.code).toBe(0)
      expect(warningLines(run.post.stdout)).toEqual([])
    } finally {
      await daemon.stop()
    }
  })

  it('with passwordless sudo: trusts the one stable URL with the machine key in nix.conf, never a job key, and never a fallback port', async () => {
    const user = await testUser('nbc-sudoer')
    const sudoers = '/etc/sudoers.d/nbc-sudoer-gha-test'
    await writeFile(sudoers, 'nbc-sudoer ALL=(ALL) NOPASSWD: ALL\n', { mode: 0o440 })
    const port = await freePort()
    const daemon = await startDaemon({ config: [`substituters = ${world.upstream.url}`, `trusted-public-keys = ${world.upstream.publicKey}`, 'trusted-users = root'] })
    const conf = join(daemon.confDir, 'nix.conf')
    try {
      const pub = await machineKey(daemon.confDir, user)
      const stable = await ghaJobThroughDaemon(daemon, user, port)
      expect(stable.main.stdout).toContain(`Untrusted user with passwordless sudo: added http://127.0.0.1:${port}`)
      const after = await readFile(conf, 'utf8')
      expect(after).toContain(`extra-trusted-substituters = http://127.0.0.1:${port}`)
      expect(after).toContain(pub)
      expect(after).not.toContain('nix-buildtime-cache-job-')

      // Another job holds the port: this one's agent serves on a free one, which is left out of nix.conf.
      const holder = createServer().listen(port, '127.0.0.1')
      await new Promise((resolve) => holder.once('listening', resolve))
      try {
        const moved = await ghaJobThroughDaemon(daemon, user, port)
        const warnings = warningLines(moved.main.stdout)
        expect(warnings).toHaveLength(1)
        expect(warnings[0]).toMatch(/Pulls from http:\/\/127\.0\.0\.1:\d+ are disabled: .*not at the one URL every job of the machine uses/)
        expect(moved.main.stdout).not.toContain('passwordless sudo')
        expect(await readFile(conf, 'utf8')).toBe(after)
      } finally {
        holder.close()
      }
    } finally {
      await rm(sudoers, { force: true })
      await daemon.stop()
    }
  })
})
