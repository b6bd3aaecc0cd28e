import { describe, expect, it } from '@jest/globals'
import type { PathInfo } from '../../../src/format/path-info.js'
import type { JobFacts } from '../../../src/plan/facts.js'
import { CertainSession, heldByHash, infosToPush, planAsSelected, planFinal, selectFinal, type PlanIO } from '../../../src/plan/planner.js'
import type { Pushed } from '../../../src/plan/result.js'
import { DEFAULT_POLICY as policy, fakeStorePath as p } from '../../helpers/fixtures.js'

/** The upstream key the policy skips. */
const UPSTREAM = 'cache.nixos.org-1'

function info(path: string, references: string[] = [], signatures: string[] = []): PathInfo {
  return { path, narHash: 'sha256:0', narSize: 100, references, signatures, ultimate: signatures.length === 0 }
}

/**
 * A store and a destination as plain data, recording every question: `store` is what the store
 * holds (anything else is not valid), `cached` what the destination serves.
 */
function world(store: PathInfo[], cached: string[] = []): PlanIO & { described: string[][]; asked: string[][] } {
  const byPath = new Map(store.map((i) => [i.path, i]))
  const described: string[][] = []
  const asked: string[][] = []
  return {
    described,
    asked,
    describe: async (paths) => {
      described.push([...paths])
      return new Map(paths.flatMap((q) => (byPath.has(q) ? [[q, byPath.get(q)!] as const] : [])))
    },
    held: async (paths) => {
      asked.push([...paths])
      return new Set(paths.filter((q) => cached.includes(q)))
    }
  }
}

// The job built lib and app (app references lib and two paths from before the job: glibc,
// signed upstream, and old, which nobody may serve) and added a stray path outside the closure.
const appDrv = p('app.drv')
const lib = p('lib')
const app = p('app')
const glibc = p('glibc')
const old = p('old')
const stray = p('stray')

const infos = {
  lib: info(lib, [lib]),
  app: info(app, [lib, old, glibc]),
  glibc: info(glibc, [], [`${UPSTREAM}:x==`]),
  old: info(old),
  stray: info(stray)
}

function facts(over: Partial<JobFacts> = {}): JobFacts {
  return {
    newPaths: [appDrv, lib, app, stray],
    closure: new Set([appDrv, lib, app, glibc, old]),
    infos: new Map([
      [lib, infos.lib],
      [app, infos.app],
      [stray, infos.stray]
    ]),
    ...over
  }
}

const store = [infos.lib, infos.app, infos.glibc, infos.old, infos.stray]

describe('the final plan', () => {
  it('pushes the selection minus what the destination holds, asking it once about the selected paths', async () => {
    const io = world(store, [lib, old])
    const plan = await planFinal(selectFinal(facts(), policy), { facts: facts(), policy, published: [] }, io)
    expect(plan.selection.push).toEqual([app])
    expect(plan.selection.skipped['already-cached']).toEqual([lib])
    expect(plan.selection.skipped['outside-closure']).toEqual([stray])
    expect(plan.selection.skipped.derivation).toEqual([appDrv])
    expect(io.asked[0]).toEqual([lib, app])
  })

  it('completes the closure round by round: infos from the store, then the destination, until nothing is left to ask', async () => {
    const io = world(store)
    const plan = await planFinal(selectFinal(facts(), policy), { facts: facts(), policy, published: [] }, io)
    // glibc is signed upstream: described, never asked about; old is served by nobody, so pushed.
    expect(io.described).toEqual([[old, glibc]])
    expect(io.asked).toEqual([[lib, app], [old]])
    expect(plan.selection.push).toEqual([lib, app, old])
    expect(plan.selection.completion).toEqual([old])
    expect(plan.selection.skipped['pre-existing']).toEqual([glibc])
    expect(infosToPush(plan).map((i) => i.path)).toEqual([lib, app, old])
  })

  it('does not add a reference from before the job that the destination already holds', async () => {
    const plan = await planFinal(selectFinal(facts(), policy), { facts: facts(), policy, published: [] }, world(store, [old]))
    expect(plan.selection.push).toEqual([lib, app])
    expect(plan.selection.completion).toEqual([])
  })

  it('withholds paths that reference what nobody serves, and their referrers, naming one reference', async () => {
    // old is gone from the store: nobody can serve it, so app may not be published.
    const gone = await planFinal(selectFinal(facts(), policy), { facts: facts(), policy, published: [] }, world([infos.lib, infos.app, infos.glibc]))
    expect(gone.selection.push).toEqual([lib])
    expect(gone.selection.skipped['unserved-reference']).toEqual([app])
    expect(gone.unserved).toEqual([{ path: old, referrer: app }])

    // lib is excluded: app references it, so app is withheld too.
    const excluding = { ...policy, exclude: [/-lib$/] }
    const excluded = await planFinal(selectFinal(facts(), excluding), { facts: facts(), policy: excluding, published: [] }, world(store, [old]))
    expect(excluded.selection.push).toEqual([])
    expect(excluded.selection.skipped.excluded).toEqual([lib])
    expect(excluded.selection.skipped['unserved-reference']).toEqual([app])
  })

  it('leaves the job facts alone and returns the infos of every path it described', async () => {
    const given = facts()
    const plan = await planFinal(selectFinal(given, policy), { facts: given, policy, published: [] }, world(store))
    expect([...given.infos.keys()]).toEqual([lib, app, stray])
    expect([...plan.infos.keys()].sort()).toEqual([lib, app, stray, old, glibc].sort())
  })

  it('counts what this job already published as its own category: never uploaded again, asked about, nor called already cached', async () => {
    const published: Pushed[] = [{ path: lib, narSize: 100, fileSize: 40 }]
    // The destination holds lib: the agent put it there.
    const io = world(store, [lib, old])
    const plan = await planFinal(selectFinal(facts(), policy), { facts: facts(), policy, published }, io)
    expect(plan.published).toEqual(published)
    expect(plan.selection.push).toEqual([app])
    expect(plan.selection.skipped['already-cached']).toEqual([])
    expect(io.asked.flat()).not.toContain(lib)
    // lib serves app, its referrer, as a path already in the cache would.
    expect(plan.selection.completion).toEqual([])
    expect(plan.selection.skipped['unserved-reference']).toEqual([])
  })

  it('as selected, for modes that ask nobody: only what this job already published is taken out', () => {
    const published: Pushed[] = [{ path: lib, narSize: 100, fileSize: 40 }]
    const given = facts()
    const plan = planAsSelected(selectFinal(given, policy), published, given.infos)
    expect(plan.selection.push).toEqual([app])
    expect(plan.selection.skipped['already-cached']).toEqual([])
    expect(plan.published).toEqual(published)
    expect(plan.infos).toBe(given.infos)
  })

  it('asks a destination that answers by hash part with hash parts', async () => {
    const held = heldByHash(async (hashes) => new Set(hashes.filter((h) => h.startsWith('lib'))))
    expect([...(await held([lib, app]))]).toEqual([lib])
  })
})

describe('the certain session (the agent, during the build)', () => {
  const closure = new Set([appDrv, lib, app, glibc, old])
  const paths = (list: readonly PathInfo[]): string[] => list.map((i) => i.path)
  const pushed = (path: string): { pushed: Pushed[]; failed: []; vanished: [] } => ({ pushed: [{ path, narSize: 100, fileSize: 40 }], failed: [], vanished: [] })
  // Here app references lib and glibc only (from before the job, signed upstream).
  const built = [infos.lib, info(app, [lib, glibc]), infos.glibc, infos.old]

  it('publishes references before referrers, once a lookup says their older references are served', async () => {
    const io = world(built)
    const session = new CertainSession(io, policy)
    session.add([appDrv, lib, app, stray])
    expect(session.due).toBe(true)
    expect(paths(await session.next(closure))).toEqual([lib, app])
    expect(session.due).toBe(false)
    // The new paths in the closure first, then glibc, which is signed upstream, so the destination
    // is asked only about what may go.
    expect(io.described).toEqual([[lib, app], [glibc]])
    expect(io.asked).toEqual([[lib, app]])
  })

  it('keeps a referrer waiting while an older reference is served by nobody', async () => {
    const session = new CertainSession(world(store), policy)
    session.add([appDrv, lib, app])
    expect(paths(await session.next(closure))).toEqual([lib])
  })

  it('waits for lookups: one older reference per referrer and round, the next one in a later round', async () => {
    const io = world(store, [old])
    const session = new CertainSession(io, policy)
    session.add([appDrv, lib, app])
    // old is looked up (the destination has it); glibc, app's next older reference, is not yet.
    expect(paths(await session.next(closure))).toEqual([lib])
    session.settle(pushed(lib))
    expect(paths(await session.next(closure))).toEqual([app])
    expect(io.described).toEqual([[lib, app], [old], [glibc]])
  })

  it('lets a referrer go in a later round, once its references are published, asking about each path once', async () => {
    const io = world(built)
    const session = new CertainSession(io, policy)
    // app is not built yet: only lib is new.
    session.add([lib])
    expect(paths(await session.next(new Set([appDrv, lib])))).toEqual([lib])
    session.settle(pushed(lib))
    expect(session.due).toBe(true)
    session.add([app])
    expect(paths(await session.next(closure))).toEqual([app])
    session.settle(pushed(app))
    expect(await session.next(closure)).toEqual([])
    expect(io.asked.flat()).toEqual([lib, app])
    // Nothing new and nothing published: no round is due.
    session.add([])
    expect(session.due).toBe(false)
  })

  it('waits for a new path the store has not described yet', async () => {
    const session = new CertainSession(world(built.filter((i) => i.path !== lib)), policy)
    session.add([lib, app])
    // lib is not (yet) valid: neither it nor app, its referrer, may go.
    expect(await session.next(closure)).toEqual([])
  })

  it('leaves a path it gave up on, and its referrers, to the post step', async () => {
    const session = new CertainSession(world(built), policy)
    session.add([lib])
    expect(paths(await session.next(new Set([appDrv, lib])))).toEqual([lib])
    session.settle({ pushed: [], failed: [{ path: lib, reason: 'HTTP 500' }], vanished: [] })
    expect(session.due).toBe(false)
    session.add([app])
    expect(await session.next(closure)).toEqual([])
  })

  it('does not publish what the destination already holds', async () => {
    const session = new CertainSession(world(built, [lib]), policy)
    session.add([lib, app])
    expect(paths(await session.next(closure))).toEqual([app])
  })
})
