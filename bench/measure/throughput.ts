// (c) Upload throughput on the large-NAR workload (bench/workloads/nars.ts), zstd everywhere:
//   ours       bench/upload-driver.ts: the action's push path (path info, then compress, hash,
//              sign, upload; `parallelism` 8 as by default), in its own Node 24 process
//   zstd -T0   `zstd -T0 -3` over the same NARs, already serialised on disk: the compression
//              ceiling, with no NAR serialisation, hashing or signing
//   nix copy   `nix copy --to '<cache>?compression=zstd&secret-key=…'`
// Targets: a fresh file:// directory and a fresh path on nginx (WebDAV PUT) each run. All
// inputs are in the page cache (24 GiB of RAM), so this measures CPU, not the disk.
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startNginx, type Nginx } from '../../__tests__/helpers/nginx.js'
import { S3_CREDENTIALS } from '../../__tests__/helpers/s3-server.js'
import { removeTree } from '../../__tests__/helpers/nix-store.js'
import { log } from '../lib/log.js'
import { startS3ServerProcess } from '../../__tests__/helpers/s3-server-process.js'
import { BUILD } from '../lib/paths.js'
import { summarise, type Sample } from '../lib/stats.js'
import { timeCpu, timeOk } from '../lib/timing.js'
import { node24 } from '../../__tests__/helpers/runner.js'
import type { NarWorkload } from '../workloads/nars.js'
import type { DriverArgs, DriverResult } from '../upload-driver.js'

export interface ThroughputFigures {
  narBytes: number
  paths: number
  description: string
  /** Seconds for all NARs. */
  zstd: Sample
  zstdBytes: number
  oursFile: Sample
  oursFileUploadOnly: Sample
  oursFileBytes: number
  oursHttp: Sample
  oursHttpUploadOnly: Sample
  oursS3: Sample
  oursS3UploadOnly: Sample
  /**
   * zstd's time ÷ ours, taken run by run (each pair ran back to back, so they saw the same load)
   * and then the median: the upload phase to each target, and the whole process to file://.
   */
  ratio: { fileUpload: Sample; httpUpload: Sample; s3Upload: Sample; fileWhole: Sample }
  /** Peak RSS (bytes) of our process over HTTP and S3. */
  rssHttp: Sample
  rssS3: Sample
  /** CPU seconds (user + system): zstd's, and our whole process's per target. */
  cpu: { zstd: Sample; oursFile: Sample; oursHttp: Sample; oursS3: Sample }
  nixCopyFile: Sample
  nixCopyHttp: Sample
}

export async function measureThroughput(opts: {
  nars: NarWorkload
  secretKey: string
  secretKeyFile: string
  runs: number
  scratch: string
}): Promise<ThroughputFigures> {
  const { nars, runs } = opts
  const env = nars.store.env
  await mkdir(opts.scratch, { recursive: true })
  const httpRoot = join(opts.scratch, 'http-root')
  const nginx: Nginx = await startNginx({ root: httpRoot })
  const keys = ['zstdCpu', 'oursFileCpu', 'oursHttpCpu', 'oursS3Cpu', 'zstd', 'oursFile', 'oursFileUp', 'oursHttp', 'oursHttpUp', 'oursS3', 'oursS3Up', 'nixFile', 'nixHttp', 'rFileUp', 'rHttpUp', 'rS3Up', 'rFile', 'rssHttp', 'rssS3'] as const
  const t = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<(typeof keys)[number], number[]>
  let zstdBytes = 0
  let oursFileBytes = 0

  const awsEnv = { AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey, AWS_EC2_METADATA_DISABLED: 'true' }
  const ours = async (cache: string): Promise<DriverResult & { rss: number; cpu: number }> => {
    const argsFile = join(opts.scratch, 'driver-args.json')
    const out = join(opts.scratch, 'driver-result.json')
    const args: DriverArgs = { cache, secretKey: opts.secretKey, paths: nars.paths, out }
    await writeFile(argsFile, JSON.stringify(args))
    // Under GNU time for CPU time and peak RSS: one exec more, the same for every target.
    const r = await timeCpu(node24(), [join(BUILD, 'upload-driver.mjs'), argsFile], { env: { ...env, ...awsEnv }, scratch: opts.scratch })
    const result = { ...(JSON.parse(await readFile(out, 'utf8')) as DriverResult), rss: r.maxRss, cpu: r.cpu }
    if (result.pushed !== nars.paths.length) throw new Error(`upload driver pushed ${result.pushed} of ${nars.paths.length}: ${result.failed.join('; ')}`)
    return result
  }

  try {
    for (let i = 0; i < runs; i++) {
      const zOut = join(opts.scratch, 'zstd.out')
      const z = await timeCpu('/bin/sh', ['-c', 'out="$1"; shift; zstd -T0 -3 -q -c "$@" > "$out"', 'sh', zOut, ...nars.nars], { env, scratch: opts.scratch })
      t.zstd.push(z.seconds)
      t.zstdCpu.push(z.cpu)
      zstdBytes = (await stat(zOut)).size
      await rm(zOut)

      const fileCache = join(opts.scratch, `ours-file-${i}`)
      const f = await ours(`file://${fileCache}`)
      t.oursFile.push(f.seconds)
      t.oursFileUp.push(f.uploadSeconds)
      t.oursFileCpu.push(f.cpu)
      oursFileBytes = f.fileBytes
      await removeTree(fileCache)

      const h = await ours(`${nginx.url}/ours-${i}`)
      t.oursHttp.push(h.seconds)
      t.oursHttpUp.push(h.uploadSeconds)
      t.rssHttp.push(h.rss)
      t.oursHttpCpu.push(h.cpu)
      await removeTree(join(httpRoot, `ours-${i}`))

      // A fresh bucket each run, on s3rver in a process of its own (as nginx is).
      const s3 = await startS3ServerProcess({ bucket: 'bench' })
      const s3run = await ours(s3.s3Uri).finally(() => s3.stop())
      t.oursS3.push(s3run.seconds)
      t.oursS3Up.push(s3run.uploadSeconds)
      t.rssS3.push(s3run.rss)
      t.oursS3Cpu.push(s3run.cpu)

      t.rFileUp.push(z.seconds / f.uploadSeconds)
      t.rHttpUp.push(z.seconds / h.uploadSeconds)
      t.rS3Up.push(z.seconds / s3run.uploadSeconds)
      t.rFile.push(z.seconds / f.seconds)

      const nixFile = join(opts.scratch, `nix-copy-file-${i}`)
      t.nixFile.push(await timeOk('nix', ['copy', '--to', `file://${nixFile}?compression=zstd&secret-key=${opts.secretKeyFile}`, ...nars.paths], { env }))
      await removeTree(nixFile)

      t.nixHttp.push(await timeOk('nix', ['copy', '--to', `${nginx.url}/nix-copy-${i}?compression=zstd&secret-key=${opts.secretKeyFile}`, ...nars.paths], { env }))
      await removeTree(join(httpRoot, `nix-copy-${i}`))
      const mbps = (s: number): string => `${(nars.narBytes / s / 1e6).toFixed(0)} MB/s`
      log(`  upload run ${i + 1}/${runs}: zstd ${mbps(t.zstd[i]!)}, ours file ${mbps(f.seconds)}, ours http ${mbps(h.seconds)}, ours s3 ${mbps(s3run.seconds)} (upload-phase ratios ${(t.rFileUp[i]! * 100).toFixed(0)}/${(t.rHttpUp[i]! * 100).toFixed(0)}/${(t.rS3Up[i]! * 100).toFixed(0)}%), nix copy file ${mbps(t.nixFile[i]!)}, http ${mbps(t.nixHttp[i]!)}`)
    }
  } finally {
    await nginx.stop()
    await removeTree(httpRoot)
  }
  return {
    narBytes: nars.narBytes,
    paths: nars.paths.length,
    description: nars.description,
    zstd: summarise(t.zstd),
    zstdBytes,
    oursFile: summarise(t.oursFile),
    oursFileUploadOnly: summarise(t.oursFileUp),
    oursFileBytes,
    oursHttp: summarise(t.oursHttp),
    oursHttpUploadOnly: summarise(t.oursHttpUp),
    oursS3: summarise(t.oursS3),
    oursS3UploadOnly: summarise(t.oursS3Up),
    ratio: { fileUpload: summarise(t.rFileUp), httpUpload: summarise(t.rHttpUp), s3Upload: summarise(t.rS3Up), fileWhole: summarise(t.rFile) },
    rssHttp: summarise(t.rssHttp),
    rssS3: summarise(t.rssS3),
    cpu: { zstd: summarise(t.zstdCpu), oursFile: summarise(t.oursFileCpu), oursHttp: summarise(t.oursHttpCpu), oursS3: summarise(t.oursS3Cpu) },
    nixCopyFile: summarise(t.nixFile),
    nixCopyHttp: summarise(t.nixHttp)
  }
}
