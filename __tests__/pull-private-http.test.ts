import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { existsSync } from 'node:fs'
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeGraph, type Upstream } from './helpers/graph.js'
import { countBuilt, createTestStore, removeTree, substitutedPaths } from './helpers/nix-store.js'
import { startNginx, type Nginx } from './helpers/nginx.js'
import { allOutput, startJob, type StepResult } from './helpers/runner.js'
import { graphWorld, runGraphJob, topInstallable, type SigningKeys } from './helpers/scenario.js'

// A private HTTP cache: nginx answers every request, GETs included, only with basic auth. The
// credentials are given the way users often write them, in the cache URL.
let dir: string
let upstream: Upstream
let keys: SigningKeys
let nginx: Nginx
const password = 'pw-7c1e0b9d42-private'
let cacheWithCredentials: string

beforeAll(async () => {
  ;({ dir, upstream, keys } = await graphWorld('e2e-private-http-'))
  const root = join(dir, 'www')
  await mkdir(root)
  nginx = await startNginx({ root, auth: { user: 'ci', password } })
  cacheWithCredentials = nginx.url.replace('http://', `http://ci:${password}@`)
})
afterAll(async () => {
  await nginx?.stop()
  await removeTree(dir)
})

/** Everything a step exposed, except the lines that register masks (they name the secret on purpose). */
const visible = (r: StepResult): string =>
  allOutput(r)
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n')

describe('a private HTTP cache with credentials in its URL', () => {
  it('is pushed to, and a pull-only job substitutes from it without building anything', async () => {
    const pusher = await createTestStore({ extraConfig: upstream.nixConfig })
    const pushRun = await runGraphJob({
      cache: cacheWithCredentials, keys, upstream, store: pusher, preexisting: false,
      inputs: { installables: await topInstallable(pusher) }
    })
    expect(pushRun.post.code).toBe(0)
    expect(pushRun.pushed.length).toBeGreaterThan(0)
    await pusher.cleanup()

    // A pull request from a fork: no secret key, only the public key.
    const store = await createTestStore({ extraConfig: upstream.nixConfig })
    const job = await startJob({ env: store.env, inputs: { cache: cacheWithCredentials, 'public-keys': keys.public } })
    try {
      const main = job.main as StepResult
      expect(main.code).toBe(0)
      const nixConfig = job.exports.NIX_CONFIG ?? ''
      expect(nixConfig).toContain(`extra-substituters = ${nginx.url}`)
      const netrc = /^netrc-file = (.*)$/m.exec(nixConfig)?.[1] ?? ''
      expect(netrc.startsWith(job.dirs.temp)).toBe(true)
      expect((await stat(netrc)).mode & 0o777).toBe(0o600)

      const build = await job.exec('nix-build', [await writeGraph(store.root, 'v1'), '-A', 'top', '--no-out-link'])
      expect(build.code).toBe(0)
      expect(countBuilt(build.stderr)).toBe(0)
      expect(substitutedPaths(build.stderr).some((s) => s.from.startsWith(nginx.url))).toBe(true)

      const post = await job.post()
      expect(post.code).toBe(0)
      expect(existsSync(netrc)).toBe(false)

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
  it('pulls with the netrc-file input too, merged with the netrc Nix was configured with', async () => {
    const userNetrc = join(dir, 'user-netrc')
    await writeFile(userNetrc, `machine 127.0.0.1 login ci password ${password}\n`, { mode: 0o600 })
    const nixNetrc = join(dir, 'nix-netrc')
    await writeFile(nixNetrc, 'machine other.example login someone password kept\n', { mode: 0o600 })
    const store = await createTestStore({ extraConfig: [...upstream.nixConfig, `netrc-file = ${nixNetrc}`] })
    const job = await startJob({ env: store.env, inputs: { cache: nginx.url, 'public-keys': keys.public, 'netrc-file': userNetrc } })
    try {
      const netrc = /^netrc-file = (.*)$/m.exec(job.exports.NIX_CONFIG ?? '')?.[1] ?? ''
      expect(await readFile(netrc, 'utf8')).toContain('machine other.example login someone password kept')
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
