// An S3 server (s3rver) in a process of its own for the GC bench (bench/gc.ts): prints its port.
// Usage: node --openssl-legacy-provider bench/gc-s3-server.mjs DIR BUCKET ACCESS_KEY SECRET
// (s3rver's ListObjectsV2 continuation tokens use DES, which OpenSSL 3 keeps in its legacy provider.)
import { opendirSync, promises as fs } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

const load = createRequire(import.meta.url)
const S3rver = load('@20minutes/s3rver')
const [dir, bucket, accessKeyId, secret] = process.argv.slice(2)
load('@20minutes/s3rver/lib/models/account').DUMMY_ACCOUNT.createKeyPair(accessKeyId, secret)
const app = new S3rver({ directory: dir, silent: true, port: 0, address: '127.0.0.1', configureBuckets: [{ name: bucket, configs: [] }] })

// After deleting an object, s3rver reads its whole directory (readdirSync) to see whether it is
// empty. With 100,000 NARs under nar/, each DeleteObjects of 1,000 NAR keys read nar/ 1,000 times
// and took over 30 s, so the GC's requests timed out (S3 itself has no directories to clean up).
// The same clean-up, reading at most one entry.
const store = app.store
const isEmpty = (path) => {
  const d = opendirSync(path)
  try {
    return d.readSync() === null
  } finally {
    d.closeSync()
  }
}
store.deleteObject = async (b, key) => {
  await Promise.all(
    ['object', 'object.md5', 'metadata.json'].map((r) =>
      fs.unlink(store.getResourcePath(b, key, r)).catch((err) => {
        if (err.code !== 'ENOENT') throw err
      })
    )
  )
  const parts = key.split('/')
  parts.pop()
  while (parts.length && isEmpty(join(store.getBucketPath(b), ...parts))) {
    await fs.rm(join(store.getBucketPath(b), ...parts), { recursive: true })
    parts.pop()
  }
}

const { port } = await app.run()
process.stdout.write(`${port}\n`)
process.on('SIGTERM', () => app.close().then(() => process.exit(0)))
