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
import { removeTree } from '../../__tests__/helpers/nix-store.js'
import { runProcess } from '../../__tests__/helpers/proc.js'
import { node24 } from '../../__tests__/helpers/runner.js'
import { log } from '../lib/log.js'
import { BUILD } from '../lib/paths.js'
import { summarise, type Sample } from '../lib/stats.js'
import { timeOk } from '../lib/timing.js'
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
  const t: Record<'zstd' | 'oursFile' | 'oursFileUp' | 'oursHttp' | 'oursHttpUp' | 'nixFile' | 'nixHttp', number[]> = {
    zstd: [],
    oursFile: [],
    oursFileUp: [],
    oursHttp: [],
    oursHttpUp: [],
    nixFile: [],
    nixHttp: []
  }
  let zstdBytes = 0
  let oursFileBytes = 0

  const ours = async (cache: string): Promise<DriverResult> => {
    const argsFile = join(opts.scratch, 'driver-args.json')
    const out = join(opts.scratch, 'driver-result.json')
    const args: DriverArgs = { cache, secretKey: opts.secretKey, paths: nars.paths, out }
    await writeFile(argsFile, JSON.stringify(args))
    const r = await runProcess(node24(), [join(BUILD, 'upload-driver.mjs'), argsFile], { env })
    if (r.code !== 0) throw new Error(`upload driver failed: ${r.stderr}\n${r.stdout.slice(-2000)}`)
    const result = JSON.parse(await readFile(out, 'utf8')) as DriverResult
    if (result.pushed !== nars.paths.length) throw new Error(`upload driver pushed ${result.pushed} of ${nars.paths.length}: ${result.failed.join('; ')}`)
    return result
  }

  try {
    for (let i = 0; i < runs; i++) {
      const zOut = join(opts.scratch, 'zstd.out')
      t.zstd.push(await timeOk('/bin/sh', ['-c', 'out="$1"; shift; zstd -T0 -3 -q -c "$@" > "$out"', 'sh', zOut, ...nars.nars], { env }))
      zstdBytes = (await stat(zOut)).size
      await rm(zOut)

      const fileCache = join(opts.scratch, `ours-file-${i}`)
      const f = await ours(`file://${fileCache}`)
      t.oursFile.push(f.seconds)
      t.oursFileUp.push(f.uploadSeconds)
      oursFileBytes = f.fileBytes
      await removeTree(fileCache)

      const h = await ours(`${nginx.url}/ours-${i}`)
      t.oursHttp.push(h.seconds)
      t.oursHttpUp.push(h.uploadSeconds)
      await removeTree(join(httpRoot, `ours-${i}`))

      const nixFile = join(opts.scratch, `nix-copy-file-${i}`)
      t.nixFile.push(await timeOk('nix', ['copy', '--to', `file://${nixFile}?compression=zstd&secret-key=${opts.secretKeyFile}`, ...nars.paths], { env }))
      await removeTree(nixFile)

      t.nixHttp.push(await timeOk('nix', ['copy', '--to', `${nginx.url}/nix-copy-${i}?compression=zstd&secret-key=${opts.secretKeyFile}`, ...nars.paths], { env }))
      await removeTree(join(httpRoot, `nix-copy-${i}`))
      const mbps = (s: number): string => `${(nars.narBytes / s / 1e6).toFixed(0)} MB/s`
      log(`  upload run ${i + 1}/${runs}: zstd ${mbps(t.zstd[i]!)}, ours file ${mbps(f.seconds)}, ours http ${mbps(h.seconds)}, nix copy file ${mbps(t.nixFile[i]!)}, http ${mbps(t.nixHttp[i]!)}`)
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
    nixCopyFile: summarise(t.nixFile),
    nixCopyHttp: summarise(t.nixHttp)
  }
}
