import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdir, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { UPSTREAM_KEY_NAME, writeGraph } from '../../helpers/graph.js'
import { createTestStore, type TestStore } from '../../helpers/nix-store.js'
import type { ProcResult } from '../../helpers/proc.js'
import { consumerBuild, topInstallable, useGraphWorld } from '../../helpers/scenario.js'
import { runCli } from '../../helpers/cli.js'
import { expectVerified } from '../../helpers/cache-check.js'
import { cacheShape } from '../../helpers/gc-check.js'
import { sleep } from '../../helpers/fixtures.js'
import { SECRET_KEY_ENV } from '../../../src/cli/options.js'
import { RECORD_PREFIX, renderRecordPart } from '../../../src/format/job-record.js'

// Pushes and GCs at the same time (docs/gc.md, "Pushes and a GC at the same time"). Each round
// ages the whole cache by an hour, as if the jobs that used it were long gone, leaves one expired
// job record (so the GC has records, and they keep nothing), then runs a CI job (it substitutes
// the shared library and tools from the cache, finds them there, and pushes a new app that
// references them) while GCs with a 10-minute grace, longer than the job, run again and again.
// Every round must end with a cache that Nix verifies, that is closed, and from which a fresh
// store gets the new app without building anything.
// The jobs' Nix has `fallback = true`, and a job that fails with "requires non-existent output"
// is run again once, as in the S3 twin (gc-s3-concurrent.test.ts, and docs/gc.md): the protocol
// guards what a push relies on, not a path a job's Nix has only queried, which a GC may delete
// before Nix fetches it (this test expires every record, so everything the job reads is going).
const ROUNDS = 8
const HOUR = 3_600_000
const world = useGraphWorld('e2e-cli-gc-concurrent-')
let cacheDir: string
const stores: TestStore[] = []

async function ageCache(dir: string, byMs: number): Promise<void> {
  const when = new Date(Date.now() - byMs)
  const walk = async (sub: string): Promise<void> => {
    for (const e of await readdir(join(dir, sub), { withFileTypes: true })) {
      const rel = join(sub, e.name)
      if (e.isDirectory()) await walk(rel)
      else await utimes(join(dir, rel), when, when)
    }
  }
  await walk('')
}

/** Replaces every record with one job of 100 days ago that keeps nothing. */
async function expireRecords(dir: string): Promise<void> {
  await rm(join(dir, RECORD_PREFIX), { recursive: true, force: true })
  await mkdir(join(dir, RECORD_PREFIX, 'expired'), { recursive: true })
  const file = join(dir, RECORD_PREFIX, 'expired', 'post.json')
  await writeFile(file, renderRecordPart({ job: 'expired', time: Date.now() - 100 * 24 * HOUR, pushed: [], used: [] }))
  const old = new Date(Date.now() - HOUR)
  await utimes(file, old, old)
}

async function ciJob(variant: string): Promise<ProcResult> {
  const store = await createTestStore({ extraConfig: world.upstream.nixConfig })
  stores.push(store)
  const nixFile = await writeGraph(store.root, variant)
  const top = await topInstallable(store, variant)
  return runCli(
    ['run', '--cache', `file://${cacheDir}`, '--skip-signed-by', UPSTREAM_KEY_NAME, '--installables', top, '--', 'nix-build', nixFile, '-A', 'top', '--no-out-link'],
    { env: { ...store.env, [SECRET_KEY_ENV]: world.keys.secret, NIX_CONFIG: `${store.env.NIX_CONFIG}\nfallback = true` }, cwd: store.root }
  )
}

const gc = (): Promise<ProcResult> =>
  runCli(['gc', '--cache', `file://${cacheDir}`, '--keep-days', '1', '--grace', '10m'], { env: { PATH: process.env.PATH } })

beforeAll(async () => {
  cacheDir = join(world.dir, 'cache')
  const first = await ciJob('v0')
  if (first.code !== 0) throw new Error(`first job failed:\n${first.stderr}`)
})

afterAll(async () => {
  for (const s of stores) await s.cleanup()
})

describe('pushes and GCs at the same time', () => {
  it(`never leave a narinfo without its NAR or references, over ${ROUNDS} rounds`, async () => {
    let deletedAny = 0
    let jobsRerun = 0
    for (let round = 1; round <= ROUNDS; round++) {
      await ageCache(cacheDir, HOUR)
      await expireRecords(cacheDir)
      let jobDone = false
      const job = ciJob(`r${round}`).finally(() => {
        jobDone = true
      })
      // The GCs start at a different moment of the job each round.
      await sleep((round % 4) * 300)
      while (!jobDone) {
        const r = await gc()
        expect({ round, code: r.code, output: r.code === 0 ? '' : r.stderr }).toEqual({ round, code: 0, output: '' })
        if (/narinfos: \d+ kept, [1-9]\d* deleted/.test(r.stderr)) deletedAny++
      }
      let ran = await job
      if (ran.code !== 0 && /requires non-existent output/.test(ran.stderr) && jobsRerun === 0) {
        jobsRerun++
        ran = await ciJob(`r${round}`)
      }
      // The job's output goes with a failure: a bare exit code says nothing of why.
      expect({ round, code: ran.code, output: ran.code === 0 ? '' : `${ran.stdout}\n${ran.stderr}` }).toEqual({ round, code: 0, output: '' })
      const shape = await cacheShape(cacheDir)
      expect({ round, missingNars: shape.missingNars, missingReferences: shape.missingReferences }).toEqual({ round, missingNars: [], missingReferences: [] })
      await expectVerified(cacheDir, world.keys.public)
      const consumer = await consumerBuild({
        substituters: [`file://${cacheDir}`, world.upstream.url],
        trustedKeys: [world.keys.public, world.upstream.publicKey],
        variant: `r${round}`
      })
      expect({ round, built: consumer.built }).toEqual({ round, built: 0 })
      await consumer.store.cleanup()
    }
    // The GCs did collect while the jobs ran (the old apps), so the rounds tested something.
    expect(deletedAny).toBeGreaterThan(0)
  })
})
