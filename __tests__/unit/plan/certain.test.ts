import { describe, expect, it } from '@jest/globals'
import { certainToPublish, type CertainInput } from '../../../src/plan/certain.js'
import { selectPaths } from '../../../src/plan/selection.js'
import { BuildClosureTracker, type GraphNode } from '../../../src/nix/closure-tracker.js'
import { DEFAULT_POLICY as policy, fakeStorePath as p } from '../../helpers/fixtures.js'

// A build in progress: app.drv (new) builds app from lib (new output), src (new source) and
// glibc (upstream-signed, substituted). stray was `nix-store --add`ed; old was there before.
const appDrv = p('app.drv')
const libDrv = p('lib.drv')
const app = p('app')
const lib = p('lib')
const src = p('src')
const glibc = p('glibc')
const stray = p('stray')
const old = p('old')

function input(over: Partial<CertainInput> = {}): CertainInput {
  return {
    newPaths: [libDrv, appDrv, src, glibc, lib, app, stray],
    closure: new Set([appDrv, libDrv, src, glibc, lib, app, old]),
    references: new Map([
      [src, []],
      [glibc, [glibc]],
      [lib, [glibc, lib]],
      [app, [lib, old, glibc]]
    ]),
    signatures: new Map([[glibc, ['cache.nixos.org-1:x==']]]),
    policy,
    // `old`, from before the job, is served (the cache has it).
    available: new Set([old]),
    ...over
  }
}

describe('the certain set (what the agent may publish during the build)', () => {
  it('publishes new closure paths, references first, and never upstream, pre-existing, stray or .drv paths', () => {
    const plan = certainToPublish(input())
    expect(plan.publish).toEqual([src, lib, app])
    expect(plan.waiting).toEqual([])
  })

  it('is always a subset of what the final selection pushes', () => {
    const final = selectPaths({ newPaths: input().newPaths, closure: input().closure, signatures: input().signatures, policy })
    for (const x of certainToPublish(input()).publish) expect(final.push).toContain(x)
  })

  it('holds a referrer back until its new references are served', () => {
    const excluded = certainToPublish(input({ policy: { ...policy, exclude: [/-lib$/] } }))
    // lib is excluded, so nobody serves it: app must wait for the post step's decision.
    expect(excluded.publish).toEqual([src])
    expect(excluded.waiting).toEqual([app])
    const failed = certainToPublish(input({ givenUp: new Set([lib]) }))
    expect(failed.publish).toEqual([src])
    expect(failed.waiting.sort()).toEqual([app, lib].sort())
  })

  it('waits for paths not described yet', () => {
    const refs = new Map(input().references)
    refs.delete(lib)
    const plan = certainToPublish(input({ references: refs }))
    expect(plan.publish).toEqual([src])
    expect(plan.waiting.sort()).toEqual([app, lib].sort())
  })

  it('skips what the cache already serves and lets its referrers go', () => {
    const plan = certainToPublish(input({ available: new Set([lib, old]) }))
    expect(plan.publish).toEqual([src, app])
  })

  it('asks about references from before the job, and holds back referrers of those nobody serves', () => {
    const unknown = certainToPublish(input({ available: new Set() }))
    expect(unknown.publish).toEqual([src, lib])
    expect(unknown.waiting).toEqual([app])
    expect(unknown.lookups).toEqual([old])
    // Asked, and neither the cache nor an upstream has it: the post step pushes it with app.
    const unserved = certainToPublish(input({ available: new Set(), lookedUp: new Set([old]) }))
    expect(unserved.waiting).toEqual([app])
    expect(unserved.lookups).toEqual([])
  })

  it('publishes nothing outside the closure of the derivations seen so far', () => {
    const early = certainToPublish(input({ closure: new Set([libDrv, lib, glibc]) }))
    expect(early.publish).toEqual([lib])
    expect(certainToPublish(input({ closure: new Set() })).publish).toEqual([])
  })
})

describe('the incremental build closure', () => {
  it('equals the requisites of the new derivations with their valid outputs, as outputs appear', async () => {
    const graph = new Map<string, GraphNode>([
      [appDrv, { references: [libDrv, src], outputs: [{ path: app, valid: false }] }],
      [libDrv, { references: [], outputs: [{ path: lib, valid: false }] }],
      [src, { references: [], outputs: [] }],
      [lib, { references: [glibc], outputs: [] }],
      [glibc, { references: [], outputs: [] }],
      [app, { references: [lib, old], outputs: [] }],
      [old, { references: [], outputs: [] }],
      [stray, { references: [], outputs: [] }]
    ])
    const valid = new Set<string>()
    const asked: string[] = []
    const tracker = new BuildClosureTracker(async (paths) => {
      asked.push(...paths)
      return new Map(paths.filter((x) => valid.has(x)).map((x) => [x, graph.get(x)!]))
    })
    for (const x of [glibc, old, libDrv, appDrv, src, stray]) valid.add(x)
    await tracker.add([libDrv, appDrv, src, stray])
    expect([...tracker.members].sort()).toEqual([appDrv, libDrv, src].sort())
    valid.add(lib)
    await tracker.add([lib])
    expect(tracker.members.has(lib)).toBe(true)
    expect(tracker.members.has(glibc)).toBe(true)
    valid.add(app)
    await tracker.add([app])
    expect([...tracker.members].sort()).toEqual([appDrv, libDrv, src, lib, glibc, app, old].sort())
    // Each path is described once.
    expect(asked.length).toBe(new Set(asked).size)
  })
})
