import { describe, it, expect } from '@jest/globals'
import {
  RetryableHttpError,
  backoffDelay,
  isTransientError,
  parseRetryAfter,
  withRetry
} from '../../../src/runtime/retry.js'

/** Records requested delays instead of waiting. */
function fakeSleep(): { sleep: (ms: number) => Promise<void>; delays: number[] } {
  const delays: number[] = []
  return { delays, sleep: async (ms) => void delays.push(ms) }
}

describe('withRetry', () => {
  it('returns the first success without sleeping', async () => {
    const { sleep, delays } = fakeSleep()
    const seen: number[] = []
    const result = await withRetry(async (attempt) => {
      seen.push(attempt)
      return 'ok'
    }, { sleep })
    expect(result).toBe('ok')
    expect(seen).toEqual([1])
    expect(delays).toEqual([])
  })

  it('retries transient errors with growing delays and passes the attempt number', async () => {
    const { sleep, delays } = fakeSleep()
    const seen: number[] = []
    const result = await withRetry(
      async (attempt) => {
        seen.push(attempt)
        if (attempt < 4) throw new RetryableHttpError('HTTP 503', 503)
        return attempt
      },
      { sleep, baseDelayMs: 100, random: () => 0.5 }
    )
    expect(result).toBe(4)
    expect(seen).toEqual([1, 2, 3, 4])
    // window 100, 200, 400 → half fixed + half * 0.5 jitter
    expect(delays).toEqual([75, 150, 300])
  })

  it('defaults to 5 attempts and rethrows the last error unchanged', async () => {
    const { sleep, delays } = fakeSleep()
    let calls = 0
    const err = new RetryableHttpError('HTTP 500', 500)
    await expect(
      withRetry(async () => {
        calls++
        throw err
      }, { sleep })
    ).rejects.toBe(err)
    expect(calls).toBe(5)
    expect(delays).toHaveLength(4)
  })

  it('does not retry errors the predicate rejects', async () => {
    const { sleep } = fakeSleep()
    let calls = 0
    await expect(
      withRetry(async () => {
        calls++
        throw new Error('HTTP 403')
      }, { sleep })
    ).rejects.toThrow('HTTP 403')
    expect(calls).toBe(1)
  })

  it('uses a custom isRetryable', async () => {
    const { sleep } = fakeSleep()
    let calls = 0
    await expect(
      withRetry(
        async () => {
          calls++
          throw new Error('anything')
        },
        { sleep, attempts: 3, isRetryable: () => true }
      )
    ).rejects.toThrow('anything')
    expect(calls).toBe(3)
  })

  it('honours retryAfterMs exactly, even above maxDelayMs, but caps it', async () => {
    const { sleep, delays } = fakeSleep()
    let calls = 0
    await withRetry(
      async () => {
        calls++
        if (calls === 1) throw new RetryableHttpError('429', 429, 2000)
        if (calls === 2) throw new RetryableHttpError('429', 429, 10 * 60_000)
        return undefined
      },
      { sleep, maxDelayMs: 50 }
    )
    expect(delays).toEqual([2000, 120_000])
  })

  it('caps exponential backoff at maxDelayMs', async () => {
    const { sleep, delays } = fakeSleep()
    await expect(
      withRetry(
        async () => {
          throw new RetryableHttpError('x', 500)
        },
        { sleep, attempts: 8, baseDelayMs: 500, maxDelayMs: 2000, random: () => 0.9999 }
      )
    ).rejects.toThrow()
    expect(Math.max(...delays)).toBeLessThanOrEqual(2000)
    expect(delays.slice(-3)).toEqual([2000, 2000, 2000])
  })

  it('reports each retry to onRetry', async () => {
    const { sleep } = fakeSleep()
    const reports: Array<[string, number, number]> = []
    await withRetry(
      async (attempt) => {
        if (attempt < 3) throw new RetryableHttpError(`fail ${attempt}`, 502, 7)
        return null
      },
      { sleep, onRetry: (e, attempt, delay) => reports.push([(e as Error).message, attempt, delay]) }
    )
    expect(reports).toEqual([
      ['fail 1', 1, 7],
      ['fail 2', 2, 7]
    ])
  })

  it('ignores explicitly undefined options', async () => {
    const { sleep } = fakeSleep()
    let calls = 0
    await expect(
      withRetry(
        async () => {
          calls++
          throw new RetryableHttpError('x', 500)
        },
        { sleep, attempts: undefined }
      )
    ).rejects.toThrow()
    expect(calls).toBe(5)
  })

  it('really sleeps by default', async () => {
    const start = Date.now()
    let calls = 0
    await withRetry(
      async () => {
        if (++calls === 1) throw new RetryableHttpError('x', 503, 50)
        return calls
      }
    )
    expect(Date.now() - start).toBeGreaterThanOrEqual(45)
  })
})

describe('backoffDelay', () => {
  it('stays within [window/2, window]', () => {
    for (let attempt = 1; attempt <= 10; attempt++) {
      const window = Math.min(30_000, 500 * 2 ** (attempt - 1))
      expect(backoffDelay(attempt, 500, 30_000, () => 0)).toBe(window / 2)
      expect(backoffDelay(attempt, 500, 30_000, () => 0.99999)).toBeLessThanOrEqual(window)
    }
  })
})

describe('isTransientError', () => {
  it('classifies errors', () => {
    expect(isTransientError(new RetryableHttpError('x', 429))).toBe(true)
    expect(isTransientError(new TypeError('fetch failed', { cause: new Error('ECONNRESET') }))).toBe(true)
    expect(isTransientError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(true)
    expect(isTransientError(new TypeError('Invalid URL'))).toBe(false)
    expect(isTransientError(new Error('HTTP 403'))).toBe(false)
    expect(isTransientError('string')).toBe(false)
    expect(isTransientError(null)).toBe(false)
  })
})

describe('parseRetryAfter', () => {
  const now = Date.parse('2024-01-01T00:00:00Z')

  it('parses delta-seconds', () => {
    expect(parseRetryAfter('1', now)).toBe(1000)
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000)
    expect(parseRetryAfter('0', now)).toBe(0)
  })

  it('parses HTTP-dates relative to now', () => {
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:00:30 GMT', now)).toBe(30_000)
    expect(parseRetryAfter('Sun, 31 Dec 2023 23:59:00 GMT', now)).toBe(0)
  })

  it('rejects missing and malformed values', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined()
    expect(parseRetryAfter('', now)).toBeUndefined()
    expect(parseRetryAfter('-5', now)).toBeUndefined()
    expect(parseRetryAfter('1.5', now)).toBeUndefined()
    expect(parseRetryAfter('soon', now)).toBeUndefined()
  })
})
