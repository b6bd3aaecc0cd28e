import { afterAll, describe, expect, it } from '@jest/globals'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { captureOutput } from '../../../../src/executors/gha/capture.js'
import { archiveBytes, classifyRestore, classifySave } from '../../../../src/executors/gha/classify.js'
import { cacheMode, withinBudget } from '../../../../src/executors/gha/client.js'
import { JobBudget } from '../../../../src/runtime/budget.js'
import { RetryableHttpError } from '../../../../src/runtime/retry.js'
import { sleep } from '../../../helpers/fixtures.js'
import { isMaintenanceRun } from '../../../../src/executors/gha/events.js'
import { ghaLayout, keyScheme, refTag } from '../../../../src/executors/gha/layout.js'
import { MANIFEST_FORMAT } from '../../../../src/executors/gha/manifest.js'

// Lines as @actions/cache 6.3.0 writes them (cache.js, cacheTwirpClient.js, errors.js).
const SELF_HOSTED = '%0AIf you are using self-hosted runners, please make sure your runner has access to all GitHub endpoints: https://docs.github.com'
const RESERVE_INFO = 'Failed to save: Unable to reserve cache with key k, another job may be creating this cache.'

describe('what an @actions/cache outcome means', () => {
  it('restore: a hit, a miss, and a damaged entry', () => {
    expect(classifyRestore('k', ['Cache hit for: k'])).toEqual({ kind: 'ok' })
    expect(classifyRestore(undefined, ['::debug::Cache not found for version abc of keys: k'])).toEqual({ kind: 'miss' })
    expect(classifyRestore(undefined, ['Cache hit for: k', "::warning::Failed to restore: The process '/usr/bin/tar' failed with exit code 2"])).toEqual({
      kind: 'entry-failed',
      detail: "Failed to restore: The process '/usr/bin/tar' failed with exit code 2"
    })
  })

  it('restore: nothing listening is the service being unavailable', () => {
    const o = classifyRestore(undefined, [`::warning::Failed to restore: Failed to GetCacheEntryDownloadURL: Unable to make request: ECONNREFUSED${SELF_HOSTED}`])
    expect(o).toEqual({ kind: 'unavailable', detail: 'Unable to make request: ECONNREFUSED' })
  })

  it('restore and save: a 429 carries the Retry-After the library only mentions in a warning', () => {
    const warn = "::warning::You've hit a rate limit, your rate limit will reset in 7 seconds"
    expect(
      classifyRestore(undefined, [warn, '::warning::Failed to restore: Failed to GetCacheEntryDownloadURL: Rate limited: Failed request: (429) Too Many Requests: slow down'])
    ).toEqual({ kind: 'rate-limited', retryAfterMs: 7000, detail: 'Failed request: (429) Too Many Requests: slow down' })
    const save = classifySave(-1, [warn, '::debug::Failed to reserve cache: Error: Failed to CreateCacheEntry: Rate limited: Failed request: (429) Too Many Requests: x', RESERVE_INFO])
    expect(save.kind).toBe('rate-limited')
    // Without Retry-After there is no warning with a number: the caller backs off on its own.
    expect(classifySave(-1, ['::debug::Failed to reserve cache: Error: Failed to CreateCacheEntry: Rate limited: Failed request: (429) Too Many Requests: x', RESERVE_INFO])).toMatchObject({
      kind: 'rate-limited',
      retryAfterMs: undefined
    })
  })

  it('save: an existing key is not a failure, but the same "may be creating" message after a refusal is', () => {
    const conflict = '::debug::Failed to reserve cache: Error: Failed to CreateCacheEntry: Received non-retryable error: Failed request: (409) Conflict: cache entry with the same key, version, and scope already exists'
    expect(classifySave(-1, [conflict, RESERVE_INFO]).kind).toBe('exists')
    const denied = '::debug::Failed to reserve cache: Error: Failed to CreateCacheEntry: Received non-retryable error: Failed request: (403) Forbidden: cache write denied: read-only token'
    expect(classifySave(-1, [denied, RESERVE_INFO])).toEqual({ kind: 'read-only', detail: 'cache write denied: read-only token' })
    const quota = '::debug::Failed to reserve cache: Error: Failed to CreateCacheEntry: Cache storage quota has been hit. Unable to upload any new cache entries.%0AMore info'
    expect(classifySave(-1, [quota, RESERVE_INFO]).kind).toBe('read-only')
  })

  it('save: 5xx after the library gave up, an upload failure, and success', () => {
    const fiveHundred = '::warning::Failed to save: Failed to CreateCacheEntry: Failed to make request after 5 attempts: Failed request: (503) Service Unavailable: down'
    expect(classifySave(-1, [fiveHundred]).kind).toBe('server-error')
    expect(classifySave(-1, ['::warning::Failed to save: Upload failed: socket hang up'])).toEqual({ kind: 'entry-failed', detail: 'Failed to save: Upload failed: socket hang up' })
    expect(classifySave(17, ['::debug::File Size: 1234'])).toEqual({ kind: 'ok' })
    expect(classifySave(-1, ["Cache save skipped: the effective cache-mode 'read' does not permit writes."]).kind).toBe('read-only')
  })

  it('reads the archive size from either direction', () => {
    expect(archiveBytes(['Cache Size: ~12 MB (12582912 B)'])).toBe(12582912)
    expect(archiveBytes(['::debug::File Size: 4321'])).toBe(4321)
    expect(archiveBytes(['nothing'])).toBeUndefined()
  })
})

describe('ACTIONS_CACHE_MODE', () => {
  it('is read as @actions/cache reads it', () => {
    expect(cacheMode({})).toEqual({ mode: '', readable: true, writable: true })
    expect(cacheMode({ ACTIONS_CACHE_MODE: 'read' })).toMatchObject({ readable: true, writable: false })
    expect(cacheMode({ ACTIONS_CACHE_MODE: ' Write-Only ' })).toMatchObject({ readable: false, writable: true })
    expect(cacheMode({ ACTIONS_CACHE_MODE: 'none' })).toMatchObject({ readable: false, writable: false })
    expect(cacheMode({ ACTIONS_CACHE_MODE: 'bogus' })).toMatchObject({ readable: true, writable: true })
  })
})

describe('output capture', () => {
  it('keeps parallel calls apart, and writes masks and debug lines through at once', async () => {
    const written: string[] = []
    const stdout = process.stdout as unknown as { write: (c: unknown) => boolean }
    const real = stdout.write
    stdout.write = (c: unknown): boolean => {
      written.push(String(c))
      return true
    }
    try {
      const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5))
      const [a, b] = await Promise.all([
        captureOutput(async () => {
          process.stdout.write('::warning::from a\n')
          await tick()
          process.stdout.write('::add-mask::secret-a\n')
          return 'A'
        }),
        captureOutput(async () => {
          await tick()
          process.stdout.write('plain from b\n::debug::dbg b\n')
          throw new Error('b failed')
        })
      ])
      process.stdout.write('outside\n')
      expect(a).toMatchObject({ value: 'A', threw: false, lines: ['::warning::from a', '::add-mask::secret-a'] })
      expect(b.threw).toBe(true)
      expect(b.lines).toEqual(['plain from b', '::debug::dbg b'])
      expect(written.join('')).toBe('::add-mask::secret-a\n::debug::dbg b\noutside\n')
    } finally {
      stdout.write = real
    }
  })
})

describe('layout and keys', () => {
  it('names the manifest format in the key prefix, so no format\'s prefix finds another format\'s manifests', () => {
    const env = { RUNNER_OS: 'Linux', RUNNER_ARCH: 'X64', GITHUB_REF: 'refs/pull/3/merge', GITHUB_BASE_REF: 'main' }
    const k = keyScheme('p', env)
    expect(k.format).toBe(MANIFEST_FORMAT)
    // Format 1 (before 1.0.0) had no tag; it is still looked up, after the current format.
    expect(k.older).toEqual([{ format: 1, manifestPrefix: 'p-manifest-linux-x64-', baseManifestPrefix: `p-manifest-linux-x64-${refTag('refs/heads/main')}-` }])
    const prefixes = [k.manifestPrefix, ...k.older.map((o) => o.manifestPrefix), 'p-manifest-f3-linux-x64-', 'p-manifest-f20-linux-x64-']
    for (const a of prefixes) for (const b of prefixes) if (a !== b) expect(b.startsWith(a)).toBe(false)
    expect(k.manifestKey(1).startsWith(k.older[0]!.manifestPrefix)).toBe(false)
  })

  it('derives every saved path from RUNNER_TEMP alone', () => {
    const a = ghaLayout('/home/runner/work/_temp')
    const b = ghaLayout('/home/runner/work/_temp/')
    expect(a.manifestFile).toBe('/home/runner/work/_temp/nix-buildtime-cache/gha/manifest.json')
    expect(b.slotDir(3)).toBe(a.slotDir(3))
    expect(a.slotDir(3)).toBe('/home/runner/work/_temp/nix-buildtime-cache/gha/layer-3')
  })

  it('puts the prefix, OS and architecture in every key, and the writing ref in manifest keys', () => {
    const env = { RUNNER_OS: 'macOS', RUNNER_ARCH: 'ARM64', GITHUB_RUN_ID: '42', GITHUB_RUN_ATTEMPT: '2', GITHUB_REF: 'refs/heads/main' }
    const k = keyScheme('p', env)
    expect(k.manifestPrefix).toBe('p-manifest-f2-macos-arm64-')
    expect(k.manifestKey(1700000000000)).toBe(`p-manifest-f2-macos-arm64-${refTag('refs/heads/main')}-42-2-1700000000000`)
    expect(k.layerKey('abc')).toBe('p-layer-macos-arm64-abc')
    expect(k.baseManifestPrefix).toBeUndefined()
    const pr = keyScheme('p', { ...env, GITHUB_REF: 'refs/pull/3/merge', GITHUB_BASE_REF: 'main' })
    // A pull request's base prefix is exactly the prefix of main's own manifests.
    expect(k.manifestKey(1).startsWith(pr.baseManifestPrefix ?? '?')).toBe(true)
    expect(pr.manifestKey(1).startsWith(pr.baseManifestPrefix ?? '?')).toBe(false)
    expect(refTag('refs/heads/main')).toMatch(/^r[0-9a-f]{10}$/)
    expect(refTag('refs/heads/main-old').startsWith(refTag('refs/heads/main'))).toBe(false)
  })
})

describe('maintenance runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gha-events-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const event = (payload: unknown): string => {
    const f = join(dir, `e-${Math.random()}.json`)
    writeFileSync(f, JSON.stringify(payload))
    return f
  }

  it('are scheduled or dispatched runs on the default branch', () => {
    const main = event({ repository: { default_branch: 'main' } })
    expect(isMaintenanceRun({ GITHUB_EVENT_NAME: 'schedule', GITHUB_REF: 'refs/heads/main', GITHUB_EVENT_PATH: main })).toBe(true)
    expect(isMaintenanceRun({ GITHUB_EVENT_NAME: 'workflow_dispatch', GITHUB_REF: 'refs/heads/main', GITHUB_EVENT_PATH: main })).toBe(true)
    expect(isMaintenanceRun({ GITHUB_EVENT_NAME: 'workflow_dispatch', GITHUB_REF: 'refs/heads/feature', GITHUB_EVENT_PATH: main })).toBe(false)
    expect(isMaintenanceRun({ GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/heads/main', GITHUB_EVENT_PATH: main })).toBe(false)
    expect(isMaintenanceRun({ GITHUB_EVENT_NAME: 'pull_request', GITHUB_REF: 'refs/pull/1/merge', GITHUB_EVENT_PATH: main })).toBe(false)
  })

  it('trust a schedule without a default branch in its payload (schedules only run there), but not a dispatch', () => {
    const bare = event({ schedule: '0 3 * * *' })
    expect(isMaintenanceRun({ GITHUB_EVENT_NAME: 'schedule', GITHUB_REF: 'refs/heads/main', GITHUB_EVENT_PATH: bare })).toBe(true)
    expect(isMaintenanceRun({ GITHUB_EVENT_NAME: 'workflow_dispatch', GITHUB_REF: 'refs/heads/main', GITHUB_EVENT_PATH: bare })).toBe(false)
  })
})

describe('how long a call to @actions/cache may go on', () => {
  it('lets a transfer that keeps reporting progress run past the whole failure budget', async () => {
    // @actions/cache logs a transfer's progress every second (DownloadProgress/UploadProgress).
    const budget = new JobBudget({ budgetMs: 2_000, breakerThreshold: 5 })
    const started = Date.now()
    const value = await withinBudget('Saving big-layer', budget, async () => {
      for (let i = 0; i < 20; i++) {
        await sleep(200)
        process.stdout.write(`Sent ${i} of 20 (${i * 5}%)\n`)
      }
      return 'saved'
    })
    expect(value).toBe('saved')
    expect(Date.now() - started).toBeGreaterThan(3_500)
    expect(budget.spent()).toBe(0)
    expect(budget.abandonedWork).toBe(false)
  })

  it('charges a call that fails all the time it took, though the library printed its retries meanwhile', async () => {
    const budget = new JobBudget({ budgetMs: 60_000, breakerThreshold: 5 })
    await expect(
      withinBudget('Saving failing-layer', budget, async () => {
        for (let i = 1; i <= 4; i++) {
          await sleep(150)
          process.stdout.write(`Failed request: (503) Service Unavailable; retrying attempt ${i}\n`)
        }
        throw new RetryableHttpError('Failed request: (503) Service Unavailable', 503)
      })
    ).rejects.toThrow()
    expect(budget.spent()).toBeGreaterThanOrEqual(550)
  })

  it('abandons a call that shows no sign of life for what is left of the budget', async () => {
    const budget = new JobBudget({ budgetMs: 1_000, breakerThreshold: 5 })
    const started = Date.now()
    await expect(withinBudget('Saving hung-layer', budget, () => new Promise<never>(() => undefined))).rejects.toThrow(
      /Saving hung-layer: no answer from the cache service within 1 s; abandoned/
    )
    expect(Date.now() - started).toBeLessThan(2_500)
    expect(budget.abandonedWork).toBe(true)
  })
})
