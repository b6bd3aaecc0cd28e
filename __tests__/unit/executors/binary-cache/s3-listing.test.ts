import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { existsSync, utimesSync } from 'node:fs'
import { join } from 'node:path'
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { parseS3Uri } from '../../../../src/config/s3-uri.js'
import { S3Collectable } from '../../../../src/executors/binary-cache/s3-listing.js'
import { S3_CREDENTIALS, startS3Server, type S3Server } from '../../../helpers/s3-server.js'

// The GC's S3 requests against a server that answers 500 now and then (S3 asks clients to retry
// its 500 InternalError and 503 SlowDown; s3rver gives 500 while it rewrites an object).
const BUCKET = 'gc-listing'
let server: S3Server
/** Requests (method and path) still to fail, each once, with their status. */
const failures: Array<{ method: string; path: RegExp; status: number; meanwhile?: () => void }> = []
/** Requests (method and path) to hold back, each once, for that many ms. */
const holds: Array<{ method: string; path: RegExp; ms: number }> = []

beforeAll(async () => {
  process.env.NIX_BUILDTIME_CACHE_TEST_TIMEOUTS = JSON.stringify({ retryBaseDelayMs: 10, retryMaxDelayMs: 50 })
  server = await startS3Server({
    bucket: BUCKET,
    fault: (method, url) => {
      const i = failures.findIndex((f) => f.method === method && f.path.test(url))
      const f = i < 0 ? undefined : failures.splice(i, 1)[0]
      f?.meanwhile?.()
      return f?.status
    },
    hold: (method, url) => {
      const i = holds.findIndex((h) => h.method === method && h.path.test(url))
      const h = i < 0 ? undefined : holds.splice(i, 1)[0]
      return h && new Promise<void>((resolve) => setTimeout(resolve, h.ms))
    }
  })
  const c = new S3Client({ endpoint: server.url, region: 'us-east-1', forcePathStyle: true, credentials: S3_CREDENTIALS })
  for (const key of ['a.narinfo', 'nar/a.nar.zst', 'nar/b.nar.zst']) await c.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: `text of ${key}` }))
  c.destroy()
})

afterAll(async () => {
  delete process.env.NIX_BUILDTIME_CACHE_TEST_TIMEOUTS
  await server.stop()
})

const collectable = (): S3Collectable => new S3Collectable({ location: parseS3Uri(server.s3Uri()), credentials: S3_CREDENTIALS })

/** A GC whose check-to-delete window is `windowMs` (20 s by default). */
function collectableWithWindow(windowMs: number): S3Collectable {
  const before = process.env.NIX_BUILDTIME_CACHE_TEST_TIMEOUTS
  process.env.NIX_BUILDTIME_CACHE_TEST_TIMEOUTS = JSON.stringify({ ...JSON.parse(before ?? '{}'), gcWindowMs: windowMs })
  try {
    return collectable()
  } finally {
    process.env.NIX_BUILDTIME_CACHE_TEST_TIMEOUTS = before
  }
}

const aged = (key: string): void => {
  const old = new Date(Date.now() - 3_600_000)
  utimesSync(join(server.dir, BUCKET, `${key}._S3rver_object`), old, old)
}

describe('S3Collectable', () => {
  it('retries a LIST, GET, HEAD and DeleteObjects that the server answers with 500 or 503', async () => {
    const cache = collectable()
    try {
      failures.push({ method: 'GET', path: /^\/gc-listing\?.*list-type=2/, status: 500 })
      const keys: string[] = []
      for await (const page of cache.pages()) keys.push(...page.map((o) => o.key))
      expect(keys.sort()).toEqual(['a.narinfo', 'nar/a.nar.zst', 'nar/b.nar.zst'])

      failures.push({ method: 'GET', path: /^\/gc-listing\/a\.narinfo/, status: 500 })
      expect(await cache.read('a.narinfo')).toBe('text of a.narinfo')

      failures.push({ method: 'HEAD', path: /^\/gc-listing\/nar\/a\.nar\.zst/, status: 503 })
      failures.push({ method: 'POST', path: /^\/gc-listing\?delete/, status: 500 })
      const removed = await cache.remove(['nar/a.nar.zst'], Date.now() + 60_000)
      expect(removed).toEqual({ deleted: ['nar/a.nar.zst'], fresh: [], missing: [] })
      // Every fault was met (and so retried), and the object is really gone.
      expect(failures).toEqual([])
      expect(server.requests.filter((r) => r.status >= 500)).toHaveLength(4)
      const after: string[] = []
      for await (const page of cache.pages()) after.push(...page.map((o) => o.key))
      expect(after).toEqual(['a.narinfo', 'nar/b.nar.zst'])
    } finally {
      await cache.finish()
      cache.close()
    }
  })

  it('checks a batch again before it retries a failed DeleteObjects, and keeps what a push touched meanwhile', async () => {
    const cache = collectable()
    const object = join(server.dir, BUCKET, 'nar', 'b.nar.zst._S3rver_object')
    const old = new Date(Date.now() - 3_600_000)
    utimesSync(object, old, old)
    const before = server.requests.length
    try {
      // The delete fails, and a push touches the NAR (a CopyObject onto itself) before the retry.
      failures.push({ method: 'POST', path: /^\/gc-listing\?delete/, status: 500, meanwhile: () => utimesSync(object, new Date(), new Date()) })
      const removed = await cache.remove(['nar/b.nar.zst'], Date.now() - 60_000)
      expect(removed).toEqual({ deleted: [], fresh: ['nar/b.nar.zst'], missing: [] })
      // The heartbeat is renewed before the first checks (within half the window, not again).
      // (First the heartbeat is read: the last GC's, which has ended.)
      expect(server.requests.slice(before).map((r) => `${r.method} ${r.status}`)).toEqual(['HEAD 200', 'PUT 200', 'HEAD 200', 'POST 500', 'HEAD 200'])
    } finally {
      await cache.finish()
      cache.close()
    }
  })

  it('renews its heartbeat before its checks, and checks again when they took over half its window', async () => {
    const c = new S3Client({ endpoint: server.url, region: 'us-east-1', forcePathStyle: true, credentials: S3_CREDENTIALS })
    await c.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'nar/slow.nar.zst', Body: 'slow' }))
    c.destroy()
    aged('nar/slow.nar.zst')
    const cache = collectableWithWindow(400)
    const before = server.requests.length
    try {
      // The first check is answered after 300 ms, past half the window: a touch could come later
      // than the window allows before the delete.
      holds.push({ method: 'HEAD', path: /^\/gc-listing\/nar\/slow\.nar\.zst/, ms: 300 })
      expect(await cache.remove(['nar/slow.nar.zst'], Date.now() - 60_000)).toEqual({ deleted: ['nar/slow.nar.zst'], fresh: [], missing: [] })
      const seen = server.requests.slice(before).map((r) => `${r.method} ${r.url.replace(/\?.*/, '').replace('/gc-listing', '')}`)
      expect(seen).toEqual([
        'HEAD /nix-buildtime-cache/gc-heartbeat',
        'PUT /nix-buildtime-cache/gc-heartbeat',
        'HEAD /nar/slow.nar.zst',
        'PUT /nix-buildtime-cache/gc-heartbeat',
        'HEAD /nar/slow.nar.zst',
        'POST '
      ])
    } finally {
      await cache.finish()
      cache.close()
    }
  })

  it('abandons a DeleteObjects not answered within its window, and deletes only after new checks', async () => {
    const c = new S3Client({ endpoint: server.url, region: 'us-east-1', forcePathStyle: true, credentials: S3_CREDENTIALS })
    await c.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'nar/late.nar.zst', Body: 'late' }))
    c.destroy()
    aged('nar/late.nar.zst')
    const cache = collectableWithWindow(400)
    const before = server.requests.length
    try {
      // The server holds the delete for 1.5 s; the GC gives up on it at the window and checks again.
      // (A server that applies such a request later anyway is the one case the window cannot cover.)
      holds.push({ method: 'POST', path: /^\/gc-listing\?delete/, ms: 1500 })
      const started = Date.now()
      const removed = await cache.remove(['nar/late.nar.zst'], Date.now() - 60_000)
      expect({ removed: removed.deleted, waitedForTheHeldDelete: Date.now() - started >= 1500 }).toEqual({ removed: ['nar/late.nar.zst'], waitedForTheHeldDelete: false })
      const checks = server.requests.slice(before).filter((r) => r.method === 'HEAD' && r.url.startsWith('/gc-listing/nar/late.nar.zst'))
      expect(checks.length).toBe(2)
    } finally {
      await cache.finish()
      cache.close()
    }
  })

  it('deletes nothing while another GC deletes (its heartbeat fresh and not ended), and goes on once that one has ended', async () => {
    const c = new S3Client({ endpoint: server.url, region: 'us-east-1', forcePathStyle: true, credentials: S3_CREDENTIALS })
    await c.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'nar/other.nar.zst', Body: 'other' }))
    c.destroy()
    aged('nar/other.nar.zst')
    const first = collectable()
    const second = collectable()
    try {
      // The first GC is in the middle of its deletes: its heartbeat says so.
      expect((await first.remove(['nar/none.nar.zst'], Date.now() - 60_000)).missing).toEqual(['nar/none.nar.zst'])
      await expect(second.remove(['nar/other.nar.zst'], Date.now() - 60_000)).rejects.toThrow(/another GC has been deleting from s3:\/\/gc-listing .*Nothing was deleted/)
      expect(existsSync(join(server.dir, BUCKET, 'nar', 'other.nar.zst._S3rver_object'))).toBe(true)
      await first.finish()
      expect(await collectable().remove(['nar/other.nar.zst'], Date.now() - 60_000)).toEqual({ deleted: ['nar/other.nar.zst'], fresh: [], missing: [] })
    } finally {
      first.close()
      second.close()
    }
  })
})
