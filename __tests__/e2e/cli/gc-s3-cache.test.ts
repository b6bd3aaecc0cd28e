import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { graphPaths, UPSTREAM_KEY_NAME, writeGraph, type GraphPaths } from '../../helpers/graph.js'
import { createTestStore, type TestStore } from '../../helpers/nix-store.js'
import type { ProcResult } from '../../helpers/proc.js'
import { consumerBuild, rolesOf, topInstallable, useGraphWorld } from '../../helpers/scenario.js'
import { jsonResult, runCli } from '../../helpers/cli.js'
import { expectVerified } from '../../helpers/cache-check.js'
import { cacheShape } from '../../helpers/gc-check.js'
import { S3_CREDENTIALS, startS3Server, type S3Server } from '../../helpers/s3-server.js'
import { SECRET_KEY_ENV } from '../../../src/cli/options.js'
import { RECORD_PREFIX } from '../../../src/format/job-record.js'

// `nix-buildtime-cache gc` on an S3 bucket (s3rver): the same three jobs as on file://, then the GC.
const world = useGraphWorld('e2e-cli-gc-s3-')
let s3: S3Server
const stores: TestStore[] = []

const awsEnv: NodeJS.ProcessEnv = {
  AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
  AWS_EC2_METADATA_DISABLED: 'true'
}

/** A client of the test's own (s3rver signs bucket-level paths without their trailing slash). */
function clientOf(url: string, bucket: string): S3Client {
  const c = new S3Client({ endpoint: url, region: 'us-east-1', forcePathStyle: true, credentials: S3_CREDENTIALS })
  c.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { path?: string }
      if (request.path === `/${bucket}/`) request.path = `/${bucket}`
      return next(args)
    },
    { step: 'build' }
  )
  return c
}
const client = (): S3Client => clientOf(s3.url, 'nix-cache')

async function keysOf(bucket: string): Promise<string[]> {
  const c = client()
  const keys: string[] = []
  let token: string | undefined
  do {
    const res = await c.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }))
    keys.push(...(res.Contents ?? []).map((o) => o.Key as string))
    token = res.IsTruncated ? res.NextContinuationToken : undefined
  } while (token)
  c.destroy()
  return keys.sort()
}

/** The bucket's objects as a file:// cache, for `nix store verify` and the shape checks. */
async function download(bucket: string, dir: string): Promise<void> {
  const c = client()
  await rm(dir, { recursive: true, force: true })
  for (const k of await keysOf(bucket)) {
    const res = await c.send(new GetObjectCommand({ Bucket: bucket, Key: k }))
    await mkdir(dirname(join(dir, k)), { recursive: true })
    await writeFile(join(dir, k), await res.Body!.transformToByteArray())
  }
  c.destroy()
}

async function ciJob(variant: string): Promise<{ run: ProcResult; paths: GraphPaths }> {
  const store = await createTestStore({ extraConfig: world.upstream.nixConfig })
  stores.push(store)
  const nixFile = await writeGraph(store.root, variant)
  const top = await topInstallable(store, variant)
  const run = await runCli(
    ['run', '--cache', s3.s3Uri(), '--skip-signed-by', UPSTREAM_KEY_NAME, '--installables', top, '--', 'nix-build', nixFile, '-A', 'top', '--no-out-link'],
    // The job's Nix reads the bucket over path-style HTTP, as a Nix without S3 support must.
    { env: { ...store.env, ...awsEnv, [SECRET_KEY_ENV]: world.keys.secret, NIX_CONFIG: `${store.env.NIX_CONFIG}\nextra-substituters = ${s3.bucketUrl}\nextra-trusted-public-keys = ${world.keys.public}` }, cwd: store.root }
  )
  if (run.code !== 0) throw new Error(`job ${variant} failed:\n${run.stderr}`)
  return { run, paths: await graphPaths(nixFile, store) }
}

const gc = (uri: string, args: readonly string[]): Promise<ProcResult> => runCli(['gc', '--cache', uri, '--json', ...args], { env: { PATH: process.env.PATH, ...awsEnv } })

describe('gc on an S3 bucket', () => {
  let v3: GraphPaths
  beforeAll(async () => {
    s3 = await startS3Server({ bucket: 'nix-cache' })
    await ciJob('v1')
    await ciJob('v2')
    v3 = (await ciJob('v3')).paths
  })
  afterAll(async () => {
    await s3?.stop()
    for (const s of stores) await s.cleanup()
  })

  it('changes nothing with --dry-run', async () => {
    const before = await keysOf('nix-cache')
    const requests = s3.requests.length
    const r = await gc(s3.s3Uri(), ['--keep-jobs', '1', '--grace', '0s', '--dry-run'])
    expect(r.code).toBe(0)
    expect(await keysOf('nix-cache')).toEqual(before)
    expect(s3.requests.slice(requests).filter((q) => !['GET', 'HEAD'].includes(q.method))).toEqual([])
    expect(jsonResult(r.stdout)).toMatchObject({ dryRun: true, jobs: { read: 3, kept: 1 }, narinfos: { deleted: 2 } })
  })

  it('with --keep-jobs 1 --grace 0s leaves exactly what the last job pushed or used, with its closure, deleting in batches', async () => {
    const requests = s3.requests.length
    const r = await gc(s3.s3Uri(), ['--keep-jobs', '1', '--grace', '0s'])
    expect(r.code).toBe(0)
    const local = join(world.dir, 'bucket')
    await download('nix-cache', local)
    const shape = await cacheShape(local)
    expect(rolesOf(shape.paths, v3)).toEqual(['lib', 'multiDev', 'multiOut', 'preexisting', 'src', 'tool', 'top'])
    expect(shape).toMatchObject({ missingNars: [], missingReferences: [], strayNars: [] })
    expect(await readdir(join(local, RECORD_PREFIX))).toHaveLength(1)
    await expectVerified(local, world.keys.public)
    // DeleteObjects (POST ?delete), never one DELETE per object.
    const mine = s3.requests.slice(requests)
    expect(mine.filter((q) => q.method === 'DELETE')).toEqual([])
    expect(mine.filter((q) => q.method === 'POST' && q.url.includes('delete')).length).toBeGreaterThan(0)
    const consumer = await consumerBuild({
      substituters: [s3.bucketUrl, world.upstream.url],
      trustedKeys: [world.keys.public, world.upstream.publicKey],
      variant: 'v3'
    })
    expect(consumer.built).toBe(0)
    await consumer.store.cleanup()
  })

  it('deletes nothing from a bucket filled by nix copy, and says why', async () => {
    const copied = join(world.dir, 'copied')
    const store = stores[0] as TestStore
    const nixFile = await writeGraph(store.root, 'v1')
    const top = (await store.runOk('nix-build', [nixFile, '-A', 'top', '--no-out-link'])).stdout.trim()
    await store.runOk('nix', ['copy', '--to', `file://${copied}`, top])
    const c = client()
    const files: string[] = []
    const walk = async (sub: string): Promise<void> => {
      for (const e of await readdir(join(copied, sub), { withFileTypes: true })) {
        if (e.isDirectory()) await walk(join(sub, e.name))
        else files.push(join(sub, e.name))
      }
    }
    await walk('')
    // A second bucket on the same server.
    const other = await startS3Server({ bucket: 'copied' })
    try {
      const oc = clientOf(other.url, 'copied')
      for (const f of files) await oc.send(new PutObjectCommand({ Bucket: 'copied', Key: f, Body: await readFile(join(copied, f)) }))
      oc.destroy()
      const r = await gc(other.s3Uri(), ['--keep-jobs', '1', '--grace', '0s'])
      expect(r.code).toBe(0)
      expect(r.stderr).toMatch(/Nothing deleted: the cache holds no job records yet/)
      expect(other.requests.filter((q) => q.method === 'DELETE' || (q.method === 'POST' && q.url.includes('delete')))).toEqual([])
    } finally {
      await other.stop()
      c.destroy()
    }
  })
})
