// Before/after on the upload path, interleaved (docs/BENCHMARKS.md, "Before and after, issue 22"):
// runs two bundles of bench/upload-driver.ts (the action's push path, in its own Node 24 process)
// on the large-NAR workload of `npm run bench`, to file://, nginx (HTTP PUT) and s3rver (in its own
// process), with `zstd -T0 -3` over the same NARs in every round. The order of the two bundles
// alternates by round. Prints one line per run and a Markdown table.
//
//   npm run bench -- --build-only && cp .bench/build/upload-driver.mjs /tmp/after.mjs
//   (the same in a checkout of the earlier commit, to /tmp/before.mjs)
//   node scripts/run-ts.mjs bench/ab-upload.ts /tmp/before.mjs /tmp/after.mjs [rounds=3]
// The workloads must exist (one `npm run bench` generates them).
import { readFile, rm, writeFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { startNginx } from '../__tests__/helpers/nginx.js'
import { removeTree } from '../__tests__/helpers/nix-store.js'
import { node24 } from '../__tests__/helpers/runner.js'
import { S3_CREDENTIALS } from '../__tests__/helpers/s3-server.js'
import { SCRATCH } from './lib/paths.js'
import { startS3ServerProcess } from '../__tests__/helpers/s3-server-process.js'
import { timeCpu } from './lib/timing.js'
import { graphWorkload } from './workloads/graph.js'
import { narWorkload } from './workloads/nars.js'
import type { DriverArgs, DriverResult } from './upload-driver.js'

const [before, after, roundsArg] = process.argv.slice(2)
if (!before || !after) throw new Error('usage: ab-upload.ts <before-driver.mjs> <after-driver.mjs> [rounds]')
const rounds = Number(roundsArg ?? 3)
const scratch = join(SCRATCH, 'ab-upload')
await removeTree(scratch)
const nars = await narWorkload()
const graph = await graphWorkload()
const env = { ...nars.store.env, AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey, AWS_EC2_METADATA_DISABLED: 'true' }
const httpRoot = join(scratch, 'http-root')
const nginx = await startNginx({ root: httpRoot })
const load = (): string => loadavg()[0]!.toFixed(1)

interface Run { upload: number; cpu: number; rss: number }
async function drive(driver: string, cache: string): Promise<Run> {
  const argsFile = join(scratch, 'args.json')
  const out = join(scratch, 'out.json')
  const args: DriverArgs = { cache, secretKey: graph.ourSecretKey, paths: nars.paths, out }
  await writeFile(argsFile, JSON.stringify(args))
  const t = await timeCpu(node24(), [driver, argsFile], { env, scratch })
  const r = JSON.parse(await readFile(out, 'utf8')) as DriverResult
  if (r.pushed !== nars.paths.length) throw new Error(`${driver} pushed ${r.pushed}: ${r.failed.join('; ')}`)
  return { upload: r.uploadSeconds, cpu: t.cpu, rss: t.maxRss }
}

const rows: string[] = []
try {
  for (let round = 1; round <= rounds; round++) {
    const zOut = join(scratch, 'zstd.out')
    const z = await timeCpu('/bin/sh', ['-c', 'out="$1"; shift; zstd -T0 -3 -q -c "$@" > "$out"', 'sh', zOut, ...nars.nars], { env, scratch })
    await rm(zOut)
    const order = round % 2 === 1 ? [['before', before], ['after', after]] : [['after', after], ['before', before]]
    for (const target of ['file', 'http', 's3'] as const) {
      for (const [label, driver] of order as Array<[string, string]>) {
        const tag = `${label}-${target}-${round}`
        let run: Run
        if (target === 'file') {
          run = await drive(driver, `file://${join(scratch, tag)}`)
          await removeTree(join(scratch, tag))
        } else if (target === 'http') {
          run = await drive(driver, `${nginx.url}/${tag}`)
          await removeTree(join(httpRoot, tag))
        } else {
          const s3 = await startS3ServerProcess({ bucket: 'ab' })
          run = await drive(driver, s3.s3Uri).finally(() => s3.stop())
        }
        const share = `${((z.seconds / run.upload) * 100).toFixed(0)}%`
        const row = `| ${round} | ${load()} | ${target} | ${label} | ${z.seconds.toFixed(2)} s | ${run.upload.toFixed(2)} s | ${share} | ${run.cpu.toFixed(2)} s | ${(run.rss / 1e6).toFixed(0)} MB |`
        console.log(row)
        rows.push(row)
      }
    }
  }
} finally {
  await nginx.stop()
  await removeTree(scratch)
}
console.log(['', '| round | load | target | code | `zstd -T0 -3` | upload phase | share of zstd | CPU (user+sys) | peak RSS |', '|---:|---:|---|---|---:|---:|---:|---:|---:|', ...rows].join('\n'))
