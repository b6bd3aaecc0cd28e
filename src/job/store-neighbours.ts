import { createHash } from 'node:crypto'
import { readFileSync, statSync, unlinkSync } from 'node:fs'
import { chmod, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { userInfo } from 'node:os'
import type { StoreLocation } from '../nix/store-location.js'
import { jobDir } from '../runtime/job-dir.js'

/**
 * Other jobs of ours on the same Nix store at the same time: several self-hosted runners on one
 * machine share its /nix/store through one daemon. Without `installables`, a job's build closure
 * comes from the derivations that appeared in the store during the job, and a derivation the
 * other job instantiated then looks like one's own, so each job would push the other's new paths
 * too. That cannot be told apart after the fact; it can be noticed, and said.
 *
 * Each job leaves a small record in a directory every runner user of the machine can write
 * (sticky, like /tmp itself): which store, when it began, when it ended. The post step compares.
 */
export const NEIGHBOURS_DIR = '/tmp/nix-buildtime-cache-jobs'

/** A record older than this without an end is a job that never ran its post step. */
const STALE_MS = 24 * 3600_000

interface JobRecord {
  start: number
  end?: number
  user: string
}

const hash = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16)

/** The store as every job on the machine names it: where its files are. */
function storeKey(store: StoreLocation): string {
  return hash(`${store.storeDir}\0${store.realStoreDir}`)
}

function recordFile(store: StoreLocation, dir: string): string {
  return join(dir, `${storeKey(store)}-${hash(jobDir().root)}.json`)
}

async function writeRecord(file: string, record: JobRecord): Promise<void> {
  await writeFile(`${file}.tmp`, JSON.stringify(record), { mode: 0o644 })
  await rename(`${file}.tmp`, file)
}

/** The main step: this job uses `store` from now on. Never fails the job. */
export async function announceJob(store: StoreLocation, dir = NEIGHBOURS_DIR, now = Date.now()): Promise<void> {
  try {
    const made = await mkdir(dir, { recursive: true })
    // Every runner user writes here; the sticky bit keeps each one's records its own.
    if (made !== undefined) await chmod(dir, 0o1777)
    await writeRecord(recordFile(store, dir), { start: now, user: userInfo().username })
  } catch {
    // Without a record this job only goes unnoticed by the others.
  }
}

/**
 * The post step: how many other jobs used `store` while this one did (since its main step), and
 * this job's record marked ended. Undefined when this job left no record.
 */
export async function jobsAlongside(store: StoreLocation, dir = NEIGHBOURS_DIR, now = Date.now()): Promise<number | undefined> {
  const own = recordFile(store, dir)
  let mine: JobRecord
  try {
    mine = JSON.parse(await readFile(own, 'utf8')) as JobRecord
  } catch {
    return undefined
  }
  const prefix = `${storeKey(store)}-`
  let others = 0
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const file = join(dir, name)
    if (!name.endsWith('.json') || file === own) continue
    // Other stores' jobs never count, so their records are not read: a self-hosted machine keeps
    // a day of every job's records, and reading 6,700 of them one by one took 1.2 s of a post
    // step. One unwritten for a day (a record is written when its job starts and when it ends)
    // is gone stale either way, and goes.
    if (!name.startsWith(prefix)) {
      removeIfUnwrittenFor(file, STALE_MS, now)
      continue
    }
    let r: JobRecord
    try {
      r = JSON.parse(readFileSync(file, 'utf8')) as JobRecord
    } catch {
      continue
    }
    const stale = r.end === undefined && now - r.start > STALE_MS
    // Old records go, where this user may remove them (the sticky bit decides).
    if (stale || (r.end !== undefined && now - r.end > STALE_MS)) await rm(file, { force: true }).catch(() => undefined)
    if (stale) continue
    if (r.start <= now && (r.end === undefined || r.end >= mine.start)) others++
  }
  await writeRecord(own, { ...mine, end: now }).catch(() => undefined)
  return others
}

/** Synchronous: a stat per record, for thousands of records, is cheaper than a thread-pool round trip each. */
function removeIfUnwrittenFor(file: string, ms: number, now: number): void {
  try {
    if (now - statSync(file).mtimeMs > ms) unlinkSync(file)
  } catch {
    // Gone already, or another user's (the sticky bit): left alone.
  }
}

/** What the summary and the log say when another job shared the store and nothing names this job's outputs. */
export function neighboursNote(others: number): string {
  return (
    `${others === 1 ? 'Another job' : `${others} other jobs`} using nix-buildtime-cache ran on this Nix store at the same time. ` +
    "Without `installables`, paths a concurrent job made on a shared store can look like this job's own, and be pushed with them. " +
    "Name the job's outputs in `installables` to push exactly this job's closure."
  )
}
