// The one request guard every network executor uses: budget first, an idle timeout per attempt,
// retries that honour Retry-After, and what each outcome costs the job's budget. Real timers, a
// real local HTTP server where the abort has to reach a real socket.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { createServer, type Server } from 'node:http'
import type { Socket } from 'node:net'
import { CacheUnavailableError, JobBudget, type FailureKind } from '../../../src/runtime/budget.js'
import { BudgetedRequest, RequestGuard, RequestTimeout, type RequestPolicy } from '../../../src/runtime/request.js'
import { RetryableHttpError } from '../../../src/runtime/retry.js'
import { host, setHost } from '../../../src/runtime/host.js'
import { capturingHost, sleep } from '../../helpers/fixtures.js'

/** A sleep that an abort ends at once, as a real request's does. */
const work = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => {
      clearTimeout(timer)
      reject(signal.reason as Error)
    })
  })

/** A refusal the cache gives for good (a 403, say), and an answer that is not trouble (a 404). */
class Refused extends Error {}
class Absent extends Error {}

function guard(budget: JobBudget, over: Partial<RequestPolicy> = {}): RequestGuard {
  return new RequestGuard({
    budget,
    followDeadline: true,
    retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 10 },
    verdict: (e): FailureKind | 'answer' | undefined =>
      e instanceof Absent ? 'answer' : e instanceof Refused ? 'refused' : e instanceof RequestTimeout ? 'timeout' : 'server-error',
    cause: (e) => (e as Error).message,
    ...over
  })
}

const previousHost = host()
const said = capturingHost(previousHost)
const lines = said.lines
beforeAll(() => {
  setHost(said.host)
})
afterAll(() => setHost(previousHost))
afterEach(() => {
  lines.length = 0
})

describe('retries', () => {
  it('waits exactly as long as Retry-After asks, even beyond the backoff ceiling, and says so', async () => {
    const budget = new JobBudget({ budgetMs: 60_000, breakerThreshold: 5 })
    const slept: number[] = []
    let tries = 0
    const value = await guard(budget, { retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 10, sleep: async (ms) => void slept.push(ms) } }).run(
      'PUT https://cache/x.narinfo',
      async () => {
        if (++tries === 1) throw new RetryableHttpError('HTTP 429 Too Many Requests', 429, 1_500)
        return 'stored'
      }
    )
    expect(value).toBe('stored')
    expect(slept).toEqual([1_500])
    expect(lines).toEqual(['HTTP 429 Too Many Requests from PUT https://cache/x.narinfo; retry 2/3 in 1.5 s'])
    // The spell ended with the success: what it cost stays, nothing more runs.
    expect(budget.deadline()).toBeUndefined()
  })

  it('does not wait for a Retry-After the budget cannot afford: the last error comes at once', async () => {
    const budget = new JobBudget({ budgetMs: 1_000, breakerThreshold: 5 })
    const started = Date.now()
    let tries = 0
    const run = guard(budget).run('HEAD https://cache/x.narinfo', async () => {
      tries++
      throw new RetryableHttpError('HTTP 503 Service Unavailable', 503, 5_000)
    })
    await expect(run).rejects.toThrow('HTTP 503 Service Unavailable')
    expect(tries).toBe(1)
    expect(Date.now() - started).toBeLessThan(500)
  })

  it('gives a client that retries by itself the same schedule: Retry-After, and no wait past the budget or an open breaker', () => {
    const budget = new JobBudget({ budgetMs: 10_000, breakerThreshold: 1 })
    const request = new BudgetedRequest(budget, 'PUT s3://b/x.narinfo')
    const schedule = { attempts: 5, baseDelayMs: 100, maxDelayMs: 100, isRetryable: () => true }
    expect(request.retryDelay(new Error('503'), 1, schedule, 2_000)).toBe(2_000)
    expect(request.retryDelay(new Error('503'), 1, schedule, 20_000)).toBeUndefined()
    expect(request.retryDelay(new Error('503'), 5, schedule)).toBeUndefined()
    request.failed('server-error', 'HTTP 503 from PUT s3://b/x.narinfo')
    expect(request.retryDelay(new Error('503'), 1, schedule)).toBeUndefined()
  })
})

describe('the idle timeout', () => {
  let server: Server
  let url: string
  const sockets = new Set<Socket>()
  beforeAll(async () => {
    // Answers /slow after 900 ms of silence, and /trickle with a body byte every 100 ms for 900 ms.
    server = createServer((req, res) => {
      if (req.url === '/slow') {
        setTimeout(() => res.end('late'), 900)
        return
      }
      res.writeHead(200)
      let sent = 0
      const timer = setInterval(() => {
        res.write('.')
        if (++sent === 9) {
          clearInterval(timer)
          res.end()
        }
      }, 100)
    })
    server.on('connection', (s) => {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const addr = server.address()
    url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`
  })
  afterAll(async () => {
    for (const s of sockets) s.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  it('abandons an attempt that shows no sign of life, and aborts its request', async () => {
    const budget = new JobBudget({ budgetMs: 60_000, breakerThreshold: 5 })
    const started = Date.now()
    const run = guard(budget, { idleMs: 300, retry: { attempts: 1 } }).run(`GET ${url}/slow`, async (a) => (await fetch(`${url}/slow`, { signal: a.signal })).text())
    await expect(run).rejects.toThrow(RequestTimeout)
    await expect(run).rejects.toThrow('no answer for 0.3 s')
    expect(Date.now() - started).toBeLessThan(800)
    expect(budget.spent()).toBeGreaterThan(0)
  })

  it('lets an attempt that keeps making progress run far past the idle timeout', async () => {
    const budget = new JobBudget({ budgetMs: 60_000, breakerThreshold: 5 })
    const body = await guard(budget, { idleMs: 300 }).run(`GET ${url}/trickle`, async (a) => {
      const res = await fetch(`${url}/trickle`, { signal: a.signal })
      let text = ''
      for await (const chunk of res.body!) {
        a.touch()
        text += Buffer.from(chunk).toString()
      }
      return text
    })
    expect(body).toBe('.........')
    expect(budget.spent()).toBe(0)
  })

  it('leaves a call that takes no signal running, and records that work was abandoned', async () => {
    const budget = new JobBudget({ budgetMs: 60_000, breakerThreshold: 5 })
    let finished = false
    const run = guard(budget, { idleMs: 200, abortable: false, followDeadline: false, retry: { attempts: 1 } }).run('Saving k', async () => {
      await sleep(600)
      finished = true
    })
    await expect(run).rejects.toThrow(RequestTimeout)
    expect(finished).toBe(false)
    expect(budget.abandonedWork).toBe(true)
    await sleep(600)
    expect(finished).toBe(true)
  })
})

describe('the budget', () => {
  it('stops further attempts once the breaker is open: later requests never run', async () => {
    const budget = new JobBudget({ budgetMs: 60_000, breakerThreshold: 2 })
    const requests = guard(budget, { retry: { attempts: 1 } })
    let calls = 0
    const refuse = async (): Promise<never> => {
      calls++
      throw new Refused('HTTP 403 Forbidden')
    }
    await expect(requests.run('PUT https://cache/a.narinfo', refuse)).rejects.toThrow(Refused)
    await expect(requests.run('PUT https://cache/b.narinfo', refuse)).rejects.toThrow(Refused)
    await expect(requests.run('PUT https://cache/c.narinfo', refuse)).rejects.toThrow(
      /2 requests in a row were refused \(first: HTTP 403 Forbidden from PUT https:\/\/cache\/a\.narinfo\); not asking it again/
    )
    expect(calls).toBe(2)
  })

  it('stops retrying a request once another one opened the breaker', async () => {
    const budget = new JobBudget({ budgetMs: 60_000, breakerThreshold: 1 })
    let tries = 0
    const run = guard(budget, { retry: { attempts: 5, baseDelayMs: 50, maxDelayMs: 50 } }).run('PUT https://cache/nar/x.nar', async () => {
      if (++tries === 1) budget.requestFailed('timeout', 'no answer for 30 s from PUT https://cache/nar/y.nar', 'PUT nar')
      throw new RetryableHttpError('HTTP 502 Bad Gateway', 502)
    })
    await expect(run).rejects.toThrow(CacheUnavailableError)
    expect(tries).toBe(1)
  })

  it('charges nothing for answers such as a 404, and an answer ends a trouble spell', async () => {
    const budget = new JobBudget({ budgetMs: 60_000, breakerThreshold: 2 })
    const requests = guard(budget, { retry: { attempts: 1 } })
    budget.attemptFailed(Date.now() - 1_000, 'earlier trouble')
    for (let i = 0; i < 5; i++) {
      await expect(requests.run(`HEAD https://cache/${i}.narinfo`, async () => Promise.reject(new Absent('HTTP 404 Not Found')))).rejects.toThrow(Absent)
    }
    const spent = budget.spent()
    await sleep(100)
    expect(budget.spent()).toBe(spent)
    expect(budget.deadline()).toBeUndefined()
    expect(budget.tripped).toBeUndefined()
  })

  it('charges nothing for a failure the policy does not count as trouble (a store that refused a path has answered)', async () => {
    const budget = new JobBudget({ budgetMs: 60_000, breakerThreshold: 1 })
    const requests = guard(budget, { isTrouble: (e) => !(e instanceof Refused), verdict: (e) => (e instanceof Refused ? undefined : 'connection') })
    await expect(requests.run('nix copy', async () => Promise.reject(new Refused('nix copy failed: path is not valid')))).rejects.toThrow(Refused)
    expect(budget.spent()).toBe(0)
    expect(budget.tripped).toBeUndefined()
  })

  it('abandons an attempt when a failing cache runs out of budget while it runs', async () => {
    const budget = new JobBudget({ budgetMs: 400, breakerThreshold: 100 })
    const started = Date.now()
    // The attempt makes progress, but other requests are failing meanwhile.
    const run = guard(budget, { idleMs: 10_000, retry: { attempts: 1 } }).run('PUT https://cache/nar/big.nar', async (a) => {
      budget.attemptFailed(Date.now(), 'HTTP 500 from PUT https://cache/x.narinfo')
      await work(10_000, a.signal)
    })
    await expect(run).rejects.toThrow(/the cache kept failing for 0\.4 s in this job \(first: HTTP 500 from PUT https:\/\/cache\/x\.narinfo\)/)
    expect(Date.now() - started).toBeLessThan(1_000)
  })

  it('does not cut an attempt short at the deadline of a trouble spell that has ended meanwhile', async () => {
    const budget = new JobBudget({ budgetMs: 300, breakerThreshold: 100 })
    budget.attemptFailed(Date.now(), 'a blip')
    const value = await guard(budget, { idleMs: 10_000, retry: { attempts: 1 } }).run('PUT https://cache/nar/big.nar', async (a) => {
      // Another request succeeds: the spell is over, and with it the deadline it set.
      await work(50, a.signal)
      budget.succeeded('PUT narinfo')
      await work(600, a.signal)
      return 'uploaded'
    })
    expect(value).toBe('uploaded')
  })
})
