// The streamed-upload A/B driver (docs/BENCHMARKS.md, "Streamed uploads"): uploads every path of a
// directory laid out like a store (<32-char hash>-<name>/…) with this tree's uploadPaths
// (parallelism 8, zstd) to an HTTP cache or an S3 bucket, and prints one JSON line: seconds, bytes,
// peak RSS and CPU time. For an A/B, run it from two checkouts, alternating.
//
//   node scripts/run-ts.mjs bench/streamed-upload.ts http http://127.0.0.1:PORT/prefix <dir>
//   node scripts/run-ts.mjs bench/streamed-upload.ts s3 "s3://b?endpoint=http://127.0.0.1:PORT&region=us-east-1" <dir>
//     (S3 with the key pair S3RVER/S3RVER, s3rver's default)
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { S3Backend } from '../src/executors/binary-cache/s3.js'
import { HttpBackend } from '../src/executors/binary-cache/http.js'
import { parseS3Uri } from '../src/config/s3-uri.js'
import { uploadPaths } from '../src/executors/binary-cache/upload.js'
import { narHashOf } from '../src/format/nar.js'
import { formatNix32Hash } from '../src/format/nix32.js'
const [kind, url, store] = process.argv.slice(2) as [string, string, string]
const infos = []
for (const base of (await readdir(store)).sort()) {
  const { hash, size } = await narHashOf(join(store, base))
  infos.push({ path: `/nix/store/${base}`, narHash: formatNix32Hash(hash), narSize: size, references: [], signatures: [], ultimate: true })
}
const backend = kind === 's3' ? new S3Backend({ location: parseS3Uri(url), credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } }) : new HttpBackend({ url })
const t0 = performance.now()
const out = await uploadPaths(infos, { backend, compression: 'zstd', parallelism: 8, realStoreDir: store })
const seconds = (performance.now() - t0) / 1000
if (backend instanceof S3Backend) backend.close()
console.log(JSON.stringify({ kind, pushed: out.pushed.length, failed: out.failed.length, seconds, fileBytes: out.pushed.reduce((a, p) => a + p.fileSize, 0), maxRss: process.resourceUsage().maxRSS * 1024, cpu: (process.resourceUsage().userCPUTime + process.resourceUsage().systemCPUTime) / 1e6 }))
