import { describe, expect, it } from '@jest/globals'
import { completeClosure, selectPaths, withoutCached, type SelectionPolicy } from '../../../src/plan/selection.js'
import { DEFAULT_POLICY as policy, fakeStorePath as p } from '../../helpers/fixtures.js'

const app = p('app')
const tool = p('tool')
const src = p('src')
const drv = p('app.drv')
const upstream = p('glibc')
const unrelated = p('unrelated')
const old = p('old')

const base = {
  newPaths: [app, tool, src, drv, upstream, unrelated],
  closure: new Set([app, tool, src, drv, upstream, old]),
  signatures: new Map([[upstream, ['cache.nixos.org-1:abc==']]]),
  policy
}

describe('selection policy', () => {
  it('pushes exactly the new paths in the build closure, and says why it skips each other path', () => {
    const s = selectPaths(base)
    expect(s.push).toEqual([app, tool, src])
    expect(s.skipped['outside-closure']).toEqual([unrelated])
    expect(s.skipped.derivation).toEqual([drv])
    expect(s.skipped['upstream-signed']).toEqual([upstream])
    expect(s.skipped['pre-existing']).toEqual([old])
    expect(s.skipped.excluded).toEqual([])
  })

  it('pushes derivations when asked', () => {
    expect(selectPaths({ ...base, policy: { ...policy, includeDerivations: true } }).push).toContain(drv)
  })

  it('skips only signatures by the named keys', () => {
    const s = selectPaths({ ...base, signatures: new Map([[upstream, ['my-cache-1:xyz==']]]) })
    expect(s.push).toContain(upstream)
  })

  it('excludes by regex, including the last path in order, without affecting the others', () => {
    const s = selectPaths({ ...base, policy: { ...policy, exclude: [/-src$/, /nomatch/] } })
    expect(s.skipped.excluded).toEqual([src])
    expect(s.push).toEqual([app, tool])
    const last = selectPaths({ ...base, policy: { ...policy, exclude: [/-tool$/, /-app$/, /-src$/] } })
    expect(last.push).toEqual([])
    expect(last.skipped.excluded).toEqual([app, tool, src])
  })

  it('moves paths the cache already has out of the push list', () => {
    const s = withoutCached(selectPaths(base), new Set([tool]))
    expect(s.push).toEqual([app, src])
    expect(s.skipped['already-cached']).toEqual([tool])
  })

  it('pushes nothing when there are no roots', () => {
    const s = selectPaths({ ...base, closure: new Set() })
    expect(s.push).toEqual([])
    expect(s.skipped['outside-closure']).toHaveLength(6)
  })

  it('considers pre-existing closure paths too when asked, with the same reasons', () => {
    const oldUpstream = p('old-glibc')
    const s = selectPaths({
      ...base,
      closure: new Set([...base.closure, oldUpstream]),
      signatures: new Map([...base.signatures, [oldUpstream, ['cache.nixos.org-1:x==']]]),
      policy: { ...policy, includePreExisting: true }
    })
    expect(s.push).toEqual([app, tool, src, old])
    expect(s.skipped['pre-existing']).toEqual([])
    expect(s.skipped['upstream-signed']).toEqual([upstream, oldUpstream])
  })
})

describe('closure completeness on a warm store', () => {
  // app references lib (in the store before the job) and glibc (signed upstream); lib references
  // zlib (also pre-existing). tool (build-time only) references nothing.
  const lib = p('lib')
  const zlib = p('zlib')
  const oldTool = p('old-tool')
  const glibc = p('glibc')
  const refs: Record<string, string[]> = { [app]: [app, lib, glibc], [tool]: [], [src]: [], [lib]: [lib, zlib], [zlib]: [], [oldTool]: [], [glibc]: [] }
  const sigs: Record<string, string[]> = { [glibc]: ['cache.nixos.org-1:abc=='] }
  const info = (path: string): { references: string[]; signatures: string[] } => ({ references: refs[path] ?? [], signatures: sigs[path] ?? [] })
  const selection = selectPaths({
    newPaths: [app, tool, src],
    closure: new Set([app, tool, src, lib, zlib, oldTool, glibc]),
    signatures: new Map(),
    policy
  })

  /** Answers the lookups as a driver would, from the store (`refs`) and a cache holding `cached`. */
  function complete(cached: readonly string[], policyOverride: Partial<SelectionPolicy> = {}) {
    const infos = new Map([app, tool, src].map((x) => [x, info(x)]))
    const answers = new Map<string, boolean>()
    const asked: string[] = []
    for (let round = 0; round < 20; round++) {
      const c = completeClosure(selection, { infos, missing: new Set(), cached: answers }, { ...policy, ...policyOverride })
      if (c.lookups.infos.length === 0 && c.lookups.cache.length === 0) return { ...c, asked }
      for (const x of c.lookups.infos) infos.set(x, info(x))
      for (const x of c.lookups.cache) {
        asked.push(x)
        answers.set(x, cached.includes(x))
      }
    }
    throw new Error('no fixpoint')
  }

  it('pushes the pre-existing references of pushed paths that no cache serves, and theirs in turn', () => {
    const c = complete([])
    expect(c.selection.push).toEqual([app, tool, src, lib, zlib])
    expect(c.selection.completion).toEqual([lib, zlib])
    expect(c.selection.skipped['pre-existing']).toEqual([oldTool, glibc])
  })

  it('asks the cache only about pre-existing references of pushed paths, never upstream-signed ones', () => {
    const c = complete([lib])
    expect(c.asked).toEqual([lib])
    expect(c.selection.push).toEqual([app, tool, src])
    expect(c.selection.completion).toEqual([])
  })

  it('withholds a path that references an excluded path, and what references it', () => {
    const c = complete([], { exclude: [/-zlib$/] })
    expect(c.selection.push).toEqual([tool, src])
    expect(c.selection.skipped['unserved-reference']).toEqual([app])
    expect(c.unserved).toEqual([{ path: zlib, referrer: lib }])
    // lib, added only for app, keeps its reason.
    expect(c.selection.skipped['pre-existing']).toContain(lib)
  })
})
