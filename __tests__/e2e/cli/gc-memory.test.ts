import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLI, jsonResult } from '../../helpers/cli.js'
import { runProcess } from '../../helpers/proc.js'
import { node24, REPO_ROOT } from '../../helpers/runner.js'
import { recordKey, renderRecordPart } from '../../../src/format/job-record.js'

// The GC's memory on a cache of many narinfos (docs/BENCHMARKS.md, "The retention GC on a large
// cache"): most of the 100,000-narinfo peak was V8's young generation growing to its maximum while
// the GC built its maps (src/gc/young-generation.ts). Not a timing test: it reads the young
// generation's size from inside the CLI's own process, which load does not change.
const NARINFOS = 15_000
const JOBS = 10
const NIX32 = '0123456789abcdfghijklmnpqrsvwxyz'
const nix32 = (n: number): string => [...randomBytes(n)].map((b) => NIX32[b % 32]).join('')
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'e2e-cli-gc-memory-'))
  await mkdir(join(dir, 'nar'))
  const hashes = Array.from({ length: NARINFOS }, () => nix32(32))
  const files = new Map<string, string>([['nix-cache-info', 'StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 40\n']])
  hashes.forEach((h, i) => {
    const refs = i === 0 ? [] : [hashes[Math.floor(Math.random() * i)] as string]
    const nar = `nar/${nix32(52)}.nar.zst`
    files.set(`${h}.narinfo`, `StorePath: /nix/store/${h}-p\nURL: ${nar}\nCompression: zstd\nFileSize: 64\nNarHash: sha256:${nix32(52)}\nNarSize: 120\nReferences: ${refs.map((r) => `${r}-p`).join(' ')}\n`)
    files.set(nar, 'x')
  })
  const perJob = NARINFOS / JOBS
  const monthAgo = Date.now() - 30 * 86_400_000
  for (let j = 0; j < JOBS; j++) {
    const pushed = hashes.slice(j * perJob, (j + 1) * perJob).map((h) => `/nix/store/${h}-p`)
    files.set(recordKey(`job${j}`, 'post'), renderRecordPart({ job: `job${j}`, time: monthAgo + j * 60_000, pushed, used: [] }))
  }
  const old = new Date(monthAgo)
  for (const [key, text] of files) {
    await mkdir(join(dir, key, '..'), { recursive: true })
    await writeFile(join(dir, key), text)
    await utimes(join(dir, key), old, old)
  }
}, 120_000)

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('gc memory', () => {
  it('keeps the young generation at its start-up size while it reads many narinfos', async () => {
    const report = join(dir, '..', `${dir.split('/').pop() as string}.young`)
    const r = await runProcess(
      node24(),
      ['--import', join(REPO_ROOT, '__tests__', 'helpers', 'young-generation-probe.mjs'), CLI, 'gc', '--cache', `file://${dir}`, '--keep-jobs', '2', '--grace', '1d', '--dry-run', '--json'],
      { env: { PATH: process.env.PATH, HOME: dir, YOUNG_GENERATION_REPORT: report }, timeoutMs: 110_000 }
    )
    expect(r.code).toBe(0)
    // The collection really read them all (a GC that read nothing would prove nothing here).
    expect(jsonResult(r.stdout)).toMatchObject({ narinfos: { listed: NARINFOS } })
    const youngMiB = Number(await readFile(report, 'utf8')) / 1_048_576
    await rm(report, { force: true })
    // Node 24 starts with 1 MiB semi-spaces (2 MiB in all) and may grow them to 2 x 64 MiB.
    expect(youngMiB).toBeLessThanOrEqual(4)
  }, 120_000)
})
