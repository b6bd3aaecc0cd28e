import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { CONTENT_TYPES } from '../../../src/executors/binary-cache/backend.js'
import { createTestStore, substitutedPaths } from '../../helpers/nix-store.js'
import { httpRequest } from '../../helpers/ports.js'
import { allOutput, errorLines, startJob, warningLines, type StepResult } from '../../helpers/runner.js'
import { S3_CREDENTIALS, startS3Server, type S3Server } from '../../helpers/s3-server.js'
import { consumerBuild, EXPECTED_PUSH, rolesOf, topJob, useGraphWorld } from '../../helpers/scenario.js'
import { hashPart } from '../../../src/format/store-path.js'

const world = useGraphWorld('e2e-s3-')
let s3: S3Server

/** As a workflow passes them (`env:` from secrets); the metadata service must never be asked on loopback-only test machines. */
const awsEnv = (secret = S3_CREDENTIALS.secretAccessKey): NodeJS.ProcessEnv => ({
  AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: secret,
  AWS_EC2_METADATA_DISABLED: 'true'
})

const key = (url: string): string => url.split('?')[0] ?? ''

describe('a job pushing to an S3 bucket', () => {
  // The server's hooks are this block's, so that it stops before useGraphWorld removes the world.
  beforeAll(async () => {
    s3 = await startS3Server({ bucket: 'nix-cache' })
  })
  afterAll(async () => {
    await s3?.stop()
  })

  it('uploads the exact set through the SDK, each NAR before its narinfo, and a consumer rebuilds one derivation', async () => {
    const run = await topJob(world, s3.s3Uri(), { env: awsEnv() })
    expect(run.post.code).toBe(0)
    expect(warningLines(run.post.stdout)).toEqual([])
    expect(rolesOf(run.pushed, run.paths)).toEqual([...EXPECTED_PUSH].sort())

    // The job's Nix substitutes from the bucket through the agent's front, which only reads: a Nix
    // with S3 support (2.34) no longer writes a bare nix-cache-info there itself, unsigned, on
    // finding none (BinaryCacheStore::init). Every write is the action's.
    const writes = s3.requests.filter((r) => r.method === 'PUT' || r.method === 'POST')
    expect(writes.filter((r) => key(r.url) === '/nix-cache/nix-cache-info' && !r.signed)).toEqual([])
    expect(writes.length).toBeGreaterThan(0)
    // Listed, not counted, so that a failure shows which write it was.
    expect(writes.filter((r) => !(r.signed && r.status === 200))).toEqual([])
    for (const p of run.pushed) {
      const hash = hashPart(p)
      const narinfo = await httpRequest(`${s3.bucketUrl}/${hash}.narinfo`)
      expect(narinfo.status).toBe(200)
      expect(narinfo.headers['content-type']).toBe(CONTENT_TYPES.narinfo)
      const narKey = /^URL: (\S+)$/m.exec(narinfo.body.toString())?.[1] ?? ''
      expect(narKey).toMatch(/^nar\/\w+\.nar\.zst$/)
      const narinfoAt = s3.requests.findIndex((r) => r.method === 'PUT' && key(r.url) === `/nix-cache/${hash}.narinfo`)
      const narAt = s3.requests.findIndex((r) => r.method === 'PUT' && key(r.url) === `/nix-cache/${narKey}`)
      expect(narAt).toBeGreaterThanOrEqual(0)
      expect(narAt).toBeLessThan(narinfoAt)
      const nar = await httpRequest(`${s3.bucketUrl}/${narKey}`, { method: 'HEAD' })
      expect(nar.headers['content-type']).toBe(CONTENT_TYPES.nar)
    }
    const info = await httpRequest(`${s3.bucketUrl}/nix-cache-info`)
    expect(info.body.toString()).toMatch(/^StoreDir: \/nix\/store$/m)
    expect(info.headers['content-type']).toBe(CONTENT_TYPES.cacheInfo)

    // The consumer's Nix reads the bucket the way a Nix without S3 support must: path-style HTTP.
    const consumer = await consumerBuild({
      substituters: [s3.bucketUrl, world.upstream.url],
      trustedKeys: [world.keys.public, world.upstream.publicKey],
      variant: 'v2'
    })
    expect(consumer.built).toBe(1)
    expect(substitutedPaths(consumer.log).some((s) => s.from.startsWith(s3.bucketUrl))).toBe(true)
    await consumer.store.cleanup()

    for (const step of [run.main, run.post]) expect(allOutput(step)).not.toContain(S3_CREDENTIALS.secretAccessKey)
  })

  it('makes the bucket a substituter through the agent, also for a Nix that cannot open s3:// stores', async () => {
    const uri = s3.s3Uri()
    const store = await createTestStore()
    const job = await startJob({ env: { ...store.env, ...awsEnv() }, inputs: { cache: uri, 'secret-key': world.keys.secret } })
    const main = job.main as StepResult
    expect(main.code).toBe(0)
    const nixConfig = job.exports.NIX_CONFIG ?? ''
    // Debian's Nix 2.8 (this machine's) was built without the AWS SDK; through the agent's front
    // it reads the bucket as a plain HTTP cache all the same (e2e/faults/pull-s3-front.test.ts).
    expect(warningLines(main.stdout)).toEqual([])
    expect(nixConfig).toMatch(/^extra-substituters = http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}$/m)
    expect(nixConfig).not.toContain('s3://')
    await job.cleanup()
    await store.cleanup()
  })

  it('warns and stays green with wrong credentials, never printing the secret', async () => {
    const secret = 'definitely-Wrong-secret-4b1d9e'
    const before = s3.requests.length
    // The post step alone: the agent would check the bucket once more, in its own process.
    const run = await topJob(world, s3.s3Uri(), { env: awsEnv(secret), preexisting: false, inputs: { 'push-during-build': 'false' } })
    expect(run.post.code).toBe(0)
    expect(run.pushed).toEqual([])
    expect(errorLines(run.post.stdout)).toEqual([])
    expect(warningLines(run.post.stdout).join('\n')).toMatch(
      /nix-buildtime-cache: PUT s3:\/\/nix-cache\/nix-cache-info: SignatureDoesNotMatch: .*\(HTTP 403\)/
    )
    // One failed check of the bucket, not an attempt per path.
    expect(s3.requests.slice(before).filter((r) => r.method === 'PUT').length).toBe(1)
    expect(allOutput(run.post)).not.toContain(secret)
  })
})
