import { describe, expect, it } from '@jest/globals'
import {
  emptyManifest,
  evict,
  LAYER_FORMAT,
  layerId,
  MANIFEST_FORMAT,
  ManifestError,
  mergeManifests,
  nextManifest,
  parseManifest,
  planSave,
  renderManifest,
  UnknownManifestFormat,
  type LayerRecord,
  type Manifest,
  type PathFact,
  type PlanInput
} from '../../../../src/executors/gha/manifest.js'
import { fakeHashPart as h } from '../../../helpers/fixtures.js'

const DAY = 24 * 3600 * 1000
const NOW = 100 * DAY

function layer(key: string, slot: number, paths: Record<string, number>, narBytes = Object.keys(paths).length * 100): LayerRecord {
  return { format: LAYER_FORMAT, key, slot, createdAt: Math.min(...Object.values(paths)), pathCount: Object.keys(paths).length, narBytes, paths }
}

const fact = (name: string, narSize = 100, refs: string[] = []): PathFact => ({ hash: h(name), narSize, references: refs.map(h) })

function input(manifest: Manifest, over: Partial<PlanInput> = {}): PlanInput {
  const heldPaths = new Map<string, PathFact>()
  for (const l of manifest.layers) for (const hash of Object.keys(l.paths)) heldPaths.set(hash, { hash, narSize: l.narBytes / l.pathCount, references: [] })
  return {
    now: NOW,
    manifest,
    held: new Set(manifest.layers.map(layerId)),
    failed: new Set(),
    heldPaths,
    closure: new Set(),
    fresh: [],
    policy: { maxBytes: 10_000, maxLayers: 3, retentionMs: 7 * DAY, compact: false },
    ...over
  }
}

const manifest = (...layers: LayerRecord[]): Manifest => ({ ...emptyManifest('/nix/store', NOW - DAY), layers })

describe('the manifest format', () => {
  it('round-trips and recomputes path counts', () => {
    const m = manifest(layer('k1', 0, { [h('a')]: NOW - DAY, [h('b')]: NOW }))
    const parsed = parseManifest(renderManifest(m))
    expect(parsed).toEqual(m)
    const lying = JSON.parse(renderManifest(m)) as { layers: Array<{ pathCount: number }> }
    lying.layers[0]!.pathCount = 99
    expect(parseManifest(JSON.stringify(lying)).layers[0]?.pathCount).toBe(2)
  })

  it.each([
    ['not JSON', '{"format":1,'],
    ['no format', JSON.stringify({ storeDir: '/nix/store', updatedAt: 1, layers: [] })],
    ['format 0', JSON.stringify({ format: 0, storeDir: '/nix/store', updatedAt: 1, layers: [] })],
    ['a format 2 layer without a format', JSON.stringify({ format: 2, storeDir: '/nix/store', updatedAt: 1, layers: [{ key: 'a', slot: 0, createdAt: 1, narBytes: 1, paths: {} }] })],
    ['a relative store dir', JSON.stringify({ format: 1, storeDir: 'nix/store', updatedAt: 1, layers: [] })],
    ['a key with a comma', JSON.stringify({ format: 1, storeDir: '/nix/store', updatedAt: 1, layers: [{ key: 'a,b', slot: 0, createdAt: 1, narBytes: 1, paths: {} }] })],
    ['a negative slot', JSON.stringify({ format: 1, storeDir: '/nix/store', updatedAt: 1, layers: [{ key: 'a', slot: -1, createdAt: 1, narBytes: 1, paths: {} }] })],
    ['a bad path hash', JSON.stringify({ format: 1, storeDir: '/nix/store', updatedAt: 1, layers: [{ key: 'a', slot: 0, createdAt: 1, narBytes: 1, paths: { '../etc': 1 } }] })]
  ])('rejects %s', (_what, text) => {
    expect(() => parseManifest(text)).toThrow(ManifestError)
  })

  it('reads a format 1 manifest (before 1.0.0): its layers are layer format 1, and it is written back in the current format', () => {
    const v1 = { format: 1, storeDir: '/nix/store', updatedAt: 5, layers: [{ key: 'old', slot: 0, createdAt: 1, narBytes: 100, paths: { [h('a')]: 3 } }] }
    const m = parseManifest(JSON.stringify(v1))
    expect(m.layers).toEqual([{ format: 1, key: 'old', slot: 0, createdAt: 1, pathCount: 1, narBytes: 100, paths: { [h('a')]: 3 } }])
    expect(m.foreign).toEqual([])
    const again = JSON.parse(renderManifest(m)) as { format: number; layers: Array<{ format: number }> }
    expect(again.format).toBe(MANIFEST_FORMAT)
    expect(again.layers[0]?.format).toBe(1)
  })

  it('refuses a newer manifest format as unknown (not damaged), naming the format', () => {
    const text = JSON.stringify({ format: MANIFEST_FORMAT + 1, storeDir: '/nix/store', entries: 'whatever it holds' })
    expect(() => parseManifest(text)).toThrow(UnknownManifestFormat)
    try {
      parseManifest(text)
    } catch (e) {
      expect((e as UnknownManifestFormat).format).toBe(MANIFEST_FORMAT + 1)
    }
  })

  it('keeps layers of an unknown layer format out of the plan, and writes them back byte for byte in every later manifest', () => {
    const newer = { format: LAYER_FORMAT + 1, key: 'newer', shards: [1, 2, 3], slot: 'left to the newer release' }
    const text = JSON.stringify({ format: MANIFEST_FORMAT, storeDir: '/nix/store', updatedAt: 1, layers: [layer('known', 0, { [h('a')]: NOW }), newer] })
    const m = parseManifest(text)
    expect(m.layers.map((l) => l.key)).toEqual(['known'])
    expect(m.foreign).toEqual([{ key: 'newer', format: LAYER_FORMAT + 1, raw: newer }])
    // Old and unused or not, a compaction neither drops nor copies it.
    const plan = planSave(input(m, { fresh: [fact('b')], policy: { maxBytes: 10_000, maxLayers: 1, retentionMs: 7 * DAY, compact: true } }))
    expect(plan.kind).toBe('compact')
    expect(plan.dropped.map((d) => d.layer.key)).toEqual(['known'])
    const next = nextManifest(m, plan, layer('new', plan.slot, { [h('a')]: NOW, [h('b')]: NOW }), NOW)
    const written = JSON.parse(renderManifest(next)) as { layers: unknown[] }
    expect(written.layers).toContainEqual(newer)
    expect(mergeManifests(emptyManifest('/nix/store', NOW), next).foreign).toEqual(m.foreign)
    expect(mergeManifests(next, emptyManifest('/nix/store', NOW)).foreign).toEqual(m.foreign)
  })

  it('gives a new layer a slot that no layer of an unknown format has either', () => {
    const newer = { format: LAYER_FORMAT + 1, key: 'newer', slot: 1 }
    const m = parseManifest(JSON.stringify({ format: MANIFEST_FORMAT, storeDir: '/nix/store', updatedAt: 1, layers: [layer('known', 0, { [h('a')]: NOW }), newer] }))
    expect(planSave(input(m, { fresh: [fact('b')] })).slot).toBe(2)
    expect(planSave(input(m, { fresh: [fact('b')], policy: { maxBytes: 10_000, maxLayers: 1, retentionMs: 7 * DAY, compact: true } })).slot).toBe(0)
  })

  it('merges a concurrently saved manifest: the union of layers, the later use of each path', () => {
    const shared = layer('shared', 0, { [h('a')]: NOW - 5 * DAY })
    const ours = manifest(shared, layer('ours', 1, { [h('b')]: NOW }))
    const theirs = manifest({ ...shared, paths: { [h('a')]: NOW - DAY } }, layer('theirs', 1, { [h('c')]: NOW }))
    const merged = mergeManifests(ours, theirs)
    expect(merged.layers.map(layerId).sort()).toEqual(['ours#1', 'shared#0', 'theirs#1'])
    expect(merged.layers.find((l) => l.key === 'shared')?.paths[h('a')]).toBe(NOW - DAY)
    expect(mergeManifests(ours, { ...theirs, storeDir: '/other/store' })).toBe(ours)
  })
})

describe('what a job saves', () => {
  it('nothing when nothing is new, however stale or many the layers', () => {
    const old = layer('old', 0, { [h('a')]: NOW - 30 * DAY })
    const plan = planSave(input(manifest(old, layer('b', 1, { [h('b')]: NOW }), layer('c', 2, { [h('c')]: NOW }), layer('d', 3, { [h('d')]: NOW }))))
    expect(plan.kind).toBe('nothing')
  })

  it('appends one layer of the new paths, in a free slot, dropping layers no recent build used', () => {
    const stale = layer('stale', 0, { [h('s')]: NOW - 8 * DAY })
    const used = layer('used', 1, { [h('u')]: NOW - 8 * DAY })
    const recent = layer('recent', 2, { [h('r')]: NOW - 2 * DAY })
    const plan = planSave(input(manifest(stale, used, recent), { fresh: [fact('n')], closure: new Set([h('u'), h('n')]) }))
    expect(plan.kind).toBe('append')
    expect(plan.keep.map((l) => l.key)).toEqual(['used', 'recent'])
    // This job's closure used `u`, so its layer is live again and remembers when.
    expect(plan.keep[0]?.paths[h('u')]).toBe(NOW)
    expect(plan.dropped.map((d) => [d.layer.key, d.why])).toEqual([['stale', 'unused']])
    expect(plan.slot).toBe(0)
    expect(plan.lastUsed).toEqual({ [h('n')]: NOW })
  })

  it('drops a layer that could not be restored, and never reuses its slot for the next layer', () => {
    const broken = layer('broken', 0, { [h('b')]: NOW })
    const fine = layer('fine', 1, { [h('f')]: NOW })
    const plan = planSave(input(manifest(broken, fine), { failed: new Set(['broken#0']), fresh: [fact('b')] }))
    expect(plan.dropped.map((d) => [d.layer.key, d.why])).toEqual([['broken', 'unavailable']])
    expect(plan.keep.map((l) => l.key)).toEqual(['fine'])
    expect(plan.slot).toBe(2)
  })

  it('compacts when the layers would exceed the bound', () => {
    const layers = [0, 1, 2].map((i) => layer(`l${i}`, i, { [h(`p${i}`)]: NOW - DAY }))
    const plan = planSave(input(manifest(...layers), { fresh: [fact('n')] }))
    expect(plan.kind).toBe('compact')
    expect(plan.why).toBe('more than 3 layers')
    expect(plan.keep).toEqual([])
    expect(plan.copy.sort()).toEqual([h('p0'), h('p1'), h('p2')].sort())
    expect(Object.keys(plan.lastUsed).sort()).toEqual([h('n'), h('p0'), h('p1'), h('p2')].sort())
    expect(plan.dropped.every((d) => d.why === 'compacted')).toBe(true)
  })

  it('compacts on a maintenance run with nothing new, leaving out paths no recent build used', () => {
    const a = layer('a', 0, { [h('x')]: NOW - DAY, [h('gone')]: NOW - 9 * DAY })
    const b = layer('b', 1, { [h('y')]: NOW - DAY })
    const plan = planSave(input(manifest(a, b), { policy: { maxBytes: 10_000, maxLayers: 8, retentionMs: 7 * DAY, compact: true } }))
    expect(plan.kind).toBe('compact')
    expect(plan.copy.sort()).toEqual([h('x'), h('y')].sort())
  })

  it('does not rewrite a cache that is already one compact layer', () => {
    const only = layer('only', 0, { [h('x')]: NOW - DAY })
    const plan = planSave(input(manifest(only), { policy: { maxBytes: 10_000, maxLayers: 8, retentionMs: 7 * DAY, compact: true } }))
    expect(plan.kind).toBe('nothing')
    expect(plan.why).toBe('already compact')
  })

  it('keeps layers a concurrent job added (not restored here) as they are when compacting', () => {
    const mine = layer('mine', 0, { [h('m')]: NOW - DAY })
    const theirs = layer('theirs', 1, { [h('t')]: NOW })
    const plan = planSave(
      input(manifest(mine, theirs), {
        held: new Set(['mine#0']),
        heldPaths: new Map([[h('m'), fact('m')]]),
        fresh: [fact('n')],
        policy: { maxBytes: 10_000, maxLayers: 1, retentionMs: 7 * DAY, compact: false }
      })
    )
    expect(plan.kind).toBe('compact')
    expect(plan.keep.map((l) => l.key)).toEqual(['theirs'])
    expect(plan.copy).toEqual([h('m')])
    expect(plan.slot).toBe(0)
  })

  it('compacts over max-size, leaving out the least recently used paths outside the closure first', () => {
    const l = layer('l', 0, { [h('old')]: NOW - 5 * DAY, [h('mid')]: NOW - 3 * DAY, [h('keep')]: NOW - 6 * DAY }, 300)
    const plan = planSave(
      input(manifest(l), {
        closure: new Set([h('keep'), h('n')]),
        fresh: [fact('n')],
        policy: { maxBytes: 300, maxLayers: 8, retentionMs: 7 * DAY, compact: false }
      })
    )
    expect(plan.kind).toBe('compact')
    expect(plan.why).toBe('over max-size')
    // `keep` is the oldest, but this job's closure needs it.
    expect(plan.evicted).toEqual([h('old')])
    expect(plan.totalBytes).toBe(300)
    expect(plan.overBudget).toBe(false)
  })

  it('says so when the closure alone is over max-size, and keeps it whole', () => {
    const l = layer('l', 0, { [h('a')]: NOW - DAY }, 100)
    const plan = planSave(
      input(manifest(l), { closure: new Set([h('a'), h('n')]), fresh: [fact('n', 500)], policy: { maxBytes: 200, maxLayers: 8, retentionMs: 7 * DAY, compact: false } })
    )
    expect(plan.evicted).toEqual([])
    expect(plan.overBudget).toBe(true)
    expect(Object.keys(plan.lastUsed).sort()).toEqual([h('a'), h('n')].sort())
  })
})

describe('eviction', () => {
  it('takes the paths referring to an evicted path with it, so no kept narinfo has a missing reference', () => {
    const sizes = new Map([
      [h('base'), 100],
      [h('user'), 10],
      [h('user2'), 10],
      [h('other'), 100]
    ])
    const lastUsed = new Map([
      [h('base'), 1],
      [h('user'), 50],
      [h('user2'), 60],
      [h('other'), 2]
    ])
    const refs: Record<string, string[]> = { [h('user')]: [h('base')], [h('user2')]: [h('user')] }
    const r = evict(sizes, lastUsed, (x) => refs[x] ?? [], new Set(), 0, 200)
    expect(r.evicted).toEqual([h('base'), h('user'), h('user2')])
    expect(r.total).toBe(100)
  })

  it('leaves nothing out when the set fits', () => {
    const r = evict(new Map([[h('a'), 10]]), new Map(), () => [], new Set(), 50, 60)
    expect(r).toEqual({ evicted: [], total: 60 })
  })
})
