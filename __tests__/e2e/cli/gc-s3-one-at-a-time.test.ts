import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readdir, utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { runCli } from '../../helpers/cli.js'
import { S3_CREDENTIALS, startS3Server, type S3Server } from '../../helpers/s3-server.js'
import { recordKey, renderRecordPart } from '../../../src/format/job-record.js'

// One GC at a time per cache (docs/gc.md): a GC that finds another's heartbeat fresh and not ended
// stops before deleting anything, and says why.
const BUCKET = 'nix-cache'
const NAR = `nar/${'1'.repeat(52)}.nar.zst`
let s3: S3Server
let c: S3Client
let releaseDelete: () => void = () => undefined
let deleteHeld: () => void = () => undefined
const heldDelete = new Promise<void>((resolve) => (deleteHeld = resolve))
const env = { PATH: process.env.PATH, AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey, AWS_EC2_METADATA_DISABLED: 'true' }

async function keys(): Promise<string[]> {
  const res = await c.send(new ListObjectsV2Command({ Bucket: BUCKET }))
  return (res.Contents ?? []).map((o) => o.Key as string).sort()
}

beforeAll(async () => {
  let held = false
  s3 = await startS3Server({
    bucket: BUCKET,
    // The first GC's first delete waits until the test lets it go.
    hold: (method, url) => {
      if (method !== 'POST' || !/\?delete/.test(url) || held) return undefined
      held = true
      deleteHeld()
      return new Promise<void>((resolve) => (releaseDelete = resolve))
    }
  })
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
  await c.send(new PutObjectCommand({ Bucket: BUCKET, Key: NAR, Body: 'x' }))
  const hourAgo = new Date(Date.now() - 3_600_000)
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(dir, e.name))
      else await utimes(join(dir, e.name), hourAgo, hourAgo)
    }
  }
  await walk(s3.dir)
  await c.send(new PutObjectCommand({ Bucket: BUCKET, Key: recordKey('today', 'post'), Body: renderRecordPart({ job: 'today', time: Date.now(), pushed: [], used: [] }) }))
})

afterAll(async () => {
  releaseDelete()
  c?.destroy()
  await s3?.stop()
})

describe('two GCs at once on S3', () => {
  it('stops the second before it deletes anything, and lets the next one run once the first has ended', async () => {
    const gc = (): Promise<{ code: number | null; stderr: string }> => runCli(['gc', '--cache', s3.s3Uri(), '--keep-days', '1', '--grace', '10m'], { env })
    const first = gc()
    await heldDelete
    const second = await gc()
    expect({ code: second.code, said: /gc stopped: another GC has been deleting from s3:\/\/nix-cache .*Nothing was deleted/.test(second.stderr) }).toEqual({ code: 1, said: true })
    expect(await keys()).toContain(NAR)
    releaseDelete()
    expect((await first).code).toBe(0)
    expect(await keys()).not.toContain(NAR)
    // The first said it had ended: a GC right after it runs.
    const third = await gc()
    expect({ code: third.code, stderr: third.code === 0 ? '' : third.stderr }).toEqual({ code: 0, stderr: '' })
  })
})
