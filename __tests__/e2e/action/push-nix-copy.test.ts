import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { createServer, type Socket } from 'node:net'
import { join } from 'node:path'
import { NIX_PRELUDE, ROLES } from '../../helpers/graph.js'
import { createTestStore, type TestStore } from '../../helpers/nix-store.js'
import { startSshd, type Sshd } from '../../helpers/sshd.js'
import { startJob, warningLines } from '../../helpers/runner.js'
import { EXPECTED_PUSH, PUSH_WITH_PREEXISTING, rolesOf, runGraphJob, topJob, useGraphWorld, type JobRun } from '../../helpers/scenario.js'
import { sshBounds } from '../../../src/executors/nix-copy.js'
import { TIMINGS } from '../../../src/runtime/timings.js'

const world = useGraphWorld('e2e-copy-')

/** The graph roles valid in another store. */
async function rolesIn(remoteRoot: string, run: JobRun, probe: TestStore): Promise<string[]> {
  const valid: string[] = []
  for (const role of ROLES) {
    const r = await probe.run('nix-store', ['--store', remoteRoot, '--check-validity', run.paths[role]])
    if (r.code === 0) valid.push(run.paths[role])
  }
  return rolesOf(valid, run.paths)
}

describe('a job pushing to another Nix store with nix copy', () => {
  it('copies the selected paths (and their runtime closures) to a local?root= store', async () => {
    const remote = join(world.dir, 'local-remote')
    const run = await topJob(world, `local?root=${remote}`)
    expect(run.post.code).toBe(0)
    expect(rolesOf(run.pushed, run.paths)).toEqual([...EXPECTED_PUSH].sort())
    // What nix copy adds beyond the selection: runtime references, here all selected already,
    // plus the warm-up job's pre-existing path.
    expect(await rolesIn(remote, run, run.store)).toEqual(PUSH_WITH_PREEXISTING)
  })

  // On Nix 2.4-2.14 (here 2.8) `nix copy X.drv` copies X's outputs, building them if missing;
  // the derivations themselves must arrive (NixOS/nix rl-2.15, 2.8 src/nix/copy.cc).
  it('copies derivations as the .drv files themselves with include-derivations', async () => {
    const remote = join(world.dir, 'local-remote-drvs')
    // No installables: the roots are the derivations the job instantiated, so they are new.
    const run = await runGraphJob({ cache: `local?root=${remote}`, keys: world.keys, upstream: world.upstream, inputs: { 'include-derivations': 'true' } })
    expect(run.post.code).toBe(0)
    const drvs = run.pushed.filter((p) => p.endsWith('.drv'))
    expect(drvs.length).toBeGreaterThan(0)
    const missing: string[] = []
    for (const drv of drvs) {
      const r = await run.store.run('nix-store', ['--store', remote, '--check-validity', drv])
      if (r.code !== 0) missing.push(drv)
    }
    expect(missing).toEqual([])
    // Signed as derivations too (`nix store sign --derivation` on 2.4-2.14).
    expect(warningLines(run.post.stdout)).toEqual([])
    const sigs = await run.store.run('nix', ['path-info', '--store', remote, '--sigs', '--derivation', drvs[0]!])
    expect(sigs.stdout).toContain('test-cache-1:')
    const unsigned: string[] = []
    for (const drv of drvs) {
      const r = await run.store.run('nix', ['path-info', '--store', remote, '--sigs', '--derivation', drv])
      if (!r.stdout.includes('test-cache-1:')) unsigned.push(drv)
    }
    expect(unsigned).toEqual([])
  })

  it('copies a derivation the job only instantiated as the .drv alone: its output is built in neither store', async () => {
    const remote = join(world.dir, 'local-remote-unbuilt')
    const store = await createTestStore()
    const nixFile = join(store.root, 'unbuilt.nix')
    await writeFile(nixFile, `let\n${NIX_PRELUDE}\nin mk "never-built" "\${bb} echo built > $out" {}\n`)
    const job = await startJob({ env: store.env, inputs: { cache: `local?root=${remote}`, 'secret-key': world.keys.secret, 'include-derivations': 'true' } })
    try {
      expect(job.main?.code).toBe(0)
      // No installables: the roots are the derivations the job instantiated, this one alone.
      const drv = (await job.exec('nix-instantiate', [nixFile])).stdout.trim()
      const out = (await store.runOk('nix-store', ['--query', '--outputs', drv])).stdout.trim()
      const post = await job.post()
      const valid = async (path: string, where: string[] = []): Promise<boolean> =>
        (await store.run('nix-store', [...where, '--check-validity', path])).code === 0
      expect({ inJobStore: await valid(out), inRemote: await valid(out, ['--store', remote]) }).toEqual({ inJobStore: false, inRemote: false })
      expect(await valid(drv, ['--store', remote])).toBe(true)
      expect((await readFile(post.outputs['paths-file']!, 'utf8')).split('\n').filter((l) => l !== '')).toEqual([drv])
      expect(post.code).toBe(0)
      // Signed as a derivation too (`nix store sign --derivation`), or it would warn.
      expect(warningLines(post.stdout)).toEqual([])
    } finally {
      await job.cleanup()
      await store.cleanup()
    }
  })

  describe('over ssh-ng to a real sshd', () => {
    let sshd: Sshd
    beforeAll(async () => {
      sshd = await startSshd()
    })
    afterAll(async () => {
      await sshd.stop()
    })

    it('copies exactly the selected closure to the remote store', async () => {
      const remote = join(world.dir, 'ssh-remote')
      const run = await topJob(world, `ssh-ng://${sshd.login}?remote-store=${remote}`, { env: { NIX_SSHOPTS: sshd.sshOpts } })
      expect(run.post.code).toBe(0)
      expect(run.post.stdout).not.toMatch(/::warning::/)
      expect(rolesOf(run.pushed, run.paths)).toEqual([...EXPECTED_PUSH].sort())
      expect(await rolesIn(remote, run, run.store)).toEqual(PUSH_WITH_PREEXISTING)
      // Signed with our key on the way (nix copy carries local signatures).
      const info = await run.store.run('nix', ['path-info', '--store', remote, '--sigs', run.paths.top])
      expect(info.stdout).toContain('test-cache-1:')
      // The key file `nix store sign` needed is gone once the post step ends.
      const left = await readdir(run.job.dirs.temp)
      expect(left.filter((f) => f.includes('key'))).toEqual([])
    })
  })
  describe('to an SSH host that never answers', () => {
    // A TCP port that accepts connections and then says nothing: a host behind a broken
    // firewall or a hung sshd. ssh waits for its banner for ever unless told otherwise.
    const sockets = new Set<Socket>()
    let connections = 0
    let port: number
    const server = createServer((s) => {
      connections++
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
    })
    beforeAll(async () => {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      port = (server.address() as { port: number }).port
    })
    afterAll(async () => {
      for (const s of sockets) s.destroy()
      await new Promise((resolve) => server.close(resolve))
    })

    for (const strict of [false, true]) {
      it(`ends the post step within the job's bounds${strict ? ', failing it with strict' : ', with one warning'}`, async () => {
        connections = 0
        const started = Date.now()
        const store = await createTestStore({ extraConfig: world.upstream.nixConfig })
        const run = await topJob(world, 'ssh-ng://nobody@127.0.0.1', {
          store,
          preexisting: false,
          strayAdd: false,
          env: {
            NIX_SSHOPTS: `-p ${port} -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR`,
            NIX_BUILDTIME_CACHE_TEST_TIMEOUTS: JSON.stringify({ connectMs: 1000, jobBudgetMs: 8000, retryBaseDelayMs: 200 })
          },
          inputs: { strict: String(strict) }
        })
        expect(Date.now() - started).toBeLessThan(45_000)
        // A few attempts within the budget, not one per batch for ever.
        expect(connections).toBeGreaterThanOrEqual(2)
        expect(connections).toBeLessThanOrEqual(5)
        if (strict) {
          expect(run.post.code).not.toBe(0)
          expect(run.post.stdout).toMatch(/^::error::.*banner exchange/m)
        } else {
          expect(run.post.code).toBe(0)
          const warnings = warningLines(run.post.stdout)
          expect(warnings).toHaveLength(1)
          expect(warnings[0]).toMatch(/banner exchange/)
        }
        expect(run.pushed).toEqual([])
        await store.cleanup()
      }, 90_000)
    }

    it('keeps the ssh options the user set, adding only what bounds the wait', () => {
      expect(sshBounds('s3://bucket', {})).toBeUndefined()
      expect(sshBounds('ssh-ng://host', {}, TIMINGS)?.NIX_SSHOPTS).toBe('-o ConnectTimeout=10 -o ServerAliveInterval=10 -o ServerAliveCountMax=3')
      // ssh takes the first value of an option: the user's ConnectTimeout stays in force.
      expect(sshBounds('ssh://host', { NIX_SSHOPTS: '-p 2222 -o ConnectTimeout=60' }, TIMINGS)?.NIX_SSHOPTS).toBe(
        '-p 2222 -o ConnectTimeout=60 -o ConnectTimeout=10 -o ServerAliveInterval=10 -o ServerAliveCountMax=3'
      )
    })
  })
})
