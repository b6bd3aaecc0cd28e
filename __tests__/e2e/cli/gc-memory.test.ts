import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLI, jsonResult } from '../../helpers/cli.js'
import { writeAgedCache } from '../../helpers/gc-cache-fixture.js'
import { runProcess } from '../../helpers/proc.js'
import { node24, REPO_ROOT } from '../../helpers/runner.js'

// The GC's memory on a cache of many narinfos (docs/BENCHMARKS.md, "The retention GC on a large
// cache"): most of the 100,000-narinfo peak was V8's young generation growing to its maximum while
// the GC built its maps (src/gc/young-generation.ts). Not a timing test: it reads the young
// generation's size from inside the CLI's own process, which load does not change.
const NARINFOS = 15_000
const JOBS = 10
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'e2e-cli-gc-memory-'))
  await writeAgedCache(dir, NARINFOS, JOBS)
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
