import { host, log } from '../../runtime/host.js'
import type { SigningKey } from '../../format/signing.js'
import { infosToPush, type PushPlan } from '../../plan/planner.js'
import { emptyOutcome, type UploadOutcome } from '../../plan/result.js'
import { catchUpLayers } from './lazy.js'
import { hashPart } from '../../format/store-path.js'
import { formatBytes } from '../../runtime/units.js'
import { actionsCacheClient, cacheMode, CacheEntryError, CacheServiceRefused } from './client.js'
import { isMaintenanceRun } from './events.js'
import { pathFact, writeLayer, type WrittenLayer } from './layer.js'
import { ghaLayout, keyScheme } from './layout.js'
import { fetchManifest, storeManifest } from './manifest-entry.js'
import { emptyManifest, LAYER_FORMAT, layerId, mergeManifests, nextManifest, planSave, type LayerRecord, type SavePlan } from './manifest.js'
import type { RestoredState } from './state.js'

/** Compaction bound: restores download every live layer, so their number stays small. */
export const MAX_LAYERS = 8
/** GitHub evicts entries nobody restored for 7 days; a path no build used for as long is not live either. */
export const RETENTION_MS = 7 * 24 * 3600 * 1000


function describePlan(plan: SavePlan, written: WrittenLayer, total: number): string {
  const layer = `${written.paths.length} paths, ${formatBytes(written.narBytes)}`
  const dropped = plan.dropped.filter((d) => d.why !== 'compacted')
  const parts = [
    plan.kind === 'compact'
      ? `Compacted ${plan.dropped.length - dropped.length} layer(s) into one (${layer}) because of ${plan.why}`
      : `Saved one new layer (${layer})`
  ]
  if (plan.evicted.length > 0) parts.push(`left out ${plan.evicted.length} least recently used path(s) to stay within max-size`)
  if (dropped.length > 0) parts.push(`dropped ${dropped.length} layer(s) (${dropped.map((d) => d.why).join(', ')})`)
  parts.push(`the cache now lists ${plan.keep.length + 1} layer(s), ${formatBytes(total)} of NARs`)
  return `${parts.join('; ')}.`
}

/**
 * Nothing is saved over a manifest of an unknown format: the new one would be restored before it.
 * A warning unless the main step already gave one (an eager restore warns; the agent's log lines
 * reach the job's log only as the post step's information).
 */
function unknownNote(key: string, warned: boolean): string {
  const note = `Nothing saved: the newest cache manifest (${key}) is in a format this release does not know, and is left as it is. Upgrade the action to use it.`
  if (warned) log.info(note)
  else log.warning(note)
  return note
}

export interface LayerSaveOptions {
  keyPrefix: string
  /** Bound, in bytes, on the NARs the cache keeps live. */
  maxSize: number
  signer?: SigningKey
  parallelism: number
  storeDir: string
  realStoreDir: string
  /** The job's build closure: what a compaction keeps live. */
  closure: ReadonlySet<string>
}

/** What the save did: the upload outcome of the new paths, and one sentence for the summary. */
export interface LayerSaveOutcome {
  outcome: UploadOutcome
  note?: string
}

/**
 * The post step for `cache: github-actions`, once the job has planned (with what the restored
 * layers hold as already cached) and chosen to push: saves at most two entries, one layer with
 * what is new (or, when compacting, everything live) and one manifest listing the live layers.
 */
export async function saveToGithubActionsCache(plan: PushPlan, restored: RestoredState, opts: LayerSaveOptions): Promise<LayerSaveOutcome> {
  const layout = ghaLayout(host().tempDir)
  const result = (note?: string, outcome: UploadOutcome = emptyOutcome()): LayerSaveOutcome => ({ outcome, note })
  const mode = cacheMode()
  const fresh = infosToPush(plan)
  const compact = isMaintenanceRun()
  // A layer main could not use is dropped from the manifest even when nothing is new, so the
  // next job does not try it (and warn) again.
  if (fresh.length === 0 && !compact && restored.failed.length === 0) {
    log.info('Nothing new to save: no cache entries created.')
    return result()
  }

  if (restored.unknownManifest) return result(unknownNote(restored.unknownManifest, !restored.onDemand))
  const now = Date.now()
  const client = actionsCacheClient()
  const keys = keyScheme(opts.keyPrefix)
  let written: WrittenLayer | undefined
  let layerSaved = false
  try {
    // Re-read the newest manifest: a concurrent job (a matrix) may have saved one since main ran.
    // A damaged one was already reported by the main step, so it is only logged here.
    let manifest = restored.manifest ?? emptyManifest(opts.storeDir, now)
    if (mode.readable) {
      const latest = await fetchManifest(client, layout, keys, opts.storeDir, (m) => log.info(m))
      if (latest.unknown) return result(unknownNote(latest.unknown.key, false))
      manifest = mergeManifests(manifest, latest.manifest)
    }
    const layerCount = manifest.layers.filter((l) => !restored.failed.includes(layerId(l))).length
    if (compact || layerCount + 1 > MAX_LAYERS) await catchUpLayers(restored, { client, layout, storeDir: opts.storeDir })
    const savePlan = planSave({
      now,
      manifest,
      held: new Set(restored.held),
      failed: new Set(restored.failed),
      heldPaths: new Map(restored.paths.map((p) => [p.hash, p])),
      closure: new Set([...opts.closure].map(hashPart)),
      fresh: fresh.map((i) => pathFact({ storePath: i.path, narSize: i.narSize, references: i.references })),
      policy: { maxBytes: opts.maxSize, maxLayers: MAX_LAYERS, retentionMs: RETENTION_MS, compact }
    })
    if (savePlan.kind === 'nothing') {
      const unusable = savePlan.dropped.filter((d) => d.why === 'unavailable')
      if (unusable.length === 0) {
        log.info(`Cache unchanged (${savePlan.why}): no cache entries created.`)
        return result()
      }
      const manifestKey = keys.manifestKey(now)
      try {
        await storeManifest(client, layout, manifestKey, { ...manifest, updatedAt: now, layers: savePlan.keep })
      } catch (e) {
        if (!(e instanceof CacheServiceRefused || e instanceof CacheEntryError)) throw e
        log.warning(`The cache manifest could not be saved (${e.message}); the next job tries the unusable layer(s) again.`)
        return result(`The cache manifest could not be saved: ${e.message}`)
      }
      const note = `Dropped ${unusable.length} unusable layer(s) from the cache manifest; the cache now lists ${savePlan.keep.length} layer(s).`
      log.info(`${note} Manifest ${manifestKey}.`)
      return result(note)
    }
    if (savePlan.overBudget) {
      log.warning(
        `This job's build closure alone (${formatBytes(savePlan.totalBytes)} in the cache) is larger than max-size (${formatBytes(opts.maxSize)}); ` +
          'it is kept whole. Raise max-size, or exclude large paths.'
      )
    }
    const startedAt = Date.now()
    const dir = layout.slotDir(savePlan.slot)
    written = await writeLayer({
      dir,
      storeDir: opts.storeDir,
      realStoreDir: opts.realStoreDir,
      fresh,
      copy: savePlan.copy,
      from: layout.binaryCache,
      signer: opts.signer,
      parallelism: opts.parallelism,
      prepared: layout.prepared
    })
    if (written.paths.length === 0) return result(undefined, written.outcome)
    const layerKey = keys.layerKey(written.contentHash)
    const saved = await client.save(dir, layerKey)
    layerSaved = true
    const layer: LayerRecord = {
      format: LAYER_FORMAT,
      key: layerKey,
      slot: savePlan.slot,
      createdAt: now,
      pathCount: written.paths.length,
      narBytes: written.narBytes,
      paths: Object.fromEntries(written.paths.map((p) => [p.hash, savePlan.lastUsed[p.hash] ?? now]))
    }
    if (saved.archiveBytes !== undefined) layer.archiveBytes = saved.archiveBytes
    const next = nextManifest(manifest, savePlan, layer, now)
    const manifestKey = keys.manifestKey(now)
    await storeManifest(client, layout, manifestKey, next)
    const total = next.layers.reduce((a, l) => a + l.narBytes, 0)
    const note = describePlan(savePlan, written, total)
    log.info(
      `${note} Layer ${layerKey}${saved.created ? '' : ' (already in the cache)'}: ${formatBytes(saved.archiveBytes ?? 0)} uploaded ` +
        `(${saved.archiveBytes ?? 0} B); manifest ${manifestKey}; in ${((Date.now() - startedAt) / 1000).toFixed(2)} s.`
    )
    return result(note, written.outcome)
  } catch (e) {
    if (e instanceof CacheServiceRefused || e instanceof CacheEntryError) {
      const what =
        e instanceof CacheServiceRefused
          ? 'The GitHub Actions cache refused the save'
          : `The cache ${layerSaved ? 'manifest' : 'layer'} could not be saved`
      const consequence = layerSaved
        ? 'the new layer was saved, but no manifest lists it, so the next job builds these paths again'
        : 'nothing was saved, and the next job builds these paths again'
      log.warning(`${what} (${e.message}); ${consequence}.`)
      const o: UploadOutcome = { ...emptyOutcome(), failed: written?.outcome.failed ?? [], vanished: written?.outcome.vanished ?? [], unsubstitutable: written?.outcome.unsubstitutable ?? [] }
      return result(`${what}: ${e.message}`, o)
    }
    throw e
  }
}
