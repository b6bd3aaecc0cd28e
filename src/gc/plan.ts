import type { GcOptions } from './options.js'
import type { ListedObject } from '../executors/binary-cache/listing.js'

/**
 * The GC's decision on plain data (no I/O): which narinfos survive, which go, in which order, and
 * which NARs, `.ls` files and job records go with them. docs/gc.md states the rules.
 */

const DAY_MS = 86_400_000

/** A narinfo as the GC needs it: its references by hash part, and its NAR. */
export interface NarinfoNode {
  hash: string
  obj: ListedObject
  /** Undefined when the narinfo could not be parsed: such a narinfo is kept, never judged. */
  storePath?: string
  narKey?: string
  references: string[]
}

export interface JobEntry {
  job: string
  /** The latest part's time. */
  time: number
  /** Hash parts of the paths it pushed or used. */
  hashes: Set<string>
  parts: ListedObject[]
}

export interface GcInput {
  /** Listing start: "now" for every age. */
  now: number
  narinfos: Map<string, NarinfoNode>
  /** `<hash>.ls` files by hash part. */
  listings: Map<string, ListedObject>
  /** `nar/…` objects by key. */
  nars: Map<string, ListedObject>
  jobs: Map<string, JobEntry>
}

export interface GcPlan {
  cutoffMs: number
  keptJobs: string[]
  /** Narinfos that survive (hash parts): the kept roots' closure, plus young and unreadable ones. */
  survivors: Set<string>
  /** Narinfos to delete, in levels: no narinfo in a level references one in an earlier level. */
  narinfoLevels: string[][]
  /** `.ls` keys to delete: those of deleted narinfos, and old ones without a narinfo. */
  listings: string[]
  /** NAR keys no surviving narinfo refers to, older than the grace. */
  nars: string[]
  /** Record part keys of jobs that keep nothing any more, older than the grace. */
  records: string[]
  /** Bytes that survive (narinfos, listings and their NARs). */
  keptBytes: number
  /** Why nothing is deleted, when that is the rule's answer rather than the data's. */
  nothingBecause?: string
}

/** Everything `roots` reach through references within the cache. */
export function closureOf(roots: Iterable<string>, narinfos: ReadonlyMap<string, NarinfoNode>): Set<string> {
  const seen = new Set<string>()
  const stack = [...roots].filter((h) => narinfos.has(h))
  for (const h of stack) seen.add(h)
  while (stack.length > 0) {
    const node = narinfos.get(stack.pop() as string)
    for (const r of node?.references ?? []) {
      if (!seen.has(r) && narinfos.has(r)) {
        seen.add(r)
        stack.push(r)
      }
    }
  }
  return seen
}

function keptJobsOf(input: GcInput, opts: GcOptions): string[] {
  const byTime = [...input.jobs.values()].sort((a, b) => b.time - a.time || a.job.localeCompare(b.job))
  const kept = new Set<string>()
  if (opts.keepDays !== undefined) for (const j of byTime) if (j.time >= input.now - opts.keepDays * DAY_MS) kept.add(j.job)
  if (opts.keepJobs !== undefined) for (const j of byTime.slice(0, opts.keepJobs)) kept.add(j.job)
  // Newest first: --max-size evicts from the end.
  return byTime.filter((j) => kept.has(j.job)).map((j) => j.job)
}

function sizeOf(survivors: ReadonlySet<string>, input: GcInput): number {
  let bytes = 0
  const nars = new Set<string>()
  for (const h of survivors) {
    const n = input.narinfos.get(h)
    if (!n) continue
    bytes += n.obj.size + (input.listings.get(h)?.size ?? 0)
    if (n.narKey !== undefined && !nars.has(n.narKey)) {
      nars.add(n.narKey)
      bytes += input.nars.get(n.narKey)?.size ?? 0
    }
  }
  return bytes
}

/** Referrers before their references: level 0 is what no other deleted narinfo references. */
function levels(doomed: ReadonlySet<string>, narinfos: ReadonlyMap<string, NarinfoNode>): string[][] {
  const referrers = new Map<string, number>()
  for (const h of doomed) referrers.set(h, 0)
  for (const h of doomed) for (const r of narinfos.get(h)?.references ?? []) if (r !== h && doomed.has(r)) referrers.set(r, (referrers.get(r) ?? 0) + 1)
  const out: string[][] = []
  let level = [...doomed].filter((h) => referrers.get(h) === 0)
  const placed = new Set<string>()
  while (level.length > 0) {
    out.push(level.sort())
    for (const h of level) placed.add(h)
    const next: string[] = []
    for (const h of level) {
      for (const r of narinfos.get(h)?.references ?? []) {
        if (r === h || !doomed.has(r)) continue
        const left = (referrers.get(r) as number) - 1
        referrers.set(r, left)
        if (left === 0) next.push(r)
      }
    }
    level = next
  }
  // Store paths cannot reference each other in a cycle (other than themselves); a damaged cache might.
  const rest = [...doomed].filter((h) => !placed.has(h))
  if (rest.length > 0) out.push(rest.sort())
  return out
}

export function planGc(input: GcInput, opts: GcOptions): GcPlan {
  const cutoffMs = input.now - opts.graceMs
  const young = [...input.narinfos.values()].filter((n) => n.obj.mtimeMs >= cutoffMs || n.storePath === undefined).map((n) => n.hash)
  const pinned = [...input.narinfos.values()].filter((n) => n.storePath !== undefined && opts.pins.some((p) => p.test(n.storePath as string))).map((n) => n.hash)
  const keptJobs = keptJobsOf(input, opts)
  const fixed = [...young, ...pinned]
  const rootsOf = (jobs: readonly string[]): string[] => [...fixed, ...jobs.flatMap((j) => [...(input.jobs.get(j)?.hashes ?? [])])]

  if (input.jobs.size === 0) {
    const all = new Set(input.narinfos.keys())
    return {
      cutoffMs,
      keptJobs,
      survivors: all,
      narinfoLevels: [],
      listings: [],
      nars: [],
      records: [],
      keptBytes: sizeOf(all, input),
      nothingBecause:
        'the cache holds no job records yet (it was filled before this version, or by other tools), so nothing shows what jobs still use: nothing is deleted'
    }
  }

  let jobs = keptJobs
  let survivors = closureOf(rootsOf(jobs), input.narinfos)
  let keptBytes = sizeOf(survivors, input)
  if (opts.maxSize !== undefined) {
    // Least recently used first: the oldest kept job's paths stop counting, one job at a time.
    while (keptBytes > opts.maxSize && jobs.length > 0) {
      jobs = jobs.slice(0, -1)
      survivors = closureOf(rootsOf(jobs), input.narinfos)
      keptBytes = sizeOf(survivors, input)
    }
  }

  const doomed = new Set([...input.narinfos.keys()].filter((h) => !survivors.has(h)))
  const survivingNars = new Set<string>()
  for (const h of survivors) {
    const k = input.narinfos.get(h)?.narKey
    if (k !== undefined) survivingNars.add(k)
  }
  const nars = [...input.nars.values()].filter((o) => !survivingNars.has(o.key) && o.mtimeMs < cutoffMs).map((o) => o.key)
  const listings = [...input.listings.entries()]
    .filter(([h, o]) => doomed.has(h) || (!input.narinfos.has(h) && o.mtimeMs < cutoffMs))
    .map(([, o]) => o.key)
  const keptSet = new Set(jobs)
  const records: string[] = []
  for (const j of input.jobs.values()) {
    const keepsSomething = keptSet.has(j.job) && [...j.hashes].some((h) => survivors.has(h))
    if (keepsSomething || j.parts.some((p) => p.mtimeMs >= cutoffMs)) continue
    records.push(...j.parts.map((p) => p.key))
  }
  return { cutoffMs, keptJobs: jobs, survivors, narinfoLevels: levels(doomed, input.narinfos), listings, nars: nars.sort(), records: records.sort(), keptBytes }
}
