/**
 * The manifest of the GitHub Actions cache backend and the policy that decides what a job saves,
 * as pure functions over plain data.
 *
 * The cache is a set of immutable *layers* (binary-cache directories, one entry each) and a small
 * *manifest* entry listing the live ones. Entries cannot be changed, so every change is a new
 * manifest under a new key; restoring by key prefix gets the newest. For each layer the manifest
 * records, per store path (by hash part), when a job's build closure last included it: that is
 * what "live" means, and what decides which paths go first when the cache is over its budget.
 */

/**
 * Format versions (docs/github-actions-cache.md, "Format versions"). A manifest names its format,
 * and its key prefix does too (layout.ts), so that a release never finds, and so never replaces,
 * a manifest in a format it does not know. Each layer record names its layer's format, and the
 * layer holds it as well (layer.ts).
 *
 * Manifest format 1 (before 1.0.0): keys without a format tag, layer records without a format.
 * Manifest format 2: the key prefix names the format; each layer record names its layer format.
 * Layer format 1: a binary-cache directory of uncompressed NARs; since 1.0.0 with a LAYER_FORMAT_FILE.
 */
export const MANIFEST_FORMAT = 2
/** Older manifest formats this release still reads (and rewrites in MANIFEST_FORMAT when it saves). */
export const READABLE_MANIFEST_FORMATS: readonly number[] = [1, MANIFEST_FORMAT]
export const LAYER_FORMAT = 1

export interface LayerRecord {
  /** The layer's own format (LAYER_FORMAT); format 1 manifests have none, and mean 1. */
  format: number
  key: string
  /** Which `layer-<slot>` directory the layer is saved from and restored to (see layout.ts). */
  slot: number
  /** Milliseconds since the epoch. */
  createdAt: number
  pathCount: number
  /** Sum of the NAR sizes: the layer's size on disk, uncompressed. */
  narBytes: number
  /** The compressed archive as stored by the cache service, when known. */
  archiveBytes?: number
  /** Store path hash part → when a build closure last included the path (ms since the epoch). */
  paths: Record<string, number>
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT
  storeDir: string
  updatedAt: number
  layers: LayerRecord[]
  /**
   * Layers in a format this release does not know, exactly as the manifest listed them: never
   * restored, planned over, dropped or compacted, and written back unchanged by every save.
   */
  foreign: ForeignLayer[]
}

/** A layer record in a layer format this release does not know, kept as it was read. */
export interface ForeignLayer {
  key: string
  format: number
  raw: Record<string, unknown>
}

/** What the policy needs to know about one store path. */
export interface PathFact {
  /** The 32-character hash part. */
  hash: string
  narSize: number
  /** Hash parts of the paths it references (itself excluded). */
  references: readonly string[]
}

export class ManifestError extends Error {}

/** A manifest in a format this release does not know: a newer release wrote it. It is left alone. */
export class UnknownManifestFormat extends ManifestError {
  constructor(readonly format: number) {
    super(`format ${format}, which this release does not know`)
  }
}

export const layerId = (l: Pick<LayerRecord, 'key' | 'slot'>): string => `${l.key}#${l.slot}`

export function emptyManifest(storeDir: string, now: number): Manifest {
  return { format: MANIFEST_FORMAT, storeDir, updatedAt: now, layers: [], foreign: [] }
}

const HASH = /^[0-9a-df-np-sv-z]{32}$/
const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0

/** A known layer, or a newer one to keep as it is (only its key and format need to make sense). */
function parseLayer(raw: unknown, i: number, manifestFormat: number): LayerRecord | ForeignLayer {
  const bad = (what: string): never => {
    throw new ManifestError(`layer ${i}: ${what}`)
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad('not an object')
  const l = raw as Record<string, unknown>
  const format = manifestFormat === 1 ? 1 : l.format
  if (!isCount(format) || format === 0) return bad('bad format')
  if (format > LAYER_FORMAT) {
    if (typeof l.key !== 'string' || l.key === '') return bad('bad key')
    return { key: l.key, format, raw: l }
  }
  if (typeof l.key !== 'string' || l.key === '' || l.key.includes(',')) bad('bad key')
  if (!isCount(l.slot)) bad('bad slot')
  if (!isCount(l.createdAt)) bad('bad createdAt')
  if (!isCount(l.narBytes)) bad('bad narBytes')
  if (l.archiveBytes !== undefined && !isCount(l.archiveBytes)) bad('bad archiveBytes')
  if (typeof l.paths !== 'object' || l.paths === null || Array.isArray(l.paths)) return bad('bad paths')
  const paths: Record<string, number> = {}
  for (const [hash, at] of Object.entries(l.paths as Record<string, unknown>)) {
    if (!HASH.test(hash) || !isCount(at)) bad(`bad path entry ${hash}`)
    paths[hash] = at as number
  }
  const record: LayerRecord = {
    format,
    key: l.key as string,
    slot: l.slot as number,
    createdAt: l.createdAt as number,
    pathCount: Object.keys(paths).length,
    narBytes: l.narBytes as number,
    paths
  }
  if (l.archiveBytes !== undefined) record.archiveBytes = l.archiveBytes as number
  return record
}

export const isForeign = (l: LayerRecord | ForeignLayer): l is ForeignLayer => 'raw' in l

/**
 * Parses and checks a manifest of any format this release reads; anything unexpected is a
 * ManifestError (the entry is then ignored), a newer format an UnknownManifestFormat.
 */
export function parseManifest(text: string): Manifest {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (e) {
    throw new ManifestError(`not JSON: ${(e as Error).message}`)
  }
  if (typeof raw !== 'object' || raw === null) throw new ManifestError('not an object')
  const m = raw as Record<string, unknown>
  if (!isCount(m.format) || m.format === 0) throw new ManifestError(`bad format ${String(m.format)}`)
  if (!READABLE_MANIFEST_FORMATS.includes(m.format)) {
    if (m.format > MANIFEST_FORMAT) throw new UnknownManifestFormat(m.format)
    throw new ManifestError(`format ${m.format} is no longer read`)
  }
  if (typeof m.storeDir !== 'string' || !m.storeDir.startsWith('/')) throw new ManifestError('bad storeDir')
  if (!isCount(m.updatedAt)) throw new ManifestError('bad updatedAt')
  if (!Array.isArray(m.layers)) throw new ManifestError('bad layers')
  const format = m.format
  const all = m.layers.map((l, i) => parseLayer(l, i, format))
  return {
    format: MANIFEST_FORMAT,
    storeDir: m.storeDir,
    updatedAt: m.updatedAt,
    layers: all.filter((l): l is LayerRecord => !isForeign(l)),
    foreign: all.filter(isForeign)
  }
}

/** Always in MANIFEST_FORMAT; foreign layers go back exactly as they were read. */
export function renderManifest(m: Manifest): string {
  const { foreign, ...rest } = m
  return `${JSON.stringify({ ...rest, format: MANIFEST_FORMAT, layers: [...m.layers, ...foreign.map((f) => f.raw)] }, null, 1)}\n`
}

/**
 * Both manifests' layers. Concurrent jobs (a matrix) each save a manifest from the same starting
 * point; re-reading the newest one just before saving and taking the union keeps the layers the
 * others added instead of silently dropping them.
 */
export function mergeManifests(ours: Manifest, theirs: Manifest | undefined): Manifest {
  if (!theirs || theirs.storeDir !== ours.storeDir) return ours
  const byId = new Map<string, LayerRecord>()
  for (const layer of [...ours.layers, ...theirs.layers]) {
    const seen = byId.get(layerId(layer))
    if (!seen) {
      byId.set(layerId(layer), { ...layer, paths: { ...layer.paths } })
      continue
    }
    for (const [hash, at] of Object.entries(layer.paths)) seen.paths[hash] = Math.max(seen.paths[hash] ?? 0, at)
  }
  const foreign = new Map([...ours.foreign, ...theirs.foreign].map((f) => [f.key, f]))
  return { ...ours, updatedAt: Math.max(ours.updatedAt, theirs.updatedAt), layers: [...byId.values()], foreign: [...foreign.values()] }
}

export interface SavePolicy {
  /** max-size: the live set's total NAR bytes. */
  maxBytes: number
  /** More live layers than this and the next save compacts. */
  maxLayers: number
  /** A path no build closure included for this long is no longer live. */
  retentionMs: number
  /** A scheduled or manual run on the default branch: compact even with nothing new. */
  compact: boolean
}

export interface PlanInput {
  now: number
  /** The newest manifest (what main restored, merged with a re-read just before saving). */
  manifest: Manifest
  /** Layers this job restored (layerId). Only their contents can be copied into a compacted layer. */
  held: ReadonlySet<string>
  /** Layers this job could not restore (missing or corrupt): gone, as far as it can tell. */
  failed: ReadonlySet<string>
  /** The paths the restored layers hold, verified. */
  heldPaths: ReadonlyMap<string, PathFact>
  /** Hash parts of this job's build closure. */
  closure: ReadonlySet<string>
  /** Selected paths the cache does not have yet. */
  fresh: readonly PathFact[]
  policy: SavePolicy
}

export type DropReason = 'unused' | 'unavailable' | 'compacted'

export interface SavePlan {
  kind: 'nothing' | 'append' | 'compact'
  why: string
  /** Layers the new manifest lists besides the new one (with updated last-use times). */
  keep: LayerRecord[]
  dropped: Array<{ layer: LayerRecord; why: DropReason }>
  /** Held paths to copy into the new layer (compaction only). */
  copy: string[]
  /** Paths left out to stay within max-size, oldest first. */
  evicted: string[]
  /** Last-use time of every path the new layer will hold. */
  lastUsed: Record<string, number>
  /** The new layer's slot: one no kept layer uses. */
  slot: number
  /** The live set's NAR bytes after the save. */
  totalBytes: number
  /** The current build closure alone is larger than max-size. */
  overBudget: boolean
}

function lastUse(l: LayerRecord): number {
  let at = l.createdAt
  for (const t of Object.values(l.paths)) if (t > at) at = t
  return at
}
const sum = (xs: Iterable<number>): number => {
  let s = 0
  for (const x of xs) s += x
  return s
}

function freeSlot(layers: ReadonlyArray<{ slot: number }>): number {
  const used = new Set(layers.map((l) => l.slot))
  let slot = 0
  while (used.has(slot)) slot++
  return slot
}

/** The layer with this job's closure marked as used now. */
function touched(layer: LayerRecord, closure: ReadonlySet<string>, now: number): LayerRecord {
  const paths: Record<string, number> = {}
  for (const [hash, at] of Object.entries(layer.paths)) paths[hash] = closure.has(hash) ? now : at
  return { ...layer, paths }
}

/**
 * Paths to leave out so the set fits in maxBytes: outside the closure only, least recently used
 * first; leaving out a path also leaves out whatever in the set refers to it, since Nix cannot
 * substitute a path whose references it cannot get.
 */
export function evict(
  sizes: ReadonlyMap<string, number>,
  lastUsed: ReadonlyMap<string, number>,
  references: (hash: string) => readonly string[],
  closure: ReadonlySet<string>,
  otherBytes: number,
  maxBytes: number
): { evicted: string[]; total: number } {
  let total = otherBytes + sum(sizes.values())
  const evicted: string[] = []
  if (total <= maxBytes) return { evicted, total }
  const referrers = new Map<string, string[]>()
  for (const hash of sizes.keys()) {
    for (const ref of references(hash)) {
      if (ref === hash || !sizes.has(ref)) continue
      const list = referrers.get(ref) ?? []
      list.push(hash)
      referrers.set(ref, list)
    }
  }
  const gone = new Set<string>()
  const order = [...sizes.keys()]
    .filter((h) => !closure.has(h))
    .sort((a, b) => (lastUsed.get(a) ?? 0) - (lastUsed.get(b) ?? 0) || (a < b ? -1 : a > b ? 1 : 0))
  for (const start of order) {
    if (total <= maxBytes) break
    const stack = [start]
    while (stack.length > 0) {
      const h = stack.pop() as string
      if (gone.has(h)) continue
      gone.add(h)
      evicted.push(h)
      total -= sizes.get(h) ?? 0
      for (const r of referrers.get(h) ?? []) if (!closure.has(r)) stack.push(r)
    }
  }
  return { evicted, total }
}

export function planSave(input: PlanInput): SavePlan {
  const { now, policy, closure } = input
  const dropped: SavePlan['dropped'] = []
  const live: LayerRecord[] = []
  for (const layer of input.manifest.layers) {
    const t = touched(layer, closure, now)
    if (input.failed.has(layerId(layer))) dropped.push({ layer: t, why: 'unavailable' })
    else if (lastUse(t) < now - policy.retentionMs) dropped.push({ layer: t, why: 'unused' })
    else live.push(t)
  }
  // A layer that failed to restore may still exist (damaged). The same content saved again would
  // get the same key; a different slot gives it a different version, so it is a new entry rather
  // than a reference to the damaged one.
  const unusable = dropped.filter((d) => d.why === 'unavailable').map((d) => d.layer)
  // A newer release restores its layers and ours side by side: where its records have slots, ours
  // take others.
  const foreignSlots = input.manifest.foreign.flatMap((f) => (isCount(f.raw.slot) ? [{ slot: f.raw.slot }] : []))
  const freshBytes = sum(input.fresh.map((p) => p.narSize))
  const freshTimes = Object.fromEntries(input.fresh.map((p) => [p.hash, now]))
  const appendTotal = sum(live.map((l) => l.narBytes)) + freshBytes

  let why: string | undefined
  if (policy.compact) why = 'a scheduled or manual run on the default branch'
  else if (input.fresh.length > 0 && live.length + 1 > policy.maxLayers) why = `more than ${policy.maxLayers} layers`
  else if (input.fresh.length > 0 && appendTotal > policy.maxBytes) why = 'over max-size'

  const base = { dropped, copy: [] as string[], evicted: [] as string[], overBudget: false }
  if (!why) {
    if (input.fresh.length === 0) {
      return { ...base, kind: 'nothing', why: 'nothing new', keep: live, lastUsed: {}, slot: -1, totalBytes: appendTotal }
    }
    return { ...base, kind: 'append', why: 'new paths', keep: live, lastUsed: freshTimes, slot: freeSlot([...live, ...unusable, ...foreignSlots]), totalBytes: appendTotal }
  }

  // Compaction: one layer of everything live that this job holds, plus what is new. Layers it
  // does not hold (added by a concurrent job after it restored) are kept as they are.
  const heldLive = live.filter((l) => input.held.has(layerId(l)))
  const others = live.filter((l) => !input.held.has(layerId(l)))
  const lastUsed = new Map<string, number>()
  for (const layer of heldLive) {
    for (const [hash, at] of Object.entries(layer.paths)) {
      if (!input.heldPaths.has(hash) || at < now - policy.retentionMs) continue
      lastUsed.set(hash, Math.max(lastUsed.get(hash) ?? 0, at))
    }
  }
  for (const p of input.fresh) lastUsed.set(p.hash, now)
  const facts = new Map<string, PathFact>([...input.heldPaths, ...input.fresh.map((p): [string, PathFact] => [p.hash, p])])
  const sizes = new Map([...lastUsed.keys()].map((h) => [h, facts.get(h)?.narSize ?? 0]))
  const { evicted, total } = evict(
    sizes,
    lastUsed,
    (h) => facts.get(h)?.references ?? [],
    closure,
    sum(others.map((l) => l.narBytes)),
    policy.maxBytes
  )
  const gone = new Set(evicted)
  const kept = [...lastUsed.keys()].filter((h) => !gone.has(h))

  // Already compact: one held layer, nothing to drop, evict or add. Saving it again would only
  // spend two entries on an identical copy.
  const single = heldLive.length === 1 ? heldLive[0] : undefined
  if (
    input.fresh.length === 0 &&
    (heldLive.length === 0 || (single && dropped.length === 0 && kept.length === single.pathCount))
  ) {
    return { ...base, kind: 'nothing', why: 'already compact', keep: live, lastUsed: {}, slot: -1, totalBytes: appendTotal }
  }
  const freshSet = new Set(input.fresh.map((p) => p.hash))
  return {
    kind: 'compact',
    why,
    keep: others,
    dropped: [...dropped, ...heldLive.map((layer) => ({ layer, why: 'compacted' as const }))],
    copy: kept.filter((h) => !freshSet.has(h)),
    evicted,
    lastUsed: Object.fromEntries(kept.map((h) => [h, lastUsed.get(h) ?? now])),
    slot: freeSlot([...others, ...unusable, ...foreignSlots]),
    totalBytes: total,
    overBudget: total > policy.maxBytes
  }
}

/** The manifest to save after the new layer was saved (or undefined when nothing is saved). */
export function nextManifest(prev: Manifest, plan: SavePlan, layer: LayerRecord, now: number): Manifest {
  return { ...prev, updatedAt: now, layers: [...plan.keep, layer] }
}
