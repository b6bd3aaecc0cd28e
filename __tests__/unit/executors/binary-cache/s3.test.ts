import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { createHash, randomBytes } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { S3Backend, describeS3Error } from '../../../../src/executors/binary-cache/s3.js'
import { parseS3Uri } from '../../../../src/config/s3-uri.js'
import { CONTENT_TYPES } from '../../../../src/executors/binary-cache/backend.js'
import { JobBudget } from '../../../../src/runtime/budget.js'
import { narHashOf } from '../../../../src/format/nar.js'
import { formatNix32Hash } from '../../../../src/format/nix32.js'
import { parseSecretKey } from '../../../../src/format/signing.js'
import { uploadPaths } from '../../../../src/executors/binary-cache/upload.js'
import { freePort, httpRequest } from '../../../helpers/ports.js'
import { S3_CREDENTIALS, startS3Server, type S3Server } from '../../../helpers/s3-server.js'

const MiB = 1024 * 1024
let server: S3Server
const backends: S3Backend[] = []

function backend(opts: Partial<ConstructorParameters<typeof S3Backend>[0]> = {}, uri = server.s3Uri()): S3Backend {
  const b = new S3Backend({ location: parseS3Uri(uri), credentials: S3_CREDENTIALS, ...opts })
  backends.push(b)
  return b
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex')
const hashPart = (i: number): string => createHash('sha256').update(String(i)).digest('hex').slice(0, 32)

beforeAll(async () => {
  server = await startS3Server({ bucket: 'unit-cache' })
})
afterAll(async () => {
  for (const b of backends) b.close()
  await server.stop()
})

describe('S3Backend.put', () => {
  it('uploads a NAR over the part size as a streamed multipart upload, byte-identical', async () => {
    const partSize = 5 * MiB
    const chunks = Array.from({ length: 21 }, () => randomBytes(MiB)) // 4 whole parts and a short one
    const whole = Buffer.concat(chunks)
    let partsDoneBeforeSourceEnded = -1
    const isPart = (r: { method: string; url: string; status: number }): boolean =>
      r.method === 'PUT' && r.url.includes('/unit-cache/nar/big.nar.zst?') && r.url.includes('partNumber=') && r.status === 200
    async function* source(): AsyncGenerator<Buffer> {
      for (const [i, c] of chunks.entries()) {
        if (i === chunks.length - 1) partsDoneBeforeSourceEnded = server.requests.filter(isPart).length
        yield c
      }
    }
    const b = backend({ partSize, queueSize: 2 })
    await b.put('nar/big.nar.zst', () => Readable.from(source()), CONTENT_TYPES.nar)

    const mine = server.requests.filter((r) => r.url.includes('/unit-cache/nar/big.nar.zst'))
    expect(mine.find((r) => r.method === 'POST' && /[?&]uploads/.test(r.url))?.status).toBe(200)
    expect(mine.filter(isPart)).toHaveLength(5)
    expect(mine.find((r) => r.method === 'POST' && /[?&]uploadId=/.test(r.url))?.status).toBe(200)
    // Streamed, not buffered whole: parts were on the server before the source was read to the end.
    expect(partsDoneBeforeSourceEnded).toBeGreaterThan(0)

    const got = await httpRequest(`${server.bucketUrl}/nar/big.nar.zst`, { timeoutMs: 30000 })
    expect(got.status).toBe(200)
    expect(got.body.length).toBe(whole.length)
    expect(sha256(got.body)).toBe(sha256(whole))
    expect(got.headers['content-type']).toBe(CONTENT_TYPES.nar)
  })

  it('puts a small object in one signed PUT with its content type', async () => {
    const before = server.requests.length
    await backend().put('abc.narinfo', () => Readable.from([Buffer.from('StorePath: /nix/store/x\n')]), CONTENT_TYPES.narinfo)
    const mine = server.requests.slice(before).filter((r) => r.url.includes('abc.narinfo'))
    expect(mine.map((r) => [r.method, r.status, r.signed])).toEqual([['PUT', 200, true]])
    const got = await httpRequest(`${server.bucketUrl}/abc.narinfo`)
    expect(got.body.toString()).toBe('StorePath: /nix/store/x\n')
    expect(got.headers['content-type']).toBe(CONTENT_TYPES.narinfo)
  })

  it('throws one clear error for wrong credentials, without the secret', async () => {
    const secret = 'wrong-secret-value-0c9d8e7f'
    const b = backend({ credentials: { accessKeyId: 'AKIAWRONGWRONGWRONG', secretAccessKey: secret } })
    const e = await b.put('x.narinfo', () => Readable.from([Buffer.from('x')]), CONTENT_TYPES.narinfo).catch((err: unknown) => err)
    expect(e).toBeInstanceOf(Error)
    const message = (e as Error).message
    expect(message).toMatch(/^PUT s3:\/\/unit-cache\/x\.narinfo: InvalidAccessKeyId: .*\(HTTP 403\)$/)
    expect(message).not.toContain(secret)
  })

  it('gives up on a dead endpoint after the SDK’s retries and says so', async () => {
    const dead = `s3://unit-cache?endpoint=http://127.0.0.1:${await freePort()}`
    const b = backend({ maxAttempts: 2 }, dead)
    const e = await b.put('y.narinfo', () => Readable.from([Buffer.from('y')]), CONTENT_TYPES.narinfo).catch((err: unknown) => err)
    expect((e as Error).message).toMatch(/^PUT s3:\/\/unit-cache\/y\.narinfo: connect ECONNREFUSED 127\.0\.0\.1:\d+ \(gave up after 2 attempts\)$/)
  })
})

describe('S3Backend.prepare', () => {
  it('writes nix-cache-info when missing, keeps it after, and refuses another store dir', async () => {
    const s = await startS3Server({ bucket: 'fresh-cache' })
    try {
      const b = backend({}, s.s3Uri())
      await b.prepare('/nix/store')
      const info = await httpRequest(`${s.bucketUrl}/nix-cache-info`)
      expect(info.body.toString()).toMatch(/^StoreDir: \/nix\/store\n/)
      expect(info.headers['content-type']).toBe(CONTENT_TYPES.cacheInfo)
      const puts = (): number => s.requests.filter((r) => r.method === 'PUT').length
      expect(puts()).toBe(1)
      await b.prepare('/nix/store')
      expect(puts()).toBe(1)
      await expect(b.prepare('/other/store')).rejects.toThrow(/store directory \/nix\/store, but this machine's store is \/other\/store/)
    } finally {
      await s.stop()
    }
  })

  it('names a missing bucket', async () => {
    await expect(backend({}, server.s3Uri().replace('s3://unit-cache', 's3://no-such-bucket')).prepare('/nix/store')).rejects.toThrow(
      /^GET s3:\/\/no-such-bucket\/nix-cache-info: NoSuchBucket: .*HTTP 404/
    )
  })
})

describe('S3Backend.existing', () => {
  it('finds exactly the narinfos the bucket has, with parallel but bounded HEADs', async () => {
    const hashes = Array.from({ length: 400 }, (_, i) => hashPart(i + 1000))
    const present = hashes.filter((_, i) => i % 7 === 0)
    const b = backend({ concurrency: 32 })
    for (const h of present) await b.put(`${h}.narinfo`, () => Readable.from([Buffer.from(h)]), CONTENT_TYPES.narinfo)
    const found = await b.existing(hashes)
    expect([...found].sort()).toEqual([...present].sort())
    expect(server.maxInFlight('HEAD')).toBeGreaterThan(4)
    expect(server.maxInFlight('HEAD')).toBeLessThanOrEqual(32)
  })

  it('spends nothing of the job’s failure budget on answers that a key is absent', async () => {
    const budget = new JobBudget({ budgetMs: 110_000, breakerThreshold: 5 })
    const b = backend({ concurrency: 32, budget })
    const hashes = Array.from({ length: 300 }, (_, i) => hashPart(i + 5000))
    expect(await b.existing(hashes)).toEqual(new Set())
    expect(await b.has('nar/absent.nar.zst')).toBe(false)
    expect(budget.spent()).toBe(0)
    expect(budget.tripped).toBeUndefined()
  })

  it('reads 403 as absent (S3 without ListBucket), like Nix', async () => {
    const warnings: string[] = []
    const b = backend({ credentials: { accessKeyId: 'AKIAWRONGWRONGWRONG', secretAccessKey: 'nope-nope-nope' }, warn: (m) => warnings.push(m) })
    expect(await b.existing([hashPart(1), hashPart(2)])).toEqual(new Set())
    expect(warnings).toEqual([])
  })

  it('warns once, not once per path, when the endpoint is down', async () => {
    const warnings: string[] = []
    const b = backend({ maxAttempts: 1, warn: (m) => warnings.push(m) }, `s3://unit-cache?endpoint=http://127.0.0.1:${await freePort()}`)
    expect(await b.existing([hashPart(1), hashPart(2), hashPart(3)])).toEqual(new Set())
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/^HEAD s3:\/\/unit-cache\/\w{32}\.narinfo: connect ECONNREFUSED [\d.:]+ \(and 2 more\); assuming they are not cached$/)
  })
})

describe('S3Backend credentials from the default AWS chain', () => {
  const names = [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_PROFILE',
    'AWS_WEB_IDENTITY_TOKEN_FILE',
    'AWS_ROLE_ARN',
    'AWS_SHARED_CREDENTIALS_FILE',
    'AWS_CONFIG_FILE',
    'AWS_EC2_METADATA_DISABLED',
    'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
    'AWS_CONTAINER_CREDENTIALS_FULL_URI'
  ]
  let saved: Record<string, string | undefined>
  let dir: string
  beforeAll(async () => {
    saved = Object.fromEntries(names.map((n) => [n, process.env[n]]))
    dir = await mkdtemp(join(tmpdir(), 'aws-home-'))
  })
  afterEach(() => {
    for (const n of names) {
      if (saved[n] === undefined) delete process.env[n]
      else process.env[n] = saved[n]
    }
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })
  /** Nothing but what the test writes; and never the instance metadata service (no network here). */
  function isolate(files: { credentials?: string } = {}): void {
    for (const n of names) delete process.env[n]
    process.env.AWS_EC2_METADATA_DISABLED = 'true'
    process.env.AWS_CONFIG_FILE = join(dir, 'config-none')
    process.env.AWS_SHARED_CREDENTIALS_FILE = files.credentials ?? join(dir, 'credentials-none')
  }

  it('uses the profile named by profile= in the URI', async () => {
    const file = join(dir, 'credentials')
    await writeFile(
      file,
      `[default]\naws_access_key_id = AKIAWRONGWRONGWRONG\naws_secret_access_key = wrong-wrong-wrong\n\n` +
        `[nix-writer]\naws_access_key_id = ${S3_CREDENTIALS.accessKeyId}\naws_secret_access_key = ${S3_CREDENTIALS.secretAccessKey}\n`
    )
    isolate({ credentials: file })
    // As in Nix, a profile named in the URI beats credentials in the environment.
    process.env.AWS_ACCESS_KEY_ID = 'AKIAENVENVENVENVENV'
    process.env.AWS_SECRET_ACCESS_KEY = 'env-env-env-env'
    const b = new S3Backend({ location: parseS3Uri(server.s3Uri('profile=nix-writer')) })
    backends.push(b)
    // The SDK says on the console that it chose the profile over the environment.
    const quiet = jest.spyOn(console, 'warn').mockImplementation(() => {})
    try {
      await b.put('profile-test.narinfo', () => Readable.from([Buffer.from('p')]), CONTENT_TYPES.narinfo)
    } finally {
      quiet.mockRestore()
    }
    delete process.env.AWS_ACCESS_KEY_ID
    delete process.env.AWS_SECRET_ACCESS_KEY
    const plain = new S3Backend({ location: parseS3Uri(server.s3Uri()) })
    backends.push(plain)
    // Without profile= the default profile's (wrong) key is used, so the named one made the difference.
    await expect(plain.put('profile-test2.narinfo', () => Readable.from([Buffer.from('p')]), CONTENT_TYPES.narinfo)).rejects.toThrow(
      /InvalidAccessKeyId/
    )
  })

  it('explains an empty credential chain', async () => {
    isolate()
    const b = new S3Backend({ location: parseS3Uri(server.s3Uri()) })
    backends.push(b)
    await expect(b.prepare('/nix/store')).rejects.toThrow(/^GET s3:\/\/unit-cache\/nix-cache-info: no AWS credentials found/)
  })
})

describe('describeS3Error', () => {
  it('explains a missing credential chain', () => {
    const e = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' })
    expect(describeS3Error(e)).toMatch(/no AWS credentials found .*configure-aws-credentials/)
  })

  it('cuts the environment’s secret key out of any message', () => {
    const secret = 'env-secret-abcdef123456'
    const old = process.env.AWS_SECRET_ACCESS_KEY
    process.env.AWS_SECRET_ACCESS_KEY = secret
    try {
      expect(describeS3Error(new Error(`server echoed ${secret}`))).toBe('server echoed ***')
    } finally {
      if (old === undefined) delete process.env.AWS_SECRET_ACCESS_KEY
      else process.env.AWS_SECRET_ACCESS_KEY = old
    }
  })
})

describe('NARs in S3 under the shared writer', () => {
  it('never replaces a NAR object with the bytes of a tampered path of the same NarHash, and publishes no narinfo for it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 's3-twins-'))
    try {
      execFileSync('nix-store', ['--generate-binary-cache-key', 's3-twins-1', join(dir, 'sk'), join(dir, 'pk')])
      const signer = parseSecretKey(await readFile(join(dir, 'sk'), 'utf8'))
      const make = async (c: string, name: string) => {
        const path = `/nix/store/${c.repeat(32)}-${name}`
        const fsPath = join(dir, path.slice('/nix/store/'.length))
        await mkdir(fsPath)
        await writeFile(join(fsPath, 'file'), 'same')
        const { hash, size } = await narHashOf(fsPath)
        return { info: { path, narHash: formatNix32Hash(hash), narSize: size, references: [], signatures: [], ultimate: true }, fsPath }
      }
      const good = await make('a', 'good')
      const twin = await make('b', 'twin')
      const b = backend()
      const opts = { backend: b, signer, compression: 'zstd' as const, parallelism: 2, realStoreDir: dir, spoolDir: dir }
      expect((await uploadPaths([good.info], opts)).pushed).toHaveLength(1)
      const url = `nar/${good.info.narHash.slice('sha256:'.length)}.nar.zst`
      const before = await httpRequest(`${server.bucketUrl}/${url}`, { timeoutMs: 30000 })
      expect(before.status).toBe(200)

      await writeFile(join(twin.fsPath, 'file'), 'evil')
      const since = server.requests.length
      const out = await uploadPaths([twin.info], opts)
      expect(out.pushed).toEqual([])
      expect(out.failed[0]?.reason).toMatch(/do not match the hash Nix recorded/)
      // It asked whether the NAR was there, marked it in use for the retention GC (a copy onto
      // itself: the bytes stay, below), hashed the path, and wrote nothing else.
      const mine = server.requests.slice(since)
      expect(mine.filter((r) => r.method === 'HEAD').map((r) => r.url)).toEqual([`/unit-cache/${url}`])
      expect(mine.filter((r) => r.method !== 'HEAD').map((r) => `${r.method} ${r.url}`)).toEqual([`PUT /unit-cache/${url}?x-id=CopyObject`])
      const after = await httpRequest(`${server.bucketUrl}/${url}`, { timeoutMs: 30000 })
      expect(sha256(after.body)).toBe(sha256(before.body))
      expect(await b.has(`${'b'.repeat(32)}.narinfo`)).toBe(false)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
