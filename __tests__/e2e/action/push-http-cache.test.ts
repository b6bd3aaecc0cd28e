import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startNginx, type Nginx } from '../../helpers/nginx.js'
import { freePort } from '../../helpers/ports.js'
import { allOutput, warningLines, errorLines } from '../../helpers/runner.js'
import { consumerBuild, EXPECTED_PUSH, rolesOf, topJob, useGraphWorld } from '../../helpers/scenario.js'
import { hashPart } from '../../../src/format/store-path.js'

const world = useGraphWorld('e2e-http-')

describe('a job pushing to an HTTP cache served by nginx', () => {
  let nginx: Nginx
  let root: string
  const password = 'hunter2-http-secret'
  let netrc: string

  beforeAll(async () => {
    root = join(world.dir, 'www')
    await mkdir(root)
    nginx = await startNginx({ root, auth: { user: 'ci', password } })
    netrc = join(world.dir, 'netrc')
    await writeFile(netrc, `machine 127.0.0.1 login ci password ${password}\n`, { mode: 0o600 })
  })
  afterAll(async () => {
    await nginx.stop()
  })

  it('pushes the same exact set with PUTs, NAR before narinfo, and a consumer rebuilds one derivation', async () => {
    const run = await topJob(world, nginx.url, { inputs: { 'netrc-file': netrc } })
    expect(run.post.code).toBe(0)
    expect(warningLines(run.post.stdout)).toEqual([])
    expect(rolesOf(run.pushed, run.paths)).toEqual([...EXPECTED_PUSH].sort())

    const puts = (await nginx.requests()).filter((r) => r.method === 'PUT')
    for (const p of run.pushed) {
      const narinfoAt = puts.findIndex((r) => r.uri === `/${hashPart(p)}.narinfo`)
      expect(puts[narinfoAt].status).toBe(201)
      // Every NAR PUT of the run happened before this narinfo? At least its own did.
      expect(puts.slice(0, narinfoAt).some((r) => r.uri.startsWith('/nar/'))).toBe(true)
    }
    expect((await readdir(join(root, 'nar'))).length).toBeGreaterThanOrEqual(EXPECTED_PUSH.length)

    const consumer = await consumerBuild({
      substituters: [nginx.url, world.upstream.url],
      trustedKeys: [world.keys.public, world.upstream.publicKey],
      variant: 'v2',
      extraConfig: [`netrc-file = ${netrc}`]
    })
    expect(consumer.built).toBe(1)
    await consumer.store.cleanup()
    // The password came from the netrc file and is never printed.
    expect(allOutput(run.post)).not.toContain(password)
  })

  it('sends an auth header from the auth-header input', async () => {
    const tokenRoot = join(world.dir, 'www-token')
    await mkdir(tokenRoot)
    const token = 'tok-3a7f9e1c55'
    const guarded = await startNginx({ root: tokenRoot, auth: { bearerToken: token } })
    try {
      const run = await topJob(world, guarded.url, { inputs: { 'auth-header': `Authorization: Bearer ${token}` } })
      expect(run.post.code).toBe(0)
      expect(rolesOf(run.pushed, run.paths)).toEqual([...EXPECTED_PUSH].sort())
      const visible = allOutput(run.post).split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n')
      expect(visible).not.toContain(token)
    } finally {
      await guarded.stop()
    }
  })
})

describe('a job whose HTTP cache is down', () => {
  let deadUrl: string
  beforeAll(async () => {
    deadUrl = `http://127.0.0.1:${await freePort()}/cache`
  })

  it('warns and stays green by default', async () => {
    const run = await topJob(world, deadUrl, { preexisting: false })
    expect(run.post.code).toBe(0)
    expect(run.pushed).toEqual([])
    expect(warningLines(run.post.stdout).join('\n')).toMatch(/nix-cache-info.*gave up after/)
    expect(errorLines(run.post.stdout)).toEqual([])
  })

  it('fails the post step in strict mode', async () => {
    const run = await topJob(world, deadUrl, { inputs: { strict: 'true' }, preexisting: false })
    expect(run.post.code).toBe(1)
    expect(errorLines(run.post.stdout)).toHaveLength(1)
  })
})
