import { afterEach, describe, expect, it } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { parseS3Uri } from '../../../src/config/s3-uri.js'
import { parseCache } from '../../../src/config/inputs.js'
import { noS3SupportMessage, pullSettings } from '../../../src/pull/configure.js'
import { interpretProbe, probeStoreSupport } from '../../../src/nix/store-support.js'

describe('the s3:// substituter', () => {
  it('is the URI exactly as given, so Nix gets the same region, endpoint and profile', () => {
    const uri = 's3://nix-cache?region=eu-west-1&profile=ci'
    const cache = parseCache(uri)
    expect(cache.url).toBe(uri)
    expect(pullSettings(cache.url, [])).toBe(`extra-substituters = ${uri}`)
  })
})

describe('the warning for a Nix without S3 support', () => {
  it('names the problem, the store and the https workaround for AWS', () => {
    const text = noS3SupportMessage(parseS3Uri('s3://my-cache?region=eu-west-1'))
    expect(text).toMatch(/built without S3 support \("don't know how to open Nix store 's3:\/\/my-cache…'"\)/)
    expect(text).toContain('extra-substituters = https://my-cache.s3.eu-west-1.amazonaws.com')
    expect(text).toMatch(/pushing still works/)
  })

  it('points at endpoint/bucket for an S3-compatible service', () => {
    expect(noS3SupportMessage(parseS3Uri('s3://nix?endpoint=minio.lan:9000'))).toContain('extra-substituters = https://minio.lan:9000/nix')
  })
})

describe('probing whether Nix can open a store', () => {
  const savedPath = process.env.PATH
  let fakeDir: string | undefined
  afterEach(async () => {
    process.env.PATH = savedPath
    if (fakeDir) await rm(fakeDir, { recursive: true, force: true })
    fakeDir = undefined
  })

  it('reads only the unknown-store-type error as "unsupported"', () => {
    expect(interpretProbe(1, "error: don't know how to open Nix store 's3://b'")).toBe('unsupported')
    expect(interpretProbe(0, '')).toBe('supported')
    expect(interpretProbe(1, "error: AWS error fetching 'nix-cache-info': Access Denied")).toBe('unknown')
    expect(interpretProbe(null, '')).toBe('unknown')
  })

  it("agrees with this machine's Nix: file:// opens, s3:// only where Nix was built with S3 support", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'probe-'))
    try {
      expect(await probeStoreSupport(`file://${dir}`)).toBe('supported')
      const uri = 's3://some-bucket?region=us-east-1&endpoint=http://127.0.0.1:9'
      const direct = spawnSync('nix-store', ['--store', uri, '--check-validity'], { encoding: 'utf8', timeout: 20000 })
      // Debian's Nix 2.8 says so at once; a Nix with S3 support is refused by port 9 instead.
      const expected = direct.stderr.includes("don't know how to open Nix store") ? 'unsupported' : 'unknown'
      expect(await probeStoreSupport(uri, 20000)).toBe(expected)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('reads a Nix that cannot open the store type as "unsupported"', async () => {
    fakeDir = await mkdtemp(join(tmpdir(), 'fake-nix-'))
    const fake = join(fakeDir, 'nix-store')
    await writeFile(fake, `#!/bin/sh\necho "error: don't know how to open Nix store '$2'" >&2\nexit 1\n`)
    await chmod(fake, 0o755)
    process.env.PATH = `${fakeDir}:${savedPath}`
    expect(await probeStoreSupport('s3://b?region=x')).toBe('unsupported')
  })

  it('gives up on a Nix that hangs, without blocking the step', async () => {
    fakeDir = await mkdtemp(join(tmpdir(), 'fake-nix-'))
    const fake = join(fakeDir, 'nix-store')
    await writeFile(fake, '#!/bin/sh\nexec sleep 30\n')
    await chmod(fake, 0o755)
    process.env.PATH = `${fakeDir}:${savedPath}`
    const started = Date.now()
    expect(await probeStoreSupport('s3://b', 500)).toBe('unknown')
    expect(Date.now() - started).toBeLessThan(5000)
  })

  it('says nothing when nix-store is not installed', async () => {
    fakeDir = await mkdtemp(join(tmpdir(), 'no-nix-'))
    process.env.PATH = fakeDir
    expect(await probeStoreSupport('s3://b')).toBe('unknown')
  })
})
