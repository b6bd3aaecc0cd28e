import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { jobServingKey, machineKeyFile, removeJobServingKey, servingKeys } from '../../../../src/executors/gha/serving-key.js'
import { generateSecretKey, parseSecretKey } from '../../../../src/format/signing.js'
import { capturingHost } from '../../../helpers/fixtures.js'
import { setHost } from '../../../../src/runtime/host.js'

let dir: string
const savedConfDir = process.env.NIX_CONF_DIR

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'serving-key-'))
  process.env.NIX_CONF_DIR = join(dir, 'etc-nix')
})

afterAll(async () => {
  if (savedConfDir === undefined) delete process.env.NIX_CONF_DIR
  else process.env.NIX_CONF_DIR = savedConfDir
  await rm(dir, { recursive: true, force: true })
})

describe("the local substituter's job key", () => {
  it('is made once per job, 0600, and the same key for every process of the job that asks, even at once', async () => {
    const file = join(dir, 'job-a', 'substituter-key')
    const keys = await Promise.all([jobServingKey(file), jobServingKey(file), jobServingKey(file)])
    expect(new Set(keys.map((k) => k.publicKey)).size).toBe(1)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect((await jobServingKey(file)).publicKey).toBe(keys[0]!.publicKey)
    expect(keys[0]!.name).toMatch(/^nix-buildtime-cache-job-[0-9a-f]{12}$/)
  })

  it('differs from job to job, and is gone once the post step removed it', async () => {
    const a = await jobServingKey(join(dir, 'job-b', 'substituter-key'))
    const b = await jobServingKey(join(dir, 'job-c', 'substituter-key'))
    expect(a.publicKey).not.toBe(b.publicKey)
    await removeJobServingKey(join(dir, 'job-b', 'substituter-key'))
    await expect(stat(join(dir, 'job-b', 'substituter-key'))).rejects.toThrow(/ENOENT/)
  })
})

describe("the machine's key", () => {
  it('is read from NIX_CONF_DIR when an admin installed it, and signs next to the job key', async () => {
    expect((await servingKeys(join(dir, 'job-d', 'k'))).machine).toBeUndefined()
    const secret = generateSecretKey('machine-1')
    await mkdir(join(dir, 'etc-nix', 'nix-buildtime-cache'), { recursive: true })
    await writeFile(machineKeyFile(), secret, { mode: 0o600 })
    const keys = await servingKeys(join(dir, 'job-e', 'k'))
    expect(keys.machine?.publicKey).toBe(parseSecretKey(secret).publicKey)
    expect(keys.all.map((k) => k.name)).toEqual([keys.job.name, 'machine-1'])
  })

  it('costs one warning, not the job, when it is not a key', async () => {
    const said = capturingHost()
    setHost(said.host)
    await writeFile(machineKeyFile(), 'not a key')
    const keys = await servingKeys(join(dir, 'job-f', 'k'))
    expect(keys.machine).toBeUndefined()
    expect(said.warnings).toHaveLength(1)
    expect(said.warnings[0]).toMatch(/substituter\.sec is not a Nix secret key/)
    expect(said.warnings[0]).not.toContain('not a key')
  })
})
