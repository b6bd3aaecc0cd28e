// s3rver in a process of its own (s3-server-process.ts), so that a test can freeze it (SIGSTOP):
// an S3 endpoint that still accepts connections (the kernel's backlog) and never answers.
// Usage: node s3-server-main.mjs <dir> <bucket> <accessKeyId> <secretAccessKey>
// Prints `{"port":N}` once listening, then one JSON line per finished request.
import { createServer } from 'node:http'
import { createRequire } from 'node:module'

const [dir, bucket, accessKeyId, secretAccessKey] = process.argv.slice(2)
const require = createRequire(import.meta.url)
require('@20minutes/s3rver/lib/models/account').DUMMY_ACCOUNT.createKeyPair(accessKeyId, secretAccessKey)
const S3rver = require('@20minutes/s3rver')
const app = new S3rver({ directory: dir, silent: true, configureBuckets: [{ name: bucket, configs: [] }] })
await app.configureBuckets()
const handler = app.callback()
const server = createServer((req, res) => {
  const signed = req.headers.authorization !== undefined || /[?&]X-Amz-Signature=/.test(req.url ?? '')
  res.on('finish', () => process.stdout.write(`${JSON.stringify({ method: req.method, url: req.url, status: res.statusCode, signed })}\n`))
  handler(req, res)
})
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`))
process.on('SIGTERM', () => process.exit(0))
