import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { parseS3Uri } from '../../../src/config/s3-uri.js'
import type { BinaryCacheBackend } from '../../../src/executors/binary-cache/backend.js'
import { FileBackend } from '../../../src/executors/binary-cache/file.js'
import { FileCollectable } from '../../../src/executors/binary-cache/file-listing.js'
import type { CollectableCache, ListedObject } from '../../../src/executors/binary-cache/listing.js'
import { narUrl } from '../../../src/executors/binary-cache/nar-writer.js'
import { S3Backend } from '../../../src/executors/binary-cache/s3.js'
import { S3Collectable } from '../../../src/executors/binary-cache/s3-listing.js'
import { uploadPaths } from '../../../src/executors/binary-cache/upload.js'
import { recordKey, renderRecordPart } from '../../../src/format/job-record.js'
import { narHashOf } from '../../../src/format/nar.js'
import { formatNix32Hash } from '../../../src/format/nix32.js'
import type { PathInfo } from '../../../src/format/path-info.js'
import { generateSecretKey, parseSecretKey } from '../../../src/format/signing.js'
import { collectGarbage, type GcResult } from '../../../src/gc/run.js'
import { parseGcOptions } from '../../../src/gc/options.js'
import { S3_CREDENTIALS, startS3Server, type S3Request, type S3Server } from '../../helpers/s3-server.js'
import { GC_HEARTBEAT_KEY } from '../../../src/executors/binary-cache/gc-window.js'

// A GC decides from its listing and deletes later. A NAR that no narinfo named at the listing (its
// narinfo went in an earlier run, or another job was killed between NAR and narinfo) is deleted
// if it is older than the grace. A push that finds that NAR and names it in a narinfo meanwhile
// must mark it in use, as it marks the narinfos it finds (docs/gc.md, "Pushes and a GC at the
// same time"): otherwise the cache ends with a narinfo whose NAR is gone. This is what the
// concurrent GC tests met on S3, where every NAR is asked about before it is written.

let dir: string
let s3: S3Server
const signer = parseSecretKey(generateSecretKey('push-during-gc-1'))
/** A GC's check-to-delete window of 3 s (20 s by default), so the push that waits it out is quick. */
const WINDOW_MS = 3000

beforeAll(async () => {
  process.env.NIX_BUILDTIME_CACHE_TEST_TIMEOUTS = JSON.stringify({ gcWindowMs: WINDOW_MS })
  dir = await mkdtemp(join(tmpdir(), 'push-during-gc-'))
  s3 = await startS3Server({ bucket: 'during-gc' })
})
afterAll(async () => {
  delete process.env.NIX_BUILDTIME_CACHE_TEST_TIMEOUTS
  await s3?.stop()
  await rm(dir, { recursive: true, force: true })
})

async function ageFiles(root: string, byMs: number): Promise<void> {
  const when = new Date(Date.now() - byMs)
  for (const e of await readdir(root, { withFileTypes: true })) {
    if (e.isDirectory()) await ageFiles(join(root, e.name), byMs)
    else await utimes(join(root, e.name), when, when)
  }
}

/** A path large enough that every backend asks whether its NAR is there before writing it. */
async function makePath(store: string, name: string, references: string[] = []): Promise<PathInfo> {
  const path = `/nix/store/${randomBytes(16).toString('hex').replace(/e/g, 'a')}-${name}`
  const fsPath = join(store, path.slice('/nix/store/'.length))
  await mkdir(fsPath, { recursive: true })
  await writeFile(join(fsPath, 'data'), randomBytes(1024 * 1024))
  const { hash, size } = await narHashOf(fsPath)
  return { path, narHash: formatNix32Hash(hash), narSize: size, references, signatures: [], ultimate: true }
}

/** The GC's view of the cache, with `meanwhile` run after the last page of the listing. */
function pausedAfterListing(cache: CollectableCache, meanwhile: () => Promise<void>): CollectableCache {
  return {
    get displayUrl() {
      return cache.displayUrl
    },
    get requests() {
      return cache.requests
    },
    removesAtomically: cache.removesAtomically,
    async *pages(): AsyncIterable<ListedObject[]> {
      yield* cache.pages()
      await meanwhile()
    },
    read: (key) => cache.read(key),
    remove: (keys, cutoffMs) => cache.remove(keys, cutoffMs)
  }
}

interface Kind {
  name: string
  backend(): BinaryCacheBackend
  collectable(): CollectableCache
  has(key: string): Promise<boolean>
  write(key: string, text: string): Promise<void>
  /** The files that hold the cache's objects, to age them. */
  files: string
}

const cacheDir = (): string => join(dir, 'file-cache')
const kinds: Kind[] = [
  {
    name: 'file://',
    backend: () => new FileBackend(cacheDir()),
    collectable: () => new FileCollectable(cacheDir()),
    has: async (key) => existsSync(join(cacheDir(), key)),
    write: async (key, text) => {
      await mkdir(join(cacheDir(), key, '..'), { recursive: true })
      await writeFile(join(cacheDir(), key), text)
    },
    get files() {
      return cacheDir()
    }
  },
  {
    name: 's3://',
    backend: () => new S3Backend({ location: parseS3Uri(s3.s3Uri()), credentials: S3_CREDENTIALS }),
    collectable: () => new S3Collectable({ location: parseS3Uri(s3.s3Uri()), credentials: S3_CREDENTIALS }),
    has: async (key) => (await fetch(`${s3.bucketUrl}/${key}`, { method: 'HEAD' })).status === 200,
    write: async (key, text) => {
      const b = new S3Backend({ location: parseS3Uri(s3.s3Uri()), credentials: S3_CREDENTIALS })
      try {
        await b.put(key, () => Readable.from([text]), 'application/json')
      } finally {
        b.close()
      }
    },
    get files() {
      return s3.dir
    }
  }
]

describe.each(kinds)('a push during a GC on $name', (kind) => {
  it('marks a NAR it finds and names in a narinfo, so a GC that listed it unnamed keeps it', async () => {
    const store = join(dir, `store-${kind.name.replace(/\W/g, '')}`)
    const reused = await makePath(store, 'reused')
    const orphan = await makePath(store, 'orphan')
    const backend = kind.backend()
    const opts = { backend, signer, compression: 'zstd' as const, parallelism: 2, realStoreDir: store, spoolDir: store }
    try {
      await backend.prepare('/nix/store')
      // Both NARs are in the cache with no narinfo naming them, an hour old.
      expect((await uploadPaths([reused, orphan], { ...opts, narsOnly: true })).pushed).toHaveLength(2)
      await kind.write(recordKey('old', 'post'), renderRecordPart({ job: 'old', time: Date.now() - 100 * 86_400_000, pushed: [], used: [] }))
      await ageFiles(kind.files, 3_600_000)
      // A job of today, so the GC has a record to go by and deletes.
      await kind.write(recordKey('today', 'post'), renderRecordPart({ job: 'today', time: Date.now(), pushed: [], used: [] }))

      let pushed: string[] = []
      const gc = kind.collectable()
      const result = await collectGarbage(
        pausedAfterListing(gc, async () => {
          // The push: the narinfo of `reused` is absent, its NAR is there and is not written again.
          pushed = (await uploadPaths([reused], opts)).pushed.map((p) => p.path)
        }),
        parseGcOptions({ 'keep-days': '1', grace: '10m' })
      )
      gc.close?.()
      expect(pushed).toEqual([reused.path])
      const narOf = (info: PathInfo): string => narUrl(info, 'zstd')
      expect({
        reusedNarinfo: await kind.has(`${reused.path.slice(11, 43)}.narinfo`),
        reusedNar: await kind.has(narOf(reused)),
        // The other NAR, which no push relied on, shows that this GC did delete.
        orphanNar: await kind.has(narOf(orphan))
      }).toEqual({ reusedNarinfo: true, reusedNar: true, orphanNar: false })
      expect(result.refreshed).toBe(1)
    } finally {
      ;(backend as { close?: () => void }).close?.()
    }
  })
})

/**
 * A bucket of its own for one test, where the GC's first DeleteObjects is held back: a job pushes
 * meanwhile, and the delete goes on once the server has answered the job's copy of `touchedKey`
 * onto itself (its touch), so the touch falls between the GC's check and its delete.
 */
async function heldBucket(bucket: string) {
  const hooks = { hold: (_m: string, _u: string): Promise<void> | undefined => undefined, answered: (_r: S3Request): void => undefined }
  const server = await startS3Server({ bucket, hold: (m, u) => hooks.hold(m, u), answered: (r) => hooks.answered(r) })
  const location = parseS3Uri(server.s3Uri())
  const prefix = server.bucketUrl.slice(server.url.length)
  const backends: S3Backend[] = []
  return {
    server,
    prefix,
    backend(): S3Backend {
      const b = new S3Backend({ location, credentials: S3_CREDENTIALS })
      backends.push(b)
      return b
    },
    has: async (key: string): Promise<boolean> => (await fetch(`${server.bucketUrl}/${key}`, { method: 'HEAD' })).status === 200,
    /** Everything so far an hour old, with a record of 100 days ago and one of today that keep nothing: all of it is the GC's to delete. */
    async ageWithRecords(via: S3Backend): Promise<void> {
      const record = (job: string, time: number): Promise<void> => via.put(recordKey(job, 'post'), () => Readable.from([renderRecordPart({ job, time, pushed: [], used: [] })]), 'application/json')
      await record('old', Date.now() - 100 * 86_400_000)
      await ageFiles(server.dir, 3_600_000)
      await record('today', Date.now())
    },
    /** A GC whose first delete waits for `during`'s touch of `touchedKey`; `watch` sees every request answered. */
    async collectWhile<T>(touchedKey: string, during: () => Promise<T>, watch: (r: S3Request) => void = () => undefined): Promise<{ gc: GcResult; during: T }> {
      let touched: () => void = () => undefined
      const touchedIt = new Promise<void>((resolve) => (touched = resolve))
      let job: Promise<T> | undefined
      hooks.answered = (r) => {
        watch(r)
        if (r.method === 'PUT' && r.url === `${prefix}/${touchedKey}?x-id=CopyObject`) touched()
      }
      hooks.hold = (method, url) => {
        if (method !== 'POST' || !/\?delete/.test(url) || job) return undefined
        watch({ method: 'GC deletes', url: '', status: 0, signed: true })
        job = during()
        return touchedIt
      }
      const collectable = new S3Collectable({ location, credentials: S3_CREDENTIALS })
      try {
        const gc = await collectGarbage(collectable, parseGcOptions({ 'keep-days': '1', grace: '10m' }))
        if (!job) throw new Error('the GC deleted nothing, so no job ran between its check and its delete')
        return { gc, during: await job }
      } finally {
        collectable.close()
      }
    },
    async stop(): Promise<void> {
      for (const b of backends) b.close()
      await server.stop()
    }
  }
}

describe('a push during a GC on s3://, between the GC\'s check and its delete', () => {
  it('writes a NAR it touched again when the GC deleted it all the same, before any narinfo names it', async () => {
    // S3 checks (HeadObject) and deletes (DeleteObjects) in two requests: the push touches the NAR
    // after the GC found it old, and the GC deletes it anyway. The GC renews a heartbeat while it
    // deletes; the push sees it, waits out the GC's window, finds the NAR gone and writes it again.
    const bucket = await heldBucket('window')
    const store = join(dir, 'store-window')
    const reused = await makePath(store, 'reused')
    const orphan = await makePath(store, 'orphan')
    const narOf = (info: PathInfo): string => narUrl(info, 'zstd')
    const nar = narOf(reused)
    const opts = { signer, compression: 'zstd' as const, parallelism: 2, realStoreDir: store, spoolDir: store }
    try {
      const backend = bucket.backend()
      await backend.prepare('/nix/store')
      expect((await uploadPaths([reused, orphan], { ...opts, backend, narsOnly: true })).pushed).toHaveLength(2)
      await bucket.ageWithRecords(backend)

      const log: string[] = []
      const pusher = bucket.backend()
      const { gc, during } = await bucket.collectWhile(
        nar,
        async () => {
          const o = await uploadPaths([reused], { ...opts, backend: pusher })
          return [...o.pushed.map((p) => p.path), ...o.failed.map((f) => f.reason)]
        },
        (r) => {
          if (r.method === 'GC deletes') log.push(r.method)
          else if (r.signed && r.url.startsWith(`${bucket.prefix}/${nar}`)) log.push(`${r.method} ${r.url.slice(bucket.prefix.length + 1)} ${r.status}`)
        }
      )
      expect(during).toEqual([reused.path])
      expect(gc.nars.deleted).toBe(2)
      expect({
        reusedNarinfo: await bucket.has(`${reused.path.slice(11, 43)}.narinfo`),
        reusedNar: await bucket.has(nar),
        orphanNar: await bucket.has(narOf(orphan))
      }).toEqual({ reusedNarinfo: true, reusedNar: true, orphanNar: false })
      // Found (HEAD), touched (COPY), deleted by the GC, found gone after the window (the settler's
      // HEAD, then the upload's own), written again. Repeated 404s are one: under load the GC may abandon its held delete at the window and
      // check again, and its check is a HEAD too.
      const seen = log.slice(log.indexOf('GC deletes')).filter((line, i, all) => !(line.endsWith(' 404') && all[i - 1] === line))
      expect(seen).toEqual(['GC deletes', `HEAD ${nar} 200`, `PUT ${nar}?x-id=CopyObject 200`, `HEAD ${nar} 404`, `PUT ${nar}?x-id=PutObject 200`])
      // The GC renewed its heartbeat before its checks; the push read it.
      const beats = bucket.server.requests.filter((r) => r.url.startsWith(`${bucket.prefix}/${GC_HEARTBEAT_KEY}`)).map((r) => `${r.method} ${r.status}`)
      expect({ renewed: beats.includes('PUT 200'), read: beats.includes('HEAD 200') }).toEqual({ renewed: true, read: true })
    } finally {
      await bucket.stop()
    }
  })

  it('does not publish a path whose reference it found and touched was deleted by the GC all the same', async () => {
    const bucket = await heldBucket('window-refs')
    const store = join(dir, 'store-window-refs')
    const library = await makePath(store, 'library')
    const app = await makePath(store, 'app', [library.path])
    const libraryKey = `${library.path.slice(11, 43)}.narinfo`
    const opts = { signer, compression: 'zstd' as const, parallelism: 2, realStoreDir: store, spoolDir: store }
    try {
      const backend = bucket.backend()
      await backend.prepare('/nix/store')
      expect((await uploadPaths([library], { ...opts, backend })).pushed).toHaveLength(1)
      await bucket.ageWithRecords(backend)

      // The GC has found the library's narinfo old and unused. Before its delete arrives, a job
      // finds it (and touches it), and pushes an app that references it.
      const pusher = bucket.backend()
      const { during } = await bucket.collectWhile(libraryKey, async () => {
        expect([...(await pusher.existing([library.path.slice(11, 43)]))]).toHaveLength(1)
        const o = await uploadPaths([app], { ...opts, backend: pusher })
        return { pushed: o.pushed.map((p) => p.path), failed: o.failed.map((f) => f.reason) }
      })
      // The app is not published: its narinfo would name a library the cache no longer has.
      expect(during).toEqual({ pushed: [], failed: [`a path it references (${library.path}) was deleted by a retention GC as this job pushed`] })
      expect({ library: await bucket.has(libraryKey), app: await bucket.has(`${app.path.slice(11, 43)}.narinfo`) }).toEqual({ library: false, app: false })
    } finally {
      await bucket.stop()
    }
  })

  it('asks nothing again when the last GC stopped deleting long before (its heartbeat read by S3\'s own clock)', async () => {
    const server = await startS3Server({ bucket: 'after-gc' })
    const location = parseS3Uri(server.s3Uri())
    const store = join(dir, 'store-after-gc')
    const reused = await makePath(store, 'reused')
    const backend = new S3Backend({ location, credentials: S3_CREDENTIALS })
    const opts = { backend, signer, compression: 'zstd' as const, parallelism: 2, realStoreDir: store, spoolDir: store }
    try {
      await backend.prepare('/nix/store')
      expect((await uploadPaths([reused], { ...opts, narsOnly: true })).pushed).toHaveLength(1)
      await backend.put(GC_HEARTBEAT_KEY, () => Readable.from(['{}']), 'application/json')
      await ageFiles(server.dir, 3_600_000)
      const before = server.requests.length
      expect((await uploadPaths([reused], opts)).pushed.map((p) => p.path)).toEqual([reused.path])
      const bucket = server.bucketUrl.slice(server.url.length)
      // Found and touched, the heartbeat read once, and the NAR not asked about again.
      const seen = server.requests.slice(before).map((r) => `${r.method} ${r.url.slice(bucket.length + 1).replace(/^nar\/.*\.nar\.zst/, 'NAR').replace(/^\w+\.narinfo/, 'NARINFO')}`)
      expect(seen).toEqual(['HEAD NAR', 'PUT NAR?x-id=CopyObject', `HEAD ${GC_HEARTBEAT_KEY}`, 'PUT NARINFO?x-id=PutObject'])
    } finally {
      backend.close()
      await server.stop()
    }
  })
})
