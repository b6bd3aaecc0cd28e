// The client's retry policy and circuit breaker, around a scripted @actions/cache that answers
// the way the real one does: by logging and returning "miss" or -1.
import { beforeEach, describe, expect, it, jest } from '@jest/globals'

type Answer = { lines: string[]; result: string | number | undefined }
let script: Answer[] = []
const calls: string[] = []

function answer(kind: string): Promise<string | number | undefined> {
  calls.push(kind)
  const next = script.shift()
  if (!next) throw new Error('the script ran out')
  for (const line of next.lines) process.stdout.write(`${line}\n`)
  return Promise.resolve(next.result)
}

jest.unstable_mockModule('@actions/cache', () => ({
  isFeatureAvailable: () => true,
  restoreCache: () => answer('restore'),
  saveCache: () => answer('save')
}))
const { actionsCacheClient, CacheEntryError, CacheServiceRefused } = await import('../../../../src/executors/gha/client.js')

const RATE = "::warning::You've hit a rate limit, your rate limit will reset in 7 seconds"
const LIMITED: Answer = { lines: [RATE, '::warning::Failed to restore: Failed to GetCacheEntryDownloadURL: Rate limited: Failed request: (429) Too Many Requests: x'], result: undefined }
const DOWN: Answer = { lines: ['::warning::Failed to restore: Failed to GetCacheEntryDownloadURL: Failed to make request after 5 attempts: Failed request: (503) Service Unavailable: x'], result: undefined }
const HIT: Answer = { lines: ['Cache Size: ~0 MB (1234 B)'], result: 'k' }

let slept: number[]
const client = () => actionsCacheClient({ retry: { sleep: async (ms) => void slept.push(ms) } })

beforeEach(() => {
  script = []
  calls.length = 0
  slept = []
})

describe('the cache client', () => {
  it('waits for Retry-After on a 429 and then succeeds', async () => {
    script = [LIMITED, HIT]
    expect(await client().restore('/p', 'k')).toEqual({ key: 'k', archiveBytes: 1234 })
    expect(slept).toEqual([7000])
  })

  it('gives up after 4 attempts of a persisting 429, and then asks the service nothing more', async () => {
    script = [LIMITED, LIMITED, LIMITED, LIMITED]
    const c = client()
    await expect(c.restore('/p', 'k')).rejects.toMatchObject({ name: 'CacheServiceRefused', reason: 'rate-limited' })
    expect(slept).toEqual([7000, 7000, 7000])
    await expect(c.save('/p', 'other')).rejects.toBeInstanceOf(CacheServiceRefused)
    expect(calls).toEqual(['restore', 'restore', 'restore', 'restore'])
  })

  it('does not wait for a Retry-After over a minute', async () => {
    script = [{ lines: ["::warning::You've hit a rate limit, your rate limit will reset in 3600 seconds", LIMITED.lines[1]!], result: undefined }]
    await expect(client().restore('/p', 'k')).rejects.toMatchObject({ reason: 'rate-limited' })
    expect(slept).toEqual([])
  })

  it('tries a failing service (5xx after the library retried) one more round only', async () => {
    script = [DOWN, DOWN]
    await expect(client().restore('/p', 'k')).rejects.toMatchObject({ reason: 'unavailable' })
    expect(calls).toHaveLength(2)
    expect(slept).toHaveLength(1)
  })

  it('treats an existing key as saved, and a failed entry as that entry only', async () => {
    const c = client()
    script = [
      { lines: ['::debug::Failed to reserve cache: Error: Failed to CreateCacheEntry: Received non-retryable error: Failed request: (409) Conflict: exists', 'Failed to save: Unable to reserve cache with key k, another job may be creating this cache.'], result: -1 },
      { lines: ["::warning::Failed to restore: The process '/usr/bin/tar' failed with exit code 2"], result: undefined },
      HIT
    ]
    expect(await c.save('/p', 'k')).toEqual({ created: false })
    await expect(c.restore('/p', 'k')).rejects.toBeInstanceOf(CacheEntryError)
    expect(await c.restore('/p', 'k')).toMatchObject({ key: 'k' })
  })

  it('returns undefined for a plain miss', async () => {
    script = [{ lines: ['::debug::Cache not found for version v of keys: k'], result: undefined }]
    expect(await client().restore('/p', 'k')).toBeUndefined()
  })
})
