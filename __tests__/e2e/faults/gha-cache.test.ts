// `cache: github-actions` when the cache service is slow to agree, refuses, or is not there: rate
// limits are waited out as Retry-After asks, and every refusal ends as one warning and a green job.
import { afterEach, describe, expect, it } from '@jest/globals'
import { type LoggedRequest } from '../../helpers/gha-cache-server.js'
import { newestManifest, useGhaCache } from '../../helpers/gha-jobs.js'
import { freePort } from '../../helpers/ports.js'
import { errorLines, warningLines } from '../../helpers/runner.js'
import { useGraphWorld } from '../../helpers/scenario.js'
import { startFaultServer } from '../../helpers/fault-server.js'
import { join } from 'node:path'

const world = useGraphWorld('e2e-gha-faults-')
const gha = useGhaCache(world, { restore: 'eager' })
afterEach(() => gha.server.clearFaults())

/** Every derivation of the graph a job builds when nothing is cached (upstream's are substituted). */
const ALL_OWN = 7
const calls = (requests: readonly LoggedRequest[], method: LoggedRequest['method']): LoggedRequest[] => requests.filter((r) => r.method === method)
const gaps = (rs: readonly LoggedRequest[]): number[] => rs.slice(1).map((r, i) => r.at - (rs[i] as LoggedRequest).at)

describe('rate limits', () => {
  it('waits as long as Retry-After asks, then restores and saves as usual', async () => {
    gha.server.inject({ method: 'GetCacheEntryDownloadURL', status: 429, retryAfter: '1', message: 'rate limited' })
    gha.server.inject({ method: 'CreateCacheEntry', status: 429, retryAfter: '1', message: 'rate limited' })
    const run = await gha.jobs.run({ variant: 'v1', inputs: { 'key-prefix': 'rl' } })
    expect(run.main.code).toBe(0)
    expect(run.post.code).toBe(0)
    expect(run.warnings).toEqual([])

    const lookups = calls(run.requests, 'GetCacheEntryDownloadURL')
    expect(lookups[0]?.status).toBe(429)
    expect(lookups[1]?.status).toBe(200)
    expect(gaps(lookups)[0]).toBeGreaterThanOrEqual(1000)
    expect(run.main.stdout).toMatch(/rate-limited by the cache service \(Restoring rl-manifest-f2-linux-x64-\); retry 2\/4 in 1\.0 s as Retry-After asks/)

    const creates = calls(run.requests, 'CreateCacheEntry')
    expect(creates.map((c) => c.status)).toEqual([429, 200, 200])
    expect(gaps(creates)[0]).toBeGreaterThanOrEqual(1000)
    expect(run.post.stdout).toMatch(/rate-limited by the cache service \(Saving rl-layer-\S+\); retry 2\/4 in 1\.0 s as Retry-After asks/)
    expect(run.created).toHaveLength(2)
    expect((await newestManifest(gha.server, 'rl')).layers).toHaveLength(1)
  })

  it('gives up on a rate limit that persists: one warning, nothing saved, a green job', async () => {
    gha.server.inject({ method: 'CreateCacheEntry', status: 429, retryAfter: '1', message: 'rate limited', times: 100 })
    const run = await gha.jobs.run({ variant: 'v1', inputs: { 'key-prefix': 'rl-persist' } })
    expect(run.post.code).toBe(0)
    expect(run.warnings).toHaveLength(1)
    expect(run.warnings[0]).toMatch(/refused the save .*rate-limited/)
    const creates = calls(run.requests, 'CreateCacheEntry')
    // Four attempts, each after the second Retry-After asked for; the manifest is not even tried.
    expect(creates).toHaveLength(4)
    for (const gap of gaps(creates)) expect(gap).toBeGreaterThanOrEqual(1000)
    expect(creates.every((c) => c.key?.startsWith('rl-persist-layer-'))).toBe(true)
    expect(run.created).toEqual([])
    expect(run.post.outputs['pushed-count']).toBe('0')
  })
})

describe('a service that refuses', () => {
  it('a dead service: one warning, the job builds everything and stays green, even in strict mode', async () => {
    const dead = `http://127.0.0.1:${await freePort()}/`
    for (const strict of ['false', 'true']) {
      const run = await gha.jobs.run({ variant: 'v1', env: { ACTIONS_RESULTS_URL: dead }, inputs: { strict } })
      expect(run.main.code).toBe(0)
      expect(run.post.code).toBe(0)
      expect(run.warnings).toHaveLength(1)
      expect(run.warnings[0]).toMatch(/GitHub Actions cache refused this job \(.*ECONNREFUSED/)
      expect(errorLines(run.main.stdout + run.post.stdout)).toEqual([])
      expect(run.built).toHaveLength(ALL_OWN)
      expect(run.post.summary).toContain('not usable in this job')
    }
  })

  it('a service that accepts connections and never answers: the job pays at most its budget, one warning, green', async () => {
    const hanging = await startFaultServer(join(world.dir, 'hanging-service'))
    hanging.script({ fault: { kind: 'hang' } })
    try {
      const started = Date.now()
      const budgetMs = 5_000
      const run = await gha.jobs.run({
        variant: 'v1',
        env: { ACTIONS_RESULTS_URL: `${hanging.url}/`, NIX_BUILDTIME_CACHE_TEST_TIMEOUTS: JSON.stringify({ jobBudgetMs: budgetMs }) },
        inputs: { strict: 'false' }
      })
      const elapsed = Date.now() - started
      expect(run.main.code).toBe(0)
      expect(run.post.code).toBe(0)
      expect(run.warnings).toHaveLength(1)
      expect(run.warnings[0]).toMatch(/no answer from the cache service within 5 s; abandoned/)
      expect(run.built).toHaveLength(ALL_OWN)
      // The budget is the job's: main spends it, so the post step does not ask again.
      expect(hanging.log.length).toBeGreaterThan(0)
      const askedInPost = hanging.log.filter((r) => r.at > started + budgetMs + 2_000)
      expect(askedInPost).toEqual([])
      // The budget, the build of every derivation, and both steps' own work; @actions/cache alone would wait for minutes.
      expect(elapsed).toBeLessThan(budgetMs + 45_000)
    } finally {
      await hanging.stop()
    }
  })

  it('no ACTIONS_RUNTIME_TOKEN (not a GitHub runner, act without a cache server): one warning, green', async () => {
    const run = await gha.jobs.run({ variant: 'v1', env: { ACTIONS_RUNTIME_TOKEN: undefined } })
    expect(run.post.code).toBe(0)
    expect(run.warnings).toHaveLength(1)
    expect(run.warnings[0]).toContain('ACTIONS_RUNTIME_TOKEN is not set')
    expect(run.requests).toEqual([])
  })

  it('a read-only token (cache write denied): one warning, one attempt, green', async () => {
    gha.server.inject({ method: 'CreateCacheEntry', status: 403, message: 'cache write denied: this run may only read the cache', times: 10 })
    const run = await gha.jobs.run({ variant: 'v1', inputs: { 'key-prefix': 'denied' } })
    expect(run.post.code).toBe(0)
    expect(run.warnings).toHaveLength(1)
    expect(run.warnings[0]).toMatch(/refused the save \(cache write denied/)
    expect(calls(run.requests, 'CreateCacheEntry')).toHaveLength(1)
    expect(run.created).toEqual([])
  })
})

describe('ACTIONS_CACHE_MODE', () => {
  it('read: restores but never writes, without a warning; none: no requests at all', async () => {
    const seed = await gha.jobs.run({ variant: 'v1', inputs: { 'key-prefix': 'mode' } })
    expect(seed.created).toHaveLength(2)

    const read = await gha.jobs.run({ variant: 'v2', inputs: { 'key-prefix': 'mode' }, env: { ACTIONS_CACHE_MODE: 'read' } })
    expect(read.warnings).toEqual([])
    expect(read.built).toHaveLength(1)
    expect(calls(read.requests, 'CreateCacheEntry')).toEqual([])
    expect(read.post.stdout).toContain('ACTIONS_CACHE_MODE=read does not permit writes')

    const none = await gha.jobs.run({ variant: 'v2', inputs: { 'key-prefix': 'mode' }, env: { ACTIONS_CACHE_MODE: 'none' } })
    expect(none.warnings).toEqual([])
    expect(none.requests).toEqual([])
    expect(none.built).toHaveLength(ALL_OWN)
  })
})

describe('a damaged manifest', () => {
  it('costs one warning; the job carries on as if the cache were empty and saves a fresh manifest', async () => {
    await gha.jobs.run({ variant: 'v1', inputs: { 'key-prefix': 'damaged' } })
    const manifest = await newestManifest(gha.server, 'damaged')
    gha.server.overwrite(manifest.key, Buffer.from('garbage'))
    const run = await gha.jobs.run({ variant: 'v2', inputs: { 'key-prefix': 'damaged' } })
    expect(run.post.code).toBe(0)
    expect(run.warnings).toHaveLength(1)
    expect(warningLines(run.main.stdout)[0]).toContain('The cache manifest could not be restored')
    expect(run.built).toHaveLength(ALL_OWN)
    expect(run.created).toHaveLength(2)

    const next = await gha.jobs.run({ variant: 'v2', inputs: { 'key-prefix': 'damaged' } })
    expect(next.warnings).toEqual([])
    expect(next.built).toEqual([])
  })
})
