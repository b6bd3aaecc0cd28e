// One upload of the large-NAR workload (586 MB) by a bundle of bench/upload-driver.ts, to file://,
// nginx (HTTP PUT) or s3rver (in its own process), printing its upload time, CPU time and peak RSS;
// with a directory, also a V8 CPU profile of it there, or with `trace-gc`, V8's GC trace.
//
//   npm run bench -- --build-only
//   node scripts/run-ts.mjs bench/profile-upload.ts .bench/build/upload-driver.mjs file|http|s3 [dir|trace-gc]
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startNginx } from '../__tests__/helpers/nginx.js'
import { removeTree } from '../__tests__/helpers/nix-store.js'
import { node24 } from '../__tests__/helpers/runner.js'
import { S3_CREDENTIALS } from '../__tests__/helpers/s3-server.js'
import { startS3ServerProcess } from '../__tests__/helpers/s3-server-process.js'
import { SCRATCH } from './lib/paths.js'
import { timeCpu } from './lib/timing.js'
import { graphWorkload } from './workloads/graph.js'
import { narWorkload } from './workloads/nars.js'
import type { DriverArgs, DriverResult } from './upload-driver.js'

const [driver, target, extra] = process.argv.slice(2)
if (!driver || !['file', 'http', 's3'].includes(target ?? '')) throw new Error('usage: profile-upload.ts <driver.mjs> file|http|s3 [profile-dir|trace-gc]')
const scratch = join(SCRATCH, 'profile-upload')
await removeTree(scratch)
await mkdir(scratch, { recursive: true })
const nars = await narWorkload()
const graph = await graphWorkload()
const env = { ...nars.store.env, AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey, AWS_EC2_METADATA_DISABLED: 'true' }
const nginx = target === 'http' ? await startNginx({ root: join(scratch, 'http') }) : undefined
const s3 = target === 's3' ? await startS3ServerProcess({ bucket: 'profile' }) : undefined
const cache = s3 ? s3.s3Uri : nginx ? `${nginx.url}/cache` : `file://${join(scratch, 'cache')}`
const argsFile = join(scratch, 'args.json')
const out = join(scratch, 'out.json')
const args: DriverArgs = { cache, secretKey: graph.ourSecretKey, paths: nars.paths, out }
await writeFile(argsFile, JSON.stringify(args))
const flags = extra === 'trace-gc' ? ['--trace-gc'] : extra ? ['--cpu-prof', `--cpu-prof-dir=${extra}`] : []
try {
  const t = await timeCpu(node24(), [...flags, driver, argsFile], { env, scratch })
  if (extra === 'trace-gc') process.stdout.write(t.result.stdout)
  const r = JSON.parse(await readFile(out, 'utf8')) as DriverResult
  console.log(JSON.stringify({ target, uploadSeconds: r.uploadSeconds, cpuSeconds: t.cpu, peakRssMB: Math.round(t.maxRss / 1e6), pushed: r.pushed }))
} finally {
  await nginx?.stop()
  await s3?.stop()
  await removeTree(scratch)
}
