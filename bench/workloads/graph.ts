// Builds the graph workload once and keeps three states of it under .bench/workloads:
//   upstream-cache/  file:// binary cache of the upstream part, signed by upstream-bench-1
//   before/          the job's store after an earlier job built `preexisting`
//   after/           the same store after the job built `job` (substituting upstream paths)
//   seed-cache/      our cache as the earlier job left it: the pre-existing paths, signed by us
// A measured job copies `before` into place, runs the main step, swaps in `after` (the build,
// replayed from the cache: it takes a minute), and runs the post step.
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { removeTree } from '../../__tests__/helpers/nix-store.js'
import { log } from '../lib/log.js'
import { WORKLOADS } from '../lib/paths.js'
import { openStore, type BenchStore } from '../lib/store.js'
import { derivationCount, graphNix, UPSTREAM_KEY } from './graph-nix.js'

export interface GraphWorkload {
  root: string
  nixFile: string
  upstreamCacheUrl: string
  upstreamPublicKey: string
  /** nix.conf lines of the job store (substitutes from the upstream cache). */
  jobConfig: string[]
  beforeDir: string
  afterDir: string
  seedCacheDir: string
  /** Our signing key (secret), and the file holding it for `nix copy ?secret-key=`. */
  ourSecretKey: string
  ourSecretKeyFile: string
  topDrv: string
  groups: { upstream: string[]; base: string[]; closure: string[]; extras: string[] }
  derivations: number
  buildSeconds: number
}

const VERSION = 'graph-v1'

async function copyTree(from: string, to: string, store: BenchStore): Promise<void> {
  await removeTree(to)
  await store.runOk('cp', ['-a', from, to])
}

export async function graphWorkload(): Promise<GraphWorkload> {
  const root = join(WORKLOADS, VERSION)
  const metaFile = join(root, 'meta.json')
  if (existsSync(metaFile)) return JSON.parse(await readFile(metaFile, 'utf8')) as GraphWorkload
  await removeTree(root)
  const t0 = Date.now()
  const nixFile = join(root, 'graph.nix')
  const upstream = await openStore(join(root, 'upstream-build'), ['max-jobs = 4'])
  await writeFile(nixFile, graphNix())

  // The fake upstream: its own store and key, like __tests__/helpers/graph.ts makeUpstream.
  const upSk = join(root, 'upstream.sk')
  const upPk = join(root, 'upstream.pk')
  await upstream.runOk('nix-store', ['--generate-binary-cache-key', UPSTREAM_KEY, upSk, upPk])
  const ourSk = join(root, 'ours.sk')
  await upstream.runOk('nix-store', ['--generate-binary-cache-key', 'bench-cache-1', ourSk, join(root, 'ours.pk')])
  const upOuts = (await upstream.runOk('nix-build', [nixFile, '-A', 'upstreamAll', '--no-out-link'])).stdout.trim().split('\n')
  const upstreamCacheUrl = `file://${join(root, 'upstream-cache')}`
  await upstream.runOk('nix', ['copy', '--to', `${upstreamCacheUrl}?secret-key=${upSk}&compression=zstd`, ...upOuts])
  await removeTree(upstream.root)
  log(`  graph: upstream cache ready (${((Date.now() - t0) / 1000).toFixed(0)} s)`)

  const upstreamPublicKey = (await readFile(upPk, 'utf8')).trim()
  const jobConfig = [`substituters = ${upstreamCacheUrl}`, `trusted-public-keys = ${upstreamPublicKey}`, 'max-jobs = 4']
  const jobRoot = join(root, 'job')
  const job = await openStore(jobRoot, jobConfig)
  const eval_ = async (attr: string): Promise<unknown> =>
    JSON.parse((await job.runOk('nix', ['eval', '--read-only', '--impure', '--json', '--file', nixFile, attr])).stdout)
  const groups = (await eval_('groups')) as GraphWorkload['groups']
  const topDrv = (await eval_('topDrv')) as string

  const baseOuts = (await job.runOk('nix-build', [nixFile, '-A', 'preexisting', '--no-out-link'])).stdout.trim().split('\n')
  const seedCacheDir = join(root, 'seed-cache')
  await job.runOk('nix', ['copy', '--to', `file://${seedCacheDir}?secret-key=${ourSk}&compression=zstd`, ...baseOuts])
  const beforeDir = join(root, 'before')
  await copyTree(job.storeRoot, beforeDir, job)
  log(`  graph: pre-existing part built (${((Date.now() - t0) / 1000).toFixed(0)} s)`)

  const b0 = Date.now()
  await job.runOk('nix-build', [nixFile, '-A', 'job', '--no-out-link'])
  const buildSeconds = (Date.now() - b0) / 1000
  const afterDir = join(root, 'after')
  await copyTree(job.storeRoot, afterDir, job)
  await removeTree(jobRoot)
  log(`  graph: ${derivationCount()} derivations, job built in ${buildSeconds.toFixed(0)} s`)

  const meta: GraphWorkload = {
    root,
    nixFile,
    upstreamCacheUrl,
    upstreamPublicKey,
    jobConfig,
    beforeDir,
    afterDir,
    seedCacheDir,
    ourSecretKey: (await readFile(ourSk, 'utf8')).trim(),
    ourSecretKeyFile: ourSk,
    topDrv,
    groups,
    derivations: derivationCount(),
    buildSeconds
  }
  await writeFile(metaFile, JSON.stringify(meta, null, 1))
  return meta
}
