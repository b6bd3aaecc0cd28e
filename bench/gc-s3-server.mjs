// An S3 server (s3rver) in a process of its own for the GC bench (bench/gc.ts): prints its port.
// Usage: node --openssl-legacy-provider bench/gc-s3-server.mjs DIR BUCKET ACCESS_KEY SECRET
// (s3rver's ListObjectsV2 continuation tokens use DES, which OpenSSL 3 keeps in its legacy provider.)
import { createRequire } from 'node:module'

const load = createRequire(import.meta.url)
const S3rver = load('@20minutes/s3rver')
const [dir, bucket, accessKeyId, secret] = process.argv.slice(2)
load('@20minutes/s3rver/lib/models/account').DUMMY_ACCOUNT.createKeyPair(accessKeyId, secret)
const app = new S3rver({ directory: dir, silent: true, port: 0, address: '127.0.0.1', configureBuckets: [{ name: bucket, configs: [] }] })
const { port } = await app.run()
process.stdout.write(`${port}\n`)
process.on('SIGTERM', () => app.close().then(() => process.exit(0)))
