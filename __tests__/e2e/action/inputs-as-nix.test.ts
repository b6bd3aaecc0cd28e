// Inputs that are right behave as Nix would: a URI's compression=, percent-encoded file:// paths,
// a missing netrc-file, one bad installable among good ones.
import { describe, expect, it } from '@jest/globals'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { UPSTREAM_KEY_NAME, writeGraph } from '../../helpers/graph.js'
import { countBuilt, createTestStore } from '../../helpers/nix-store.js'
import { runStep, startJob, warningLines } from '../../helpers/runner.js'
import { consumerBuild, EXPECTED_PUSH, rolesOf, runGraphJob, topInstallable, topJob, useGraphWorld } from '../../helpers/scenario.js'

const world = useGraphWorld('e2e-inputs-as-nix-')

describe('a cache URI as Nix reads it', () => {
  it('honours compression= of a file:// URI, as Nix does, and the cache serves a consumer', async () => {
    const cacheDir = join(world.dir, 'xz-cache')
    const run = await topJob(world, `file://${cacheDir}?compression=xz`)
    expect(run.post.code).toBe(0)
    expect(warningLines(run.post.stdout)).toEqual([])
    expect(rolesOf(run.pushed, run.paths)).toEqual([...EXPECTED_PUSH].sort())
    const narinfos = (await readdir(cacheDir)).filter((f) => f.endsWith('.narinfo'))
    expect(narinfos.length).toBeGreaterThan(0)
    for (const f of narinfos) expect(await readFile(join(cacheDir, f), 'utf8')).toMatch(/^Compression: xz$/m)
    expect((await readdir(join(cacheDir, 'nar'))).every((f) => f.endsWith('.nar.xz'))).toBe(true)
    const consumer = await consumerBuild({ substituters: [`file://${cacheDir}`, world.upstream.url], trustedKeys: [world.keys.public, world.upstream.publicKey], variant: 'v2' })
    expect(consumer.built).toBe(1)
    await consumer.store.cleanup()
  })

  it('reads a percent-encoded file:// path (a space, non-ASCII) from the same directory it writes', async () => {
    const cache = `file://${world.dir}/my%20cache-caf%C3%A9`
    const run = await topJob(world, cache)
    expect(run.post.code).toBe(0)
    // Written where the URL means: the decoded directory.
    const written = (await readdir(join(world.dir, 'my cache-café'))).filter((f) => f.endsWith('.narinfo'))
    expect(written.length).toBeGreaterThan(EXPECTED_PUSH.length - 1)

    // A later job's Nix, configured by the main step, substitutes from that same directory.
    const store = await createTestStore({ extraConfig: world.upstream.nixConfig })
    const job = await startJob({ env: store.env, inputs: { cache, 'public-keys': world.keys.public, 'skip-signed-by': UPSTREAM_KEY_NAME } })
    try {
      expect(job.main?.code).toBe(0)
      const nixFile = await writeGraph(store.root, 'v2')
      const build = await job.exec('nix-build', [nixFile, '-A', 'top', '--no-out-link'])
      expect(build.code).toBe(0)
      expect(countBuilt(build.stderr)).toBe(1)
    } finally {
      await job.cleanup()
      await store.cleanup()
    }
  })
})

describe('inputs that are right but incomplete', () => {
  it('a netrc-file that does not exist is one warning naming the input, not an error', async () => {
    const store = await createTestStore()
    try {
      const main = await runStep('main', { inputs: { cache: 'http://127.0.0.1:9/cache', 'netrc-file': join(world.dir, 'no-such-netrc'), pull: 'false' }, env: store.env })
      expect(main.code).toBe(0)
      const warnings = warningLines(main.stdout)
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toMatch(/Input 'netrc-file': .*no-such-netrc does not exist/)
    } finally {
      await store.cleanup()
    }
  })

  it('one installable that does not resolve costs only itself: one warning naming it, the others still define the roots', async () => {
    const cacheDir = join(world.dir, 'installables-cache')
    const store = await createTestStore({ extraConfig: world.upstream.nixConfig })
    const good = await topInstallable(store)
    const missingDrv = '/nix/store/00000000000000000000000000000000-missing.drv'
    const missingFlake = `path:${world.dir}/no-such-flake#app`
    const run = await runGraphJob({
      cache: `file://${cacheDir}`,
      keys: world.keys,
      upstream: world.upstream,
      store,
      inputs: { installables: [missingFlake, good, missingDrv].join('\n') }
    })
    expect(run.post.code).toBe(0)
    const warnings = warningLines(run.post.stdout)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain(`Input 'installables': could not resolve '${missingFlake}' (`)
    expect(warnings[0]).toContain(`'${missingDrv}' (not a valid path in this store)`)
    expect(warnings[0]).not.toContain(good)
    expect(rolesOf(run.pushed, run.paths)).toEqual([...EXPECTED_PUSH].sort())
  })
})
