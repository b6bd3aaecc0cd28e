// The job's Nix is a multi-user daemon and the CI user is not root: the action must tell trusted
// from untrusted users, pull only where the daemon will honour it, and push in every case.
import { expect, it } from '@jest/globals'
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeGraph, UPSTREAM_KEY_NAME } from '../../helpers/graph.js'
import { countBuilt, daemonReportsTrust, substitutedPaths } from '../../helpers/nix-store.js'
import { startDaemon, testUser } from '../../helpers/daemon.js'
import { chownTree, startJob, warningLines, type StepResult } from '../../helpers/runner.js'
import { FIRST_PUSH, rolesOf, useGraphWorld } from '../../helpers/scenario.js'
import { graphPaths } from '../../helpers/graph.js'
import { describeAsRoot } from '../../helpers/requires.js'

const world = useGraphWorld('e2e-daemon-')

interface CaseResult {
  pushMain: StepResult
  pushPost: StepResult
  pushedRoles: string[]
  pullMain: StepResult
  pullBuilt: number
  fromOurCache: number
  /** How often NIX_CONFIG names our substituter after the set-up ran twice. */
  settingsCount: number
}

/**
 * One user, two daemons with the same nix.conf: a job pushes from the first; a later job on a
 * fresh machine (the second daemon) changes the top-level package and builds it.
 */
async function runCase(name: string, userName: string, config: string[]): Promise<CaseResult> {
  const user = await testUser(userName)
  const cacheDir = join(world.dir, `cache-${name}`)
  await mkdir(cacheDir)
  await chownTree(cacheDir, user)
  const work = join(world.dir, `work-${name}`)
  await mkdir(work)
  await chmod(work, 0o755)
  const v1 = await writeGraph(work, 'v1', 'v1.nix')
  const v2 = await writeGraph(work, 'v2', 'v2.nix')
  const inputs = { cache: `file://${cacheDir}`, 'skip-signed-by': UPSTREAM_KEY_NAME }

  const daemonA = await startDaemon({ config })
  const daemonB = await startDaemon({ config })
  try {
    const push = await startJob({ env: daemonA.clientEnv(user.home), user, inputs: { ...inputs, 'secret-key': world.keys.secret } })
    // The action used twice in one job must not repeat its settings.
    await push.runMain()
    const settingsCount = (push.exports.NIX_CONFIG ?? '').split('extra-substituters').length - 1
    const build = await push.exec('nix-build', [v1, '-A', 'job', '--no-out-link'])
    if (build.code !== 0) throw new Error(build.stderr)
    const pushPost = await push.post()
    const pushed = (await readFile(pushPost.outputs['paths-file'], 'utf8')).split('\n').filter(Boolean)
    const paths = await graphPaths(v1)

    // A pull request from a fork: no secret key, only the public one.
    const pull = await startJob({ env: daemonB.clientEnv(user.home), user, inputs: { ...inputs, 'public-keys': world.keys.public } })
    const rebuild = await pull.exec('nix-build', [v2, '-A', 'top', '--no-out-link'])
    if (rebuild.code !== 0) throw new Error(rebuild.stderr)
    // Pull-only, like a fork's pull request: green whatever it finds.
    if ((await pull.post()).code !== 0) throw new Error('the pull-only post step failed')
    return {
      pushMain: push.main as StepResult,
      pushPost,
      pushedRoles: rolesOf(pushed, paths),
      pullMain: pull.main as StepResult,
      pullBuilt: countBuilt(rebuild.stderr),
      fromOurCache: substitutedPaths(rebuild.stderr).filter((s) => s.from === `file://${cacheDir}`).length,
      settingsCount
    }
  } finally {
    await daemonA.stop()
    await daemonB.stop()
  }
}

const upstreamConfig = (): string[] => [`substituters = ${world.upstream.url}`]
/** No installables, a fresh daemon store: everything the job built. */
const everythingTheJobBuilt = FIRST_PUSH

describeAsRoot('creates users and runs nix-daemon as root')('a CI user of a multi-user Nix daemon', () => {
  it('when trusted: pulls from the cache and pushes', async () => {
    const r = await runCase('trusted', 'nbc-trusted', [
      ...upstreamConfig(),
      `trusted-public-keys = ${world.upstream.publicKey}`,
      'trusted-users = root nbc-trusted'
    ])
    // From 2.15 the daemon's own verdict is what counts (real 2.26 and 2.34); 2.8 is judged from nix.conf.
    expect(r.pushMain.stdout).toContain(
      daemonReportsTrust() ? 'Nix trust: trusted (the Nix daemon reports this user as trusted)' : 'Nix trust: trusted (nbc-trusted is in trusted-users)'
    )
    expect(r.pushPost.code).toBe(0)
    expect(r.pushedRoles).toEqual(everythingTheJobBuilt)
    expect(r.pullBuilt).toBe(1)
    expect(r.fromOurCache).toBeGreaterThan(0)
    expect(r.settingsCount).toBe(1)
  })

  it('when untrusted but the cache is in trusted-substituters: pulls and pushes', async () => {
    const r = await runCase('allowed', 'nbc-untrusted', [
      ...upstreamConfig(),
      `trusted-public-keys = ${world.upstream.publicKey} ${world.keys.public}`,
      `trusted-substituters = file://${join(world.dir, 'cache-allowed')}`,
      'trusted-users = root'
    ])
    expect(r.pushMain.stdout).toContain(
      daemonReportsTrust() ? 'Nix trust: untrusted (the Nix daemon reports nbc-untrusted as untrusted)' : 'Nix trust: untrusted (nbc-untrusted is not in trusted-users (root))'
    )
    expect(warningLines(r.pushMain.stdout)).toEqual([])
    expect(r.pushPost.code).toBe(0)
    expect(r.pushedRoles).toEqual(everythingTheJobBuilt)
    expect(r.pullBuilt).toBe(1)
  })

  // The daemon keeps a client's substituter that is one of its own substituters (daemon.cc
  // setSubstituters: `trusted` = trusted-substituters + substituters).
  it('when untrusted but the cache is one of the daemon\'s own substituters: pulls and pushes', async () => {
    const r = await runCase('daemon-own', 'nbc-untrusted', [
      `substituters = ${world.upstream.url} file://${join(world.dir, 'cache-daemon-own')}`,
      `trusted-public-keys = ${world.upstream.publicKey} ${world.keys.public}`,
      'trusted-users = root'
    ])
    expect(warningLines(r.pushMain.stdout)).toEqual([])
    expect(r.pushMain.env.NIX_CONFIG ?? '').toContain('extra-substituters')
    expect(r.pushPost.code).toBe(0)
    expect(r.pullBuilt).toBe(1)
  })

  it('when untrusted and the cache is not allowed: one clear warning, no pulls, pushes still work', async () => {
    const r = await runCase('refused', 'nbc-untrusted', [
      ...upstreamConfig(),
      `trusted-public-keys = ${world.upstream.publicKey}`,
      'trusted-users = root'
    ])
    const warnings = warningLines(r.pushMain.stdout)
    expect(warnings).toHaveLength(1)
    const why = daemonReportsTrust() ? 'the Nix daemon reports nbc-untrusted as untrusted' : 'nbc-untrusted is not in trusted-users'
    expect(warnings[0]).toMatch(new RegExp(`Pulls from file://.* are disabled: ${why}`))
    expect(r.pushMain.env.NIX_CONFIG ?? '').not.toContain('extra-substituters')
    expect(r.pushPost.code).toBe(0)
    expect(r.pushedRoles).toEqual(everythingTheJobBuilt)
    // Nothing came from our cache: the consumer built top and everything not from the upstream.
    expect(r.fromOurCache).toBe(0)
    expect(r.pullBuilt).toBeGreaterThan(1)
  })

  it('when untrusted with passwordless sudo: allows the cache system-wide, once, and pulls', async () => {
    const user = await testUser('nbc-sudoer')
    const sudoers = '/etc/sudoers.d/nbc-sudoer-test'
    await writeFile(sudoers, 'nbc-sudoer ALL=(ALL) NOPASSWD: ALL\n', { mode: 0o440 })
    const cacheDir = join(world.dir, 'cache-sudo')
    await mkdir(cacheDir)
    await chownTree(cacheDir, user)
    const work = join(world.dir, 'work-sudo')
    await mkdir(work)
    await chmod(work, 0o755)
    const v1 = await writeGraph(work, 'v1', 'v1.nix')
    const v2 = await writeGraph(work, 'v2', 'v2.nix')
    const inputs = { cache: `file://${cacheDir}`, 'skip-signed-by': UPSTREAM_KEY_NAME, 'secret-key': world.keys.secret }
    const config = [...upstreamConfig(), `trusted-public-keys = ${world.upstream.publicKey}`, 'trusted-users = root']
    const daemonA = await startDaemon({ config })
    const daemonB = await startDaemon({ config })
    try {
      const push = await startJob({ env: daemonA.clientEnv(user.home), user, inputs })
      await push.exec('nix-build', [v1, '-A', 'job', '--no-out-link'])
      expect((await push.post()).outputs['pushed-count']).toBe(String(everythingTheJobBuilt.length))

      const pull = await startJob({ env: daemonB.clientEnv(user.home), user, inputs })
      const said = (pull.main as StepResult).stdout
      expect(said).toContain('Untrusted user with passwordless sudo: added file://')
      expect(warningLines(said)).toEqual([])
      // No systemd here: the harness restarts the daemon as `systemctl restart nix-daemon` would.
      await daemonB.restart()
      const rebuild = await pull.exec('nix-build', [v2, '-A', 'top', '--no-out-link'])
      expect(countBuilt(rebuild.stderr)).toBe(1)
      expect((await pull.post()).code).toBe(0)

      // A self-hosted runner repeats the set-up every job: the configuration does not grow.
      await startJob({ env: daemonB.clientEnv(user.home), user, inputs })
      const conf = await readFile(join(daemonB.confDir, 'nix.conf'), 'utf8')
      expect(conf.match(/extra-trusted-substituters/g)).toHaveLength(1)
      expect(conf).toContain(`extra-trusted-public-keys = ${world.keys.public}`)
    } finally {
      await rm(sudoers, { force: true })
      await daemonA.stop()
      await daemonB.stop()
    }
  })
})
