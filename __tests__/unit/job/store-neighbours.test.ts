import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { mkdtemp, readdir, rm, stat, utimes } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { announceJob, jobsAlongside, neighboursNote } from '../../../src/job/store-neighbours.js'
import { setHost } from '../../../src/runtime/host.js'
import { capturingHost } from '../../helpers/fixtures.js'
import type { StoreLocation } from '../../../src/nix/store-location.js'

let dir: string
const store = (real: string): StoreLocation => ({ uri: 'daemon', storeDir: '/nix/store', realStoreDir: real, dbPath: '', viaDaemon: true })
const shared = store('/nix/store')
/** Each job has its own job directory (its RUNNER_TEMP); the records are named after it. */
const asJob = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
  const base = capturingHost()
  setHost({ ...base.host, tempDir: join(dir, name) })
  return f()
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'neighbours-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

describe('other jobs of ours on the same store', () => {
  it('are counted when they ran at the same time on the same store, and not when on another store', async () => {
    const reg = join(dir, 'reg-1')
    await asJob('a', () => announceJob(shared, reg, 1000))
    await asJob('b', () => announceJob(shared, reg, 1100))
    await asJob('c', () => announceJob(store('/other/nix/store'), reg, 1100))
    expect(await asJob('a', () => jobsAlongside(shared, reg, 2000))).toBe(1)
    // b still sees a, which ended after b began.
    expect(await asJob('b', () => jobsAlongside(shared, reg, 2100))).toBe(1)
    expect((await stat(reg)).mode & 0o7777).toBe(0o1777)
  })

  it('are not counted when one ended before the other began (one runner, job after job)', async () => {
    const reg = join(dir, 'reg-2')
    await asJob('a', () => announceJob(shared, reg, 1000))
    expect(await asJob('a', () => jobsAlongside(shared, reg, 2000))).toBe(0)
    await asJob('b', () => announceJob(shared, reg, 3000))
    expect(await asJob('b', () => jobsAlongside(shared, reg, 4000))).toBe(0)
  })

  it('ignore and remove a record a job left a day ago without ending it', async () => {
    const reg = join(dir, 'reg-3')
    await asJob('crashed', () => announceJob(shared, reg, 1000))
    const day = 24 * 3600_000
    await asJob('b', () => announceJob(shared, reg, 1000 + day + 1))
    expect(await asJob('b', () => jobsAlongside(shared, reg, 1000 + day + 2))).toBe(0)
    expect((await readdir(reg)).length).toBe(1)
  })

  it("never read another store's records, and remove those of them unwritten for a day", async () => {
    const reg = join(dir, 'reg-4')
    const other = store('/other/nix/store')
    await asJob('a', () => announceJob(shared, reg, Date.now()))
    const ours = await readdir(reg)
    await asJob('c', () => announceJob(other, reg, Date.now()))
    await asJob('old', () => announceJob(other, reg, Date.now()))
    const [running, old] = (await readdir(reg)).filter((n) => !ours.includes(n))
    // A record no one should open: reading a FIFO with no writer waits for ever.
    await rm(join(reg, running!))
    execFileSync('mkfifo', [join(reg, running!)])
    const twoDaysAgo = new Date(Date.now() - 48 * 3600_000)
    await utimes(join(reg, old!), twoDaysAgo, twoDaysAgo)
    expect(await asJob('a', () => jobsAlongside(shared, reg))).toBe(0)
    expect((await readdir(reg)).sort()).toEqual([...ours, running!].sort())
  })

  it('say what to do about it', () => {
    expect(neighboursNote(1)).toMatch(/^Another job using nix-buildtime-cache ran on this Nix store at the same time\..*`installables`/)
    expect(neighboursNote(2)).toMatch(/^2 other jobs/)
  })
})
