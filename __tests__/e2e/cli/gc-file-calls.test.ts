import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLI, jsonResult } from '../../helpers/cli.js'
import { writeAgedCache } from '../../helpers/gc-cache-fixture.js'
import { runProcess } from '../../helpers/proc.js'
import { node24, REPO_ROOT } from '../../helpers/runner.js'

// The GC's CPU on a file:// cache (docs/BENCHMARKS.md, "The retention GC on a large cache"): a
// GC makes about six tiny file system calls per narinfo, and handing each to libuv's thread pool
// and back cost several times the call itself (100,000 narinfos: 45 s CPU through the pool, 9 s
// with synchronous calls). Not a timing test: it counts the thread-pool requests the CLI's own
// process made, which load does not change.
const NARINFOS = 3_000
const JOBS = 10
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'e2e-cli-gc-file-calls-'))
  await writeAgedCache(dir, NARINFOS, JOBS)
}, 120_000)

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('gc file calls', () => {
  it('lists, reads and deletes a file:// cache without a thread-pool round trip per file', async () => {
    const report = join(dir, '..', `${dir.split('/').pop() as string}.fsreqs`)
    const r = await runProcess(
      node24(),
      ['--import', join(REPO_ROOT, '__tests__', 'helpers', 'fs-threadpool-probe.mjs'), CLI, 'gc', '--cache', `file://${dir}`, '--keep-jobs', '1', '--grace', '1d', '--json'],
      { env: { PATH: process.env.PATH, HOME: dir, FS_THREADPOOL_REPORT: report }, timeoutMs: 110_000 }
    )
    expect(r.code).toBe(0)
    // It really listed, read and deleted them (a GC that did nothing would make no calls either).
    const result = jsonResult(r.stdout) as { narinfos: { listed: number; deleted: number }; nars: { deleted: number } }
    expect(result.narinfos.listed).toBe(NARINFOS)
    expect(result.narinfos.deleted).toBeGreaterThan(NARINFOS / 2)
    expect(result.nars.deleted).toBe(result.narinfos.deleted)
    const requests = Number(await readFile(report, 'utf8'))
    await rm(report, { force: true })
    // Through the pool it was 42,169 here (about 14 per narinfo); none now, some slack for start-up.
    expect(requests).toBeLessThan(NARINFOS / 10)
  }, 120_000)
})
