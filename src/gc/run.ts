import { jobOfKey, parseRecordPart, RecordError, RECORD_PREFIX } from '../format/job-record.js'
import { parseNarInfo } from '../format/narinfo.js'
import { AnotherGcDeleting, DELETE_BATCH, type CollectableCache, type ListedObject } from '../executors/binary-cache/listing.js'
import { log } from '../runtime/host.js'
import { formatBytes } from '../runtime/units.js'
import type { GcOptions } from './options.js'
import { closureOf, planGc, type GcInput, type JobEntry, type NarinfoNode } from './plan.js'
import { boundYoungGeneration } from './young-generation.js'

/** What a GC did (or, with --dry-run, would do): what `--json` prints and the summary shows. */
export interface GcResult {
  cache: string
  dryRun: boolean
  jobs: { read: number; kept: number }
  narinfos: { listed: number; kept: number; deleted: number }
  nars: { listed: number; deleted: number }
  records: { deleted: number }
  listings: { deleted: number }
  /** Objects found modified since the cutoff when they were about to go (a push relies on them): kept. */
  refreshed: number
  bytesFreed: number
  keptBytes: number
  /** Why nothing was deleted, when a rule says so. */
  note?: string
  requests: number
  seconds: number
  /** Store paths deleted (with --dry-run: that would be). */
  deletedPaths: string[]
}

const NARINFO = /^([0-9a-df-np-sv-z]{32})\.narinfo$/
const LISTING = /^([0-9a-df-np-sv-z]{32})\.ls$/
const READ_PARALLEL = 32
const PROGRESS_MS = 5_000

/** A progress line at most every few seconds, so a long run shows it is alive without flooding the log. */
function progress(): (line: () => string) => void {
  let last = Date.now()
  return (line) => {
    if (Date.now() - last < PROGRESS_MS) return
    last = Date.now()
    log.info(line())
  }
}

/** Runs `work` over `items`, `parallel` at a time. */
async function eachParallel<T>(items: readonly T[], parallel: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const lane = async (): Promise<void> => {
    while (next < items.length) await work(items[next++] as T)
  }
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, lane))
}

/** A copy that shares no memory with the text it was cut from. */
const detached = (s: string): string => Buffer.from(s, 'utf8').toString('utf8')

function hashOfPath(path: string): string | undefined {
  return /\/([0-9a-df-np-sv-z]{32})-[^/]+$/.exec(path)?.[1]
}

interface Listed {
  narinfos: ListedObject[]
  listings: Map<string, ListedObject>
  nars: Map<string, ListedObject>
  records: ListedObject[]
}

async function listCache(cache: CollectableCache): Promise<Listed> {
  const out: Listed = { narinfos: [], listings: new Map(), nars: new Map(), records: [] }
  const tell = progress()
  let n = 0
  for await (const page of cache.pages()) {
    for (const o of page) {
      const ls = LISTING.exec(o.key)
      if (NARINFO.test(o.key)) out.narinfos.push(o)
      else if (ls) out.listings.set(ls[1] as string, o)
      else if (o.key.startsWith('nar/')) out.nars.set(o.key, o)
      else if (o.key.startsWith(RECORD_PREFIX) && jobOfKey(o.key) !== undefined) out.records.push(o)
      // nix-cache-info, log/, realisations/ and anything unknown are never ours to delete.
    }
    n += page.length
    tell(() => `Listed ${n} objects of ${cache.displayUrl}…`)
  }
  return out
}

async function readJobs(cache: CollectableCache, records: readonly ListedObject[], opts: GcOptions): Promise<Map<string, JobEntry>> {
  const jobs = new Map<string, JobEntry>()
  const problems: RecordError[] = []
  await eachParallel(records, READ_PARALLEL, async (o) => {
    const text = await cache.read(o.key)
    if (text === undefined) return
    try {
      const part = parseRecordPart(o.key, text)
      const job = jobs.get(part.job) ?? { job: part.job, time: 0, hashes: new Set<string>(), parts: [] }
      job.time = Math.max(job.time, part.time)
      for (const p of [...part.pushed, ...part.used]) {
        const h = hashOfPath(p)
        if (h !== undefined) job.hashes.add(h)
      }
      job.parts.push(o)
      jobs.set(part.job, job)
    } catch (e) {
      if (!(e instanceof RecordError)) throw e
      problems.push(e)
    }
  })
  // A newer format is never read past, --force or not: it may keep paths this version cannot see.
  const newer = problems.find((p) => p.kind === 'newer')
  if (newer) throw new GcStopped(newer.message)
  if (problems.length > 0) {
    const first = problems[0] as RecordError
    if (!opts.force) {
      throw new GcStopped(`${problems.length} damaged job record(s), first: ${first.message}; nothing was deleted (--force skips them, and may then delete what they keep)`)
    }
    log.warning(`Skipping ${problems.length} damaged job record(s) (--force), first: ${first.message}; they are left in place.`)
  }
  // A job whose parts are all damaged is not a job: its parts stay (never deleted by a rule).
  return jobs
}

/** The GC cannot go on safely; nothing has been deleted. */
export class GcStopped extends Error {}

/** The narinfos as nodes; `unknownNar` when one names no NAR we can read, so no NAR may be judged unreferenced. */
async function readNarinfos(
  cache: CollectableCache,
  listed: readonly ListedObject[],
  nars: ReadonlyMap<string, ListedObject>
): Promise<{ nodes: Map<string, NarinfoNode>; unknownNar: boolean }> {
  const nodes = new Map<string, NarinfoNode>()
  let unknownNar = false
  // Every hash as one string, cut from its listing key: a hash cut out of a narinfo's text would
  // keep that whole text alive (V8 slices strings), about 1 KB per narinfo on a 100,000-path cache.
  // References outside the cache are dropped: they take no part in its closures.
  // A NAR key is likewise the listing's own string (one per NAR, not one more per narinfo).
  const canonical = new Map<string, string>()
  for (const o of listed) canonical.set(o.key.slice(0, 32), o.key.slice(0, 32))
  const within = (hashes: Array<string | undefined>, self: string): string[] => {
    const out: string[] = []
    for (const h of hashes) {
      const c = h === undefined || h === self ? undefined : canonical.get(h)
      if (c !== undefined) out.push(c)
    }
    return out
  }
  const tell = progress()
  let done = 0
  let unreadable = 0
  await eachParallel(listed, READ_PARALLEL, async (o) => {
    const hash = (NARINFO.exec(o.key) as RegExpExecArray)[1] as string
    const text = await cache.read(o.key)
    done++
    tell(() => `Read ${done} of ${listed.length} narinfos…`)
    if (text === undefined) return
    try {
      const info = parseNarInfo(text)
      const self = canonical.get(hash) ?? hash
      nodes.set(self, { hash: self, obj: o, storePath: detached(info.storePath), narKey: nars.get(info.url)?.key ?? detached(info.url), references: within(info.references.map(hashOfPath), self) })
    } catch {
      // Kept, never judged (plan.ts); what it names is read leniently, so its NAR and references stay too.
      unreadable++
      const url = /^URL:\s*(\S+)\s*$/m.exec(text)?.[1]
      const refs = /^References:(.*)$/m.exec(text)?.[1] ?? ''
      const references = within(refs.split(' ').map((r) => /^([0-9a-df-np-sv-z]{32})-/.exec(r.trim())?.[1]), hash)
      nodes.set(hash, { hash, obj: o, narKey: url === undefined ? undefined : detached(url), references })
      if (url === undefined) unknownNar = true
    }
  })
  if (unreadable > 0) log.warning(`${unreadable} narinfo(s) could not be parsed; they are kept, with what they name.`)
  return { nodes, unknownNar }
}

function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/**
 * One collection: list, read the records and narinfos, decide (plan.ts), then delete narinfos
 * (referrers first), their `.ls` files, the NARs no surviving narinfo refers to, and the records
 * that keep nothing. With `dryRun` it writes nothing at all.
 */
export async function collectGarbage(cache: CollectableCache, opts: GcOptions, now: () => number = Date.now): Promise<GcResult> {
  const started = now()
  boundYoungGeneration()
  log.info(`Collecting ${cache.displayUrl}${opts.dryRun ? ' (dry run: nothing is deleted)' : ''}…`)
  const listed = await listCache(cache)
  const jobs = await readJobs(cache, listed.records, opts)
  const { nodes: narinfos, unknownNar } = await readNarinfos(cache, listed.narinfos, listed.nars)
  const input: GcInput = { now: started, narinfos, listings: listed.listings, nars: listed.nars, jobs }
  const plan = planGc(input, opts)
  if (unknownNar && plan.nars.length > 0) {
    log.warning(`A narinfo without a readable URL line could name any NAR: no NAR is deleted in this run.`)
    plan.nars = []
  }
  const doomed = plan.narinfoLevels.flat()
  log.info(
    `${jobs.size} job(s) on record, ${plan.keptJobs.length} kept; ${narinfos.size} narinfos: ${plan.survivors.size} kept, ${doomed.length} to delete; ` +
      `${plan.nars.length} NAR(s) to delete.`
  )
  const sizeOf = (keys: readonly string[], from: ReadonlyMap<string, ListedObject>): number => keys.reduce((a, k) => a + (from.get(k)?.size ?? 0), 0)
  const byKey = new Map<string, ListedObject>([...listed.listings.values(), ...listed.records, ...listed.narinfos].map((o) => [o.key, o]))
  const result: GcResult = {
    cache: cache.displayUrl,
    dryRun: opts.dryRun,
    jobs: { read: jobs.size, kept: plan.keptJobs.length },
    narinfos: { listed: narinfos.size, kept: plan.survivors.size, deleted: doomed.length },
    nars: { listed: listed.nars.size, deleted: plan.nars.length },
    records: { deleted: new Set(plan.records.map(jobOfKey)).size },
    listings: { deleted: plan.listings.length },
    refreshed: 0,
    bytesFreed: 0,
    keptBytes: plan.keptBytes,
    note: plan.nothingBecause,
    requests: 0,
    seconds: 0,
    deletedPaths: doomed.map((h) => narinfos.get(h)?.storePath ?? h).sort()
  }
  if (opts.dryRun) {
    result.bytesFreed =
      doomed.reduce((a, h) => a + (narinfos.get(h)?.obj.size ?? 0), 0) + sizeOf(plan.nars, listed.nars) + sizeOf([...plan.listings, ...plan.records], byKey)
  } else {
    try {
      await execute(cache, plan, input, result, byKey)
    } catch (e) {
      if (e instanceof AnotherGcDeleting) throw new GcStopped(e.message)
      throw e
    } finally {
      await cache.finish?.()
    }
  }
  result.requests = cache.requests
  result.seconds = (now() - started) / 1000
  return result
}

async function execute(
  cache: CollectableCache,
  plan: ReturnType<typeof planGc>,
  input: GcInput,
  result: GcResult,
  byKey: ReadonlyMap<string, ListedObject>
): Promise<void> {
  const { narinfos } = input
  const tell = progress()
  // What a push touched since the listing comes back, and keeps its whole closure.
  const saved = new Set(plan.survivors)
  const deleted = new Set<string>()
  let freed = 0
  for (const level of plan.narinfoLevels) {
    for (const batch of batches(level.filter((h) => !saved.has(h)), DELETE_BATCH)) {
      const r = await cache.remove(batch.map((h) => `${h}.narinfo`), plan.cutoffMs)
      for (const k of r.deleted) {
        const h = k.slice(0, 32)
        deleted.add(h)
        freed += narinfos.get(h)?.obj.size ?? 0
      }
      for (const h of closureOf(r.fresh.map((k) => k.slice(0, 32)), narinfos)) saved.add(h)
      result.refreshed += r.fresh.length
      tell(() => `Deleted ${deleted.size} of ${plan.narinfoLevels.flat().length} narinfos…`)
    }
  }
  const savedNars = new Set([...saved].map((h) => narinfos.get(h)?.narKey).filter((k): k is string => k !== undefined))
  // Where a check and a delete are two requests (S3), a push that finds one of the narinfos just
  // deleted gone re-uploads its NAR, finds it present and touches it, at the very moment this run
  // checks that NAR: the window between the check and the delete. Those NARs wait for the next
  // run, which deletes them if no narinfo names them by then and they are still older than the
  // grace. With `--grace 0s` (safe only while no job pushes) one run still collects everything.
  const later = new Set<string>()
  if (!cache.removesAtomically && plan.cutoffMs < input.now) {
    for (const h of deleted) {
      const k = narinfos.get(h)?.narKey
      if (k !== undefined) later.add(k)
    }
  }
  let nars = 0
  for (const batch of batches(plan.nars.filter((k) => !savedNars.has(k) && !later.has(k)), DELETE_BATCH)) {
    const r = await cache.remove(batch, plan.cutoffMs)
    nars += r.deleted.length
    freed += r.deleted.reduce((a, k) => a + (input.nars.get(k)?.size ?? 0), 0)
    result.refreshed += r.fresh.length
    tell(() => `Deleted ${nars} of ${plan.nars.length} NARs…`)
  }
  const listings = plan.listings.filter((k) => !saved.has(k.slice(0, 32)))
  const rest = [...listings, ...plan.records]
  let removedRest = 0
  for (const batch of batches(rest, DELETE_BATCH)) {
    const r = await cache.remove(batch, plan.cutoffMs)
    removedRest += r.deleted.length
    freed += r.deleted.reduce((a, k) => a + (byKey.get(k)?.size ?? 0), 0)
  }
  result.narinfos.deleted = deleted.size
  result.narinfos.kept = narinfos.size - deleted.size
  result.nars.deleted = nars
  result.bytesFreed = freed
  result.deletedPaths = [...deleted].map((h) => narinfos.get(h)?.storePath ?? h).sort()
  if (removedRest < rest.length) log.info(`${rest.length - removedRest} listing or record file(s) were modified meanwhile and stay.`)
  if (later.size > 0) log.info(`${later.size} NAR(s) of the narinfos deleted now are left for the next run (docs/gc.md, "Pushes and a GC at the same time").`)
  if (result.refreshed > 0) log.info(`${result.refreshed} object(s) were touched by a push since the listing and stay, with their closures.`)
  log.info(`Deleted ${deleted.size} narinfo(s) and ${nars} NAR(s), ${formatBytes(freed)}.`)
}
