// The retention GC on a large cache (issue 23): `node scripts/run-ts.mjs bench/gc.ts [file|s3] [N]`
// after `npm run build`. Generates a cache of N narinfos (default 100,000) with their NARs and
// 100 job records, every object a month old, then times `dist/cli.js gc --keep-jobs 20 --grace 1d`
// under /usr/bin/time (peak RSS). The S3 server (s3rver) runs in a process of its own; the bench
// fills its directory directly (writeS3rverBucket) before starting it.
import { spawn, spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs'
import { mkdir, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { renderRecordPart, recordKey } from '../src/format/job-record.js'

const REPO = process.cwd()
const NIX32 = '0123456789abcdfghijklmnpqrsvwxyz'
const nix32 = (n: number): string => [...randomBytes(n)].map((b) => NIX32[b % 32]).join('')
const JOBS = 100
const MONTH = 30 * 86_400_000

interface Generated {
  files: Map<string, string>
}

/** N narinfos, each with a small NAR and up to 4 references to earlier paths; 100 jobs pushed them in order. */
function generate(n: number): Generated {
  const files = new Map<string, string>()
  const hashes = Array.from({ length: n }, () => nix32(32))
  const perJob = Math.ceil(n / JOBS)
  const started = Date.now() - MONTH
  for (let i = 0; i < n; i++) {
    const refs = new Set<string>()
    // Mostly paths of the same job, sometimes one of the first 1,000 (shared libraries).
    for (let r = 0; r < 4 && i > 0; r++) {
      const jobStart = Math.floor(i / perJob) * perJob
      const local = i > jobStart ? jobStart + Math.floor(Math.random() * (i - jobStart)) : undefined
      const target = local !== undefined && Math.random() < 0.8 ? local : Math.floor(Math.random() * Math.min(i, 1000))
      if (Math.random() < 0.7) refs.add(`${hashes[target]}-p`)
    }
    const nar = `nar/${nix32(52)}.nar.zst`
    files.set(
      `${hashes[i]}.narinfo`,
      `StorePath: /nix/store/${hashes[i]}-p\nURL: ${nar}\nCompression: zstd\nFileSize: 64\nNarHash: sha256:${randomBytes(32).toString('hex')}\nNarSize: 120\nReferences: ${[...refs].join(' ')}\nSig: bench-1:${randomBytes(64).toString('base64')}\n`
    )
    files.set(nar, randomBytes(64).toString('base64'))
  }
  for (let j = 0; j < JOBS; j++) {
    const pushed = hashes.slice(j * perJob, (j + 1) * perJob).map((h) => `/nix/store/${h}-p`)
    files.set(recordKey(`job${j}`, 'post'), renderRecordPart({ job: `job${j}`, time: started + j * 60_000, pushed, used: [] }))
  }
  files.set('nix-cache-info', 'StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 40\n')
  return { files }
}

async function parallel<T>(items: readonly T[], width: number, work: (t: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await work(items[next++] as T)
  }))
}

async function timedGc(cache: string, env: NodeJS.ProcessEnv, grace: string): Promise<Record<string, unknown>> {
  const started = Date.now()
  const r = spawnSync('/usr/bin/time', ['-f', 'maxrss_kb=%M cpu=%U+%S', process.execPath, join(REPO, 'dist', 'cli.js'), 'gc', '--cache', cache, '--keep-jobs', '20', '--grace', grace, '--json'], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 1 << 30
  })
  const wall = (Date.now() - started) / 1000
  if (r.status !== 0) throw new Error(`gc failed (${r.status}):\n${r.stderr}`)
  const lines = r.stdout.trim().split('\n')
  const result = JSON.parse(lines[lines.length - 1] as string) as Record<string, unknown>
  const rss = Number(/maxrss_kb=(\d+)/.exec(r.stderr)?.[1] ?? NaN)
  const cpu = /cpu=([\d.]+)\+([\d.]+)/.exec(r.stderr)
  return { wallSeconds: wall, cpuSeconds: cpu ? Number(cpu[1]) + Number(cpu[2]) : undefined, peakRssMiB: Math.round(rss / 1024), requests: result.requests, narinfos: result.narinfos, nars: result.nars, bytesFreed: result.bytesFreed }
}

const load = async (): Promise<string> => (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ')

async function benchFile(n: number): Promise<void> {
  const dir = join(REPO, '.bench', 'gc', `file-${n}`)
  await rm(dir, { recursive: true, force: true })
  const t0 = Date.now()
  const { files } = generate(n)
  const old = new Date(Date.now() - MONTH)
  for (const sub of ['nar', 'nix-buildtime-cache/jobs']) await mkdir(join(dir, sub), { recursive: true })
  await parallel([...files.keys()], 64, async (k) => {
    await mkdir(join(dir, k, '..'), { recursive: true })
    await writeFile(join(dir, k), files.get(k) as string)
    await utimes(join(dir, k), old, old)
  })
  console.log(`file://: generated ${files.size} files in ${((Date.now() - t0) / 1000).toFixed(1)} s; load ${await load()}`)
  if (process.env.BENCH_GENERATE_ONLY) return
  const result = await timedGc(`file://${dir}`, {}, '1d')
  console.log(JSON.stringify({ backend: 'file', n, ...result, loadAfter: await load() }))
  await rm(dir, { recursive: true, force: true })
}

/**
 * Writes `files` as s3rver (@20minutes/s3rver, lib/stores/filesystem.js) stores objects, so that
 * a bucket of 200,000 objects is filled in a minute rather than s3rver's 15 minutes of PUTs
 * (about 225 objects/s): `<bucket>/<key dirs>/<name>._S3rver_object` holds the bytes, and its
 * modification time is the object's LastModified; `._S3rver_object.md5` the MD5 in hex (the
 * ETag); `._S3rver_metadata.json` the stored headers. Returns the number of objects.
 */
function writeS3rverBucket(bucketDir: string, files: ReadonlyMap<string, string>, mtime: Date): number {
  const dirs = new Set<string>()
  for (const [key, text] of files) {
    const parts = key.split('/')
    const name = parts.pop() as string
    const where = join(bucketDir, ...parts)
    if (!dirs.has(where)) {
      mkdirSync(where, { recursive: true })
      dirs.add(where)
    }
    const object = join(where, `${name}._S3rver_object`)
    writeFileSync(object, text)
    writeFileSync(`${object}.md5`, createHash('md5').update(text).digest('hex'))
    writeFileSync(join(where, `${name}._S3rver_metadata.json`), JSON.stringify({ 'content-type': 'application/octet-stream' }, null, 2))
    utimesSync(object, mtime, mtime)
  }
  return files.size
}

async function benchS3(n: number): Promise<void> {
  const dir = join(REPO, '.bench', 'gc', `s3-${n}`)
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })
  const creds = { accessKeyId: 'AKIABENCHGC', secretAccessKey: 'bench-gc-secret-0123456789' }
  const t0 = Date.now()
  const { files } = generate(n)
  const objects = writeS3rverBucket(join(dir, 'cache'), files, new Date(Date.now() - MONTH))
  console.log(`s3: wrote ${objects} objects into s3rver's directory in ${((Date.now() - t0) / 1000).toFixed(1)} s; load ${await load()}`)
  if (process.env.BENCH_GENERATE_ONLY) return
  const server = spawn(process.execPath, ['--openssl-legacy-provider', join(REPO, 'bench', 'gc-s3-server.mjs'), dir, 'cache', creds.accessKeyId, creds.secretAccessKey], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise<number>((resolve) => server.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))))
  try {
    const endpoint = `http://127.0.0.1:${port}`
    // Every object is a month old, as on file://. The grace is 0s all the same: on S3 the NARs of
    // narinfos a run deletes wait for the next run unless the grace is 0s (docs/gc.md), and the
    // bench times one run that collects everything.
    const result = await timedGc(`s3://cache?endpoint=${endpoint}&region=us-east-1`, {
      AWS_ACCESS_KEY_ID: creds.accessKeyId,
      AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: 'true'
    }, '0s')
    console.log(JSON.stringify({ backend: 's3', n, ...result, loadAfter: await load() }))
  } finally {
    server.kill('SIGTERM')
    await rm(dir, { recursive: true, force: true })
  }
}

const [which = 'file', size = '100000'] = process.argv.slice(2)
const n = Number(size)
console.log(`machine: ${spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()} cores; load ${await load()}`)
if (which === 'file' || which === 'both') await benchFile(n)
if (which === 's3' || which === 'both') await benchS3(n)
