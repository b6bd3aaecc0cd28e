import { describe, expect, it } from '@jest/globals'
import { planGc, type GcInput, type JobEntry, type NarinfoNode } from '../../../src/gc/plan.js'
import { parseGcOptions } from '../../../src/gc/options.js'
import type { ListedObject } from '../../../src/executors/binary-cache/listing.js'

const NOW = Date.UTC(2026, 11, 7)
const DAY = 86_400_000
const hash = (name: string): string => name.padEnd(32, '0')
const obj = (key: string, ageMs: number, size = 100): ListedObject => ({ key, size, mtimeMs: NOW - ageMs })

/** A cache: name → [references, NAR name, age]; NARs named apart share a file. */
function cache(paths: Record<string, { refs?: string[]; nar?: string; age?: number; narSize?: number }>, jobs: Array<{ job: string; ageDays: number; paths: string[] }>, extraNars: ListedObject[] = []): GcInput {
  const narinfos = new Map<string, NarinfoNode>()
  const nars = new Map<string, ListedObject>()
  for (const [name, p] of Object.entries(paths)) {
    const h = hash(name)
    const narKey = `nar/${p.nar ?? name}.nar.zst`
    narinfos.set(h, { hash: h, obj: obj(`${h}.narinfo`, p.age ?? 10 * DAY), storePath: `/nix/store/${h}-${name}`, narKey, references: (p.refs ?? []).map(hash) })
    nars.set(narKey, obj(narKey, p.age ?? 10 * DAY, p.narSize ?? 1000))
  }
  for (const n of extraNars) nars.set(n.key, n)
  const entries = new Map<string, JobEntry>()
  for (const j of jobs) entries.set(j.job, { job: j.job, time: NOW - j.ageDays * DAY, hashes: new Set(j.paths.map(hash)), parts: [obj(`nix-buildtime-cache/jobs/${j.job}/post.json`, j.ageDays * DAY)] })
  return { now: NOW, narinfos, listings: new Map(), nars, jobs: entries }
}

const deleted = (plan: ReturnType<typeof planGc>): string[] => plan.narinfoLevels.flat().map((h) => h.replace(/0+$/, '')).sort()

describe('the GC plan', () => {
  it('keeps what jobs of the last 30 days pushed or used, with its closure, when no rule is given', () => {
    const input = cache({ app1: { refs: ['lib'] }, app2: { refs: ['lib'] }, lib: {}, tool: {} }, [
      { job: 'old', ageDays: 40, paths: ['app1', 'tool'] },
      { job: 'new', ageDays: 2, paths: ['app2'] }
    ])
    const plan = planGc(input, parseGcOptions({ grace: '1d' }))
    expect(deleted(plan)).toEqual(['app1', 'tool'])
    expect(plan.records).toEqual(['nix-buildtime-cache/jobs/old/post.json'])
  })

  it('deletes referrers before their references', () => {
    const input = cache({ a: { refs: ['b'] }, b: { refs: ['c'] }, c: {} }, [{ job: 'j', ageDays: 1, paths: [] }])
    const plan = planGc(input, parseGcOptions({ 'keep-jobs': '1', grace: '0s' }))
    expect(plan.narinfoLevels.map((l) => l.map((h) => h.replace(/0+$/, '')))).toEqual([['a'], ['b'], ['c']])
  })

  it('never deletes a NAR that a kept narinfo shares with a deleted one', () => {
    const input = cache({ kept: { nar: 'same' }, gone: { nar: 'same' } }, [{ job: 'j', ageDays: 1, paths: ['kept'] }])
    const plan = planGc(input, parseGcOptions({ 'keep-jobs': '1', grace: '0s' }))
    expect(deleted(plan)).toEqual(['gone'])
    expect(plan.nars).toEqual([])
  })

  it('deletes NARs no narinfo names only once they are older than the grace', () => {
    const input = cache({ a: {} }, [{ job: 'j', ageDays: 1, paths: ['a'] }], [obj('nar/fresh.nar.zst', 60_000), obj('nar/stale.nar.zst', 2 * DAY)])
    const plan = planGc(input, parseGcOptions({ 'keep-jobs': '1', grace: '1d' }))
    expect(plan.nars).toEqual(['nar/stale.nar.zst'])
  })

  it('keeps whatever was modified within the grace, with its closure, whatever the records say', () => {
    const input = cache({ young: { refs: ['dep'], age: 3_600_000 }, dep: {}, old: {} }, [{ job: 'j', ageDays: 90, paths: [] }])
    const plan = planGc(input, parseGcOptions({ 'keep-days': '1', grace: '6h' }))
    expect(deleted(plan)).toEqual(['old'])
  })

  it('keeps pinned paths and their closures', () => {
    const input = cache({ 'glibc-2': { refs: ['base'] }, base: {}, other: {} }, [{ job: 'j', ageDays: 90, paths: [] }])
    const plan = planGc(input, parseGcOptions({ 'keep-days': '1', grace: '0s', pin: ['-glibc-'] }))
    expect(deleted(plan)).toEqual(['other'])
  })

  it('evicts the least recently used jobs further until the cache fits --max-size', () => {
    const input = cache({ a: { narSize: 1000 }, b: { narSize: 1000 }, c: { narSize: 1000 } }, [
      { job: 'oldest', ageDays: 3, paths: ['a'] },
      { job: 'middle', ageDays: 2, paths: ['b'] },
      { job: 'newest', ageDays: 1, paths: ['c'] }
    ])
    const plan = planGc(input, parseGcOptions({ 'keep-days': '30', grace: '0s', 'max-size': '2300' }))
    expect(deleted(plan)).toEqual(['a'])
    expect(plan.keptJobs).toEqual(['newest', 'middle'])
    expect(plan.keptBytes).toBeLessThanOrEqual(2300)
  })

  it('deletes nothing from a cache without job records, and says why', () => {
    const input = cache({ a: {}, b: {} }, [])
    const plan = planGc(input, parseGcOptions({ 'keep-jobs': '1', grace: '0s' }))
    expect(deleted(plan)).toEqual([])
    expect(plan.nars).toEqual([])
    expect(plan.nothingBecause).toMatch(/no job records yet/)
  })

  it('reads durations and refuses bad ones naming the option', () => {
    expect(parseGcOptions({ grace: '90m' }).graceMs).toBe(90 * 60_000)
    expect(parseGcOptions({}).graceMs).toBe(7 * DAY)
    expect(() => parseGcOptions({ grace: '5 days' })).toThrow(/Input 'grace': expected a duration such as 0s, 90m, 6h, 7d or 2w, got '5 days'/)
  })
})
