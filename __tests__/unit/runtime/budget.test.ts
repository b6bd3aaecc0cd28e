// The bound on what a failing cache costs: per-attempt idle timeouts, the circuit breaker and the
// job-wide budget, against real sockets that hang, stall mid-upload or refuse.
import { afterEach, describe, expect, it } from '@jest/globals'
import { createServer, type Server } from 'node:http'
import type { Socket } from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { CacheUnavailableError, JobBudget, loadJobBudget } from '../../../src/runtime/budget.js'
import { timings, TIMINGS } from '../../../src/runtime/timings.js'
import { HttpBackend } from '../../../src/executors/binary-cache/http.js'
import { CONTENT_TYPES } from '../../../src/executors/binary-cache/backend.js'
import { host, setHost } from '../../../src/runtime/host.js'
import { jobBudget, JobBudgetFile, KEEP_SPENT_EVERY_MS, openJobBudget } from '../../../src/runtime/budget.js'
import { capturingHost } from '../../helpers/fixtures.js'

describe('JobBudget', () => {
  it('counts a trouble spell once however many requests fail in it, and not the time of successes', () => {
    let now = 0
    const b = new JobBudget({ budgetMs: 10_000, breakerThreshold: 100, now: () => now })
    now = 5_000
    b.succeeded() // a healthy minute costs nothing
    expect(b.spent()).toBe(0)
    b.attemptFailed(5_000)
    b.attemptFailed(5_500) // in parallel, same spell
    now = 8_000
    expect(b.spent()).toBe(3_000)
    expect(b.deadline()).toBe(8_000 + 7_000)
    b.succeeded()
    now = 20_000
    expect(b.spent()).toBe(3_000)
    expect(b.deadline()).toBeUndefined()
    b.attemptFailed(20_000)
    now = 27_000
    expect(() => b.check()).toThrow(CacheUnavailableError)
    expect(b.tripped).toMatch(/kept failing for 10 s/)
  })

  it('counts a wait charged to it at once, without a trouble spell that only a later success would end', () => {
    let now = 0
    const b = new JobBudget({ budgetMs: 10_000, breakerThreshold: 100, now: () => now })
    b.charge(4_000, 'no answer for 4.0 s from GET http://cache/x.narinfo')
    now = 60_000 // a long build later: nothing more was spent
    expect(b.spent()).toBe(4_000)
    expect(b.deadline()).toBeUndefined()
    b.charge(7_000)
    expect(b.tripped).toBe('the cache kept failing for 10 s in this job (first: no answer for 4.0 s from GET http://cache/x.narinfo)')
  })

  it('opens after a few failures of one kind in a row; another kind or a success starts the count again', () => {
    const b = new JobBudget({ budgetMs: 1e9, breakerThreshold: 3 })
    b.requestFailed('timeout', 'a')
    b.requestFailed('timeout', 'b')
    b.requestFailed('server-error', 'c')
    b.succeeded()
    b.requestFailed('refused', 'HTTP 403 from PUT x')
    b.requestFailed('refused', 'HTTP 403 from PUT y')
    expect(() => b.check()).not.toThrow()
    b.requestFailed('refused', 'HTTP 403 from PUT z')
    expect(() => b.check()).toThrow(/3 requests in a row were refused \(first: HTTP 403 from PUT x\); not asking it again/)
  })

  it('is carried from one step to the next through a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'budget-'))
    try {
      const file = join(dir, 'budget.json')
      const t = { ...TIMINGS, jobBudgetMs: 10_000, breakerThreshold: 2 }
      expect(loadJobBudget(file, t).spent()).toBe(0)
      const { writeFileSync } = await import('node:fs')
      writeFileSync(file, JSON.stringify({ spentMs: 9_000, tripped: 'dead in main' }))
      const next = loadJobBudget(file, t)
      expect(next.remainingMs()).toBe(1_000)
      expect(() => next.check()).toThrow(/dead in main/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('takes shortened limits for tests from the environment, and ignores junk', () => {
    expect(timings({ NIX_BUILDTIME_CACHE_TEST_TIMEOUTS: '{"idleMs":500,"jobBudgetMs":"x","nope":1}' })).toEqual({ ...TIMINGS, idleMs: 500 })
    expect(timings({ NIX_BUILDTIME_CACHE_TEST_TIMEOUTS: 'not json' })).toEqual(TIMINGS)
  })
})

describe('HttpBackend under a failing server', () => {
  let server: Server | undefined
  const sockets = new Set<Socket>()
  let requests = 0

  afterEach(async () => {
    for (const s of sockets) s.destroy()
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
    server = undefined
    requests = 0
  })

  async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
    server = createServer((req, res) => {
      requests++
      handler?.(req, res)
    })
    server.on('connection', (s) => {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
    })
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
    const addr = server.address()
    return `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/c`
  }

  const body = (bytes: number) => () => Readable.from((function* () {
    for (let sent = 0; sent < bytes; sent += 65536) yield Buffer.alloc(Math.min(65536, bytes - sent), 1)
  })())

  it('abandons an attempt that gets no answer after the idle timeout, and retries', async () => {
    const url = await serve(() => undefined) // accepts, never answers
    const budget = new JobBudget({ budgetMs: 60_000, breakerThreshold: 5 })
    const b = new HttpBackend({ url, netrcFile: '/nonexistent', budget, timings: { idleMs: 300 }, retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 10 } })
    const started = Date.now()
    await expect(b.put('k', body(10), CONTENT_TYPES.nar)).rejects.toThrow(/PUT http:\/\/127\.0\.0\.1:\d+\/c\/k: no answer for 0\.3 s \(gave up after 2 attempts\)/)
    expect(Date.now() - started).toBeLessThan(3_000)
    expect(requests).toBe(2)
  })

  it('abandons an upload the server stops reading (no body progress), however large', async () => {
    const url = await serve((req) => {
      // Read the first chunk, then stop reading: the client's writes back up.
      req.once('data', () => req.pause())
    })
    const b = new HttpBackend({ url, netrcFile: '/nonexistent', timings: { idleMs: 500 }, retry: { attempts: 1 } })
    const started = Date.now()
    await expect(b.put('nar/x.nar', body(256 * 1024 * 1024), CONTENT_TYPES.nar)).rejects.toThrow(/no answer for/)
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  it('stops asking once the breaker is open: later requests never reach the server', async () => {
    const url = await serve((_req, res) => void res.writeHead(403).end())
    const budget = new JobBudget({ budgetMs: 60_000, breakerThreshold: 2 })
    const b = new HttpBackend({ url, netrcFile: '/nonexistent', budget })
    await expect(b.put('a.narinfo', body(10), CONTENT_TYPES.narinfo)).rejects.toThrow(/HTTP 403/)
    await expect(b.put('b.narinfo', body(10), CONTENT_TYPES.narinfo)).rejects.toThrow(/HTTP 403/)
    await expect(b.put('c.narinfo', body(10), CONTENT_TYPES.narinfo)).rejects.toThrow(/2 requests in a row were refused/)
    await expect(b.existing(['a'.repeat(32)])).rejects.toThrow(CacheUnavailableError)
    expect(requests).toBe(2)
  })

  it('bounds a hanging cache by the job budget, not by attempts × timeout', async () => {
    const url = await serve(() => undefined)
    const budget = new JobBudget({ budgetMs: 1_000, breakerThreshold: 100 })
    const b = new HttpBackend({ url, netrcFile: '/nonexistent', budget, timings: { idleMs: 600 }, retry: { attempts: 5, baseDelayMs: 10, maxDelayMs: 10 } })
    const started = Date.now()
    const puts = Array.from({ length: 20 }, (_, i) => b.put(`nar/${i}.nar`, body(10), CONTENT_TYPES.nar).catch((e: unknown) => e))
    const results = await Promise.all(puts)
    expect(results.every((e) => e instanceof Error)).toBe(true)
    // 5 attempts × 600 ms would be 3 s per path; the budget stops all of them at about 1 s.
    expect(Date.now() - started).toBeLessThan(2_000)
    expect(budget.tripped).toMatch(/kept failing/)
  })
})

describe('S3Backend under an endpoint that never answers', () => {
  let server: Server | undefined
  const sockets = new Set<Socket>()
  afterEach(async () => {
    for (const s of sockets) s.destroy()
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
    delete process.env.NIX_BUILDTIME_CACHE_TEST_TIMEOUTS
    setHost(previousHost)
  })
  const previousHost = host()

  it('abandons idle attempts, logs each retry, and stops at the job budget', async () => {
    server = createServer(() => undefined)
    server.on('connection', (s) => {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
    })
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
    const addr = server.address()
    const endpoint = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`
    process.env.NIX_BUILDTIME_CACHE_TEST_TIMEOUTS = JSON.stringify({ idleMs: 400, connectMs: 400, retryBaseDelayMs: 10, retryMaxDelayMs: 20 })
    const capture = capturingHost(previousHost)
    const lines = capture.lines
    setHost(capture.host)
    const { S3Backend } = await import('../../../src/executors/binary-cache/s3.js')
    const budget = new JobBudget({ budgetMs: 2_000, breakerThreshold: 100 })
    const s3 = new S3Backend({
      location: { bucket: 'b', region: 'us-east-1', endpoint, forcePathStyle: true },
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-real-secret-key' },
      budget,
      warn: (m) => lines.push(`warning: ${m}`)
    })
    const started = Date.now()
    const found = await s3.existing(Array.from({ length: 20 }, (_, i) => String(i).padStart(32, 'a'))).catch((e: unknown) => e)
    const put = await s3.put('nar/x.nar', () => Readable.from([Buffer.from('x')]), CONTENT_TYPES.nar).catch((e: unknown) => e)
    s3.close()
    // 20 probes × 5 attempts × 400 ms would be 40 s in sequence; the budget stops everything at 2 s.
    expect(Date.now() - started).toBeLessThan(4_000)
    expect(found instanceof CacheUnavailableError || found instanceof Set).toBe(true)
    expect(put).toBeInstanceOf(Error)
    expect(lines.join('\n')).toMatch(/from HEAD s3:\/\/b\/a+\d+\.narinfo; retry 2\/5 in 0\.0 s/)
    expect(budget.tripped).toMatch(/kept failing/)
  })
})

describe('the job’s budget file', () => {
  const t = { ...TIMINGS, jobBudgetMs: 10_000, breakerThreshold: 2 }
  /** Spends `ms` of trouble time in one spell, ended by a success. */
  const spend = (b: JobBudget, ms: number): void => {
    b.attemptFailed(Date.now() - ms)
    b.succeeded()
  }
  let dir: string | undefined
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
    dir = undefined
  })

  it('adds up what overlapping processes of one job spent (the main step and its agent), each counted once', async () => {
    dir = await mkdtemp(join(tmpdir(), 'budget-'))
    const file = join(dir, 'budget.json')
    const main = new JobBudgetFile(file)
    const agent = new JobBudgetFile(file)
    // Both read the file before either saved: the agent starts during the main step.
    const mainBudget = main.load(t)
    const agentBudget = agent.load(t)
    spend(mainBudget, 2_000)
    main.save(mainBudget)
    spend(agentBudget, 3_000)
    agent.save(agentBudget)
    // Saving again (the agent as it stops, then as its process ends) adds only what is new.
    agent.save(agentBudget)
    const post = loadJobBudget(file, t)
    expect(post.spent()).toBeGreaterThanOrEqual(5_000)
    expect(post.spent()).toBeLessThan(5_500)
    agentBudget.requestFailed('timeout', 'no answer from GET x')
    agentBudget.requestFailed('timeout', 'no answer from GET y')
    agent.save(agentBudget)
    expect(() => loadJobBudget(file, t).check()).toThrow(/2 requests in a row timed out \(first: no answer from GET x\)/)
  })

  it('starts a new job afresh, and a process of the earlier job adds nothing to it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'budget-'))
    const file = join(dir, 'budget.json')
    const { writeFileSync } = await import('node:fs')
    writeFileSync(file, JSON.stringify({ spentMs: 9_000, tripped: 'dead in the earlier job' }))
    // An agent of the earlier job, still running when the next `start` begins a job.
    const earlier = new JobBudgetFile(file)
    const earlierBudget = earlier.load(t)
    new JobBudgetFile(file).startNewJob()
    const fresh = loadJobBudget(file, t)
    expect(fresh.spent()).toBe(0)
    expect(() => fresh.check()).not.toThrow()
    spend(earlierBudget, 1_000)
    earlier.save(earlierBudget)
    expect(loadJobBudget(file, t).spent()).toBe(0)
    // The new job's own processes still add up.
    const next = new JobBudgetFile(file)
    const nextBudget = next.load(t)
    spend(nextBudget, 1_000)
    next.save(nextBudget)
    expect(loadJobBudget(file, t).spent()).toBeGreaterThanOrEqual(1_000)
  })

  it('is kept as it is spent while a cache fails, so that a process killed mid-request gives no time back', async () => {
    dir = await mkdtemp(join(tmpdir(), 'budget-'))
    const file = join(dir, 'budget.json')
    openJobBudget(file, { newJob: true })
    // A request began failing 3 s ago and is still running: nothing has saved the budget.
    jobBudget().attemptFailed(Date.now() - 3_000, 'no answer from PUT x')
    await new Promise((resolve) => setTimeout(resolve, KEEP_SPENT_EVERY_MS + 500))
    // What a later process of the job would read if this one died now.
    expect(loadJobBudget(file, t).spent()).toBeGreaterThanOrEqual(3_000)
    // A healthy process writes nothing: its budget has nothing to hand on.
    const { statSync } = await import('node:fs')
    jobBudget().succeeded()
    await new Promise((resolve) => setTimeout(resolve, KEEP_SPENT_EVERY_MS + 200))
    const written = statSync(file).mtimeMs
    await new Promise((resolve) => setTimeout(resolve, KEEP_SPENT_EVERY_MS + 200))
    expect(statSync(file).mtimeMs).toBe(written)
  })
})
