import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readdir, utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { runCli } from '../../helpers/cli.js'
import { S3_CREDENTIALS, startS3Server, type S3Server } from '../../helpers/s3-server.js'
import { recordKey, renderRecordPart } from '../../../src/format/job-record.js'
import { GC_HEARTBEAT_KEY } from '../../../src/executors/binary-cache/gc-window.js'

// On S3 a GC checks (HeadObject) and deletes (DeleteObjects) in two requests, so the NARs of the
// narinfos one run deletes wait for the next run (docs/gc.md, "Pushes and a GC at the same time").
const BUCKET = 'nix-cache'
const HASH = '0'.repeat(31) + '1'
const NAR = `nar/${'1'.repeat(52)}.nar.zst`
let s3: S3Server
let c: S3Client
const env = { PATH: process.env.PATH, AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey, AWS_EC2_METADATA_DISABLED: 'true' }

async function keys(): Promise<string[]> {
  const res = await c.send(new ListObjectsV2Command({ Bucket: BUCKET }))
  // Less the GC's heartbeat, which it leaves for pushes to read (docs/gc.md).
  return (res.Contents ?? []).map((o) => o.Key as string).filter((k) => k !== GC_HEARTBEAT_KEY).sort()
}

beforeAll(async () => {
  s3 = await startS3Server({ bucket: BUCKET })
  c = new S3Client({ endpoint: s3.url, region: 'us-east-1', forcePathStyle: true, credentials: S3_CREDENTIALS })
  // s3rver signs bucket-level paths without their trailing slash.
  c.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { path?: string }
      if (request.path === `/${BUCKET}/`) request.path = `/${BUCKET}`
      return next(args)
    },
    { step: 'build' }
  )
  const put = (Key: string, Body: string): Promise<unknown> => c.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body }))
  await put(`${HASH}.narinfo`, `StorePath: /nix/store/${HASH}-old\nURL: ${NAR}\nCompression: zstd\nFileSize: 64\nNarHash: sha256:${'ab'.repeat(32)}\nNarSize: 120\nReferences: \nSig: test-1:${Buffer.alloc(64, 7).toString('base64')}\n`)
  await put(NAR, 'x')
  await put(recordKey('expired', 'post'), renderRecordPart({ job: 'expired', time: Date.now() - 100 * 86_400_000, pushed: [`/nix/store/${HASH}-old`], used: [] }))
  const hourAgo = new Date(Date.now() - 3_600_000)
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(dir, e.name))
      else await utimes(join(dir, e.name), hourAgo, hourAgo)
    }
  }
  await walk(s3.dir)
  // A job of today (written after the ageing, so within the grace): with no record left at all, a
  // GC deletes nothing (the cache would look filled by other tools).
  await put(recordKey('today', 'post'), renderRecordPart({ job: 'today', time: Date.now(), pushed: [], used: [] }))
})

afterAll(async () => {
  c?.destroy()
  await s3?.stop()
})

describe('gc on S3 with a grace', () => {
  it('leaves the NARs of the narinfos it deleted for the next run, which deletes them', async () => {
    const gc = (): Promise<{ code: number | null; stderr: string }> => runCli(['gc', '--cache', s3.s3Uri(), '--keep-days', '1', '--grace', '10m'], { env })
    const first = await gc()
    expect(first.code).toBe(0)
    expect({ keys: await keys(), stderr: first.stderr }).toEqual({ keys: [NAR, recordKey('today', 'post')], stderr: expect.stringMatching(/left for the next run/) })
    expect(first.stderr).toMatch(/1 NAR\(s\) of the narinfos deleted now are left for the next run/)
    const second = await gc()
    expect(second.code).toBe(0)
    expect(await keys()).toEqual([recordKey('today', 'post')])
  })
})
