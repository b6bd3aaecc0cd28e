import { host, log } from '../../runtime/host.js'
import type { JobFacts } from '../../job/collect.js'
import type { Inputs } from '../../config/inputs.js'
import type { PathInfo } from '../../format/path-info.js'
import type { StoreLocation } from '../../nix/store-location.js'
import { planPush, type PushResult } from '../../job/push.js'
import { cachedHashes, catchUpLayers } from './lazy.js'
import { hashPart } from '../../format/store-path.js'
import { formatBytes } from '../../runtime/units.js'
import type { UploadOutcome } from '../binary-cache/upload.js'
import { actionsCacheClient, cacheMode, CacheEntryError, CacheServiceRefused, unavailableReason } from './client.js'
import { isMaintenanceRun } from './events.js'
import { pathFact, writeLayer, type WrittenLayer } from './layer.js'
import { ghaLayout, keyScheme } from './layout.js'
import { fetchManifest, storeManifest } from './manifest-entry.js'
import { emptyManifest, layerId, mergeManifests, nextManifest, planSave, type LayerRecord, type SavePlan } from './manifest.js'
import { loadRestoredState } from './state.js'

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
 * The post step for `cache: github-actions`: selects as for any cache, counts what the restored
 * layers hold as already cached, and saves at most two entries: one layer with what is new (or,
 * when compacting, everything live) and one manifest listing the live layers.
 */
export async function saveToGithubActionsCache(inputs: Inputs, store: StoreLocation, facts: JobFacts): Promise<PushResult> {
  const layout = ghaLayout(host().tempDir)
  const restored = (await loadRestoredState()) ?? { held: [], failed: [], paths: [] }
  if (restored.onDemand && restored.failed.length > 0) {
    log.warning(
      `${restored.failed.length} cache layer(s) could not be used when Nix asked for them (first: ${restored.failed[0]}; details in the agent's log); ` +
        'their paths were substituted elsewhere or built, and the next manifest leaves them out.'
    )
  }
  // What the restored layers hold, and what the layers an on-demand job never needed list, is already cached.
  const cached = cachedHashes(restored)
  const held = { existing: async (hashes: readonly string[]) => new Set(hashes.filter((h) => cached.has(h))) }
  const selection = await planPush(inputs, facts, store.storeDir, held)
  const outcome: UploadOutcome = { pushed: [], failed: [], vanished: [] }
  const result = (mode: PushResult['mode'], note?: string, o: UploadOutcome = outcome): PushResult => ({ selection, outcome: o, mode, note })

  if (restored.refused !== undefined) {
    // The main step has already said why, once; the agent's log is not read by users.
    if (restored.onDemand) log.warning(`The GitHub Actions cache refused this job (${restored.refused}): nothing was saved.`)
    return result('pull-only', `The GitHub Actions cache was not usable in this job (${restored.refused}); nothing was saved.`)
  }
  if (inputs.dryRun) return result('dry-run')
  const mode = cacheMode()
  if (!mode.writable) {
    const note = `ACTIONS_CACHE_MODE=${mode.mode} does not permit writes; nothing was saved.`
    log.info(note)
    return result('pull-only', note)
  }
  const reason = unavailableReason()
  if (reason) {
    log.warning(`The GitHub Actions cache is not available: ${reason}. Nothing was saved.`)
    return result('pull-only', `The GitHub Actions cache is not available (${reason}); nothing was saved.`)
  }

  const fresh = selection.push.map((p) => facts.infos.get(p)).filter((i): i is PathInfo => i !== undefined)
  const compact = isMaintenanceRun()
  // A layer main could not use is dropped from the manifest even when nothing is new, so the
  // next job does not try it (and warn) again.
  if (fresh.length === 0 && !compact && restored.failed.length === 0) {
    log.info('Nothing new to save: no cache entries created.')
    return result('push')
  }

  const now = Date.now()
  const client = actionsCacheClient()
  const keys = keyScheme(inputs.keyPrefix)
  let written: WrittenLayer | undefined
  let layerSaved = false
  try {
    // Re-read the newest manifest: a concurrent job (a matrix) may have saved one since main ran.
    // A damaged one was already reported by the main step, so it is only logged here.
    let manifest = restored.manifest ?? emptyManifest(store.storeDir, now)
    if (mode.readable) {
      const latest = await fetchManifest(client, layout, keys, store.storeDir, (m) => log.info(m))
      manifest = mergeManifests(manifest, latest.manifest)
    }
    const layerCount = manifest.layers.filter((l) => !restored.failed.includes(layerId(l))).length
    if (compact || layerCount + 1 > MAX_LAYERS) await catchUpLayers(restored, { client, layout, storeDir: store.storeDir })
    const plan = planSave({
      now,
      manifest,
      held: new Set(restored.held),
      failed: new Set(restored.failed),
      heldPaths: new Map(restored.paths.map((p) => [p.hash, p])),
      closure: new Set([...facts.closure].map(hashPart)),
      fresh: fresh.map((i) => pathFact({ storePath: i.path, narSize: i.narSize, references: i.references })),
      policy: { maxBytes: inputs.maxSize, maxLayers: MAX_LAYERS, retentionMs: RETENTION_MS, compact }
    })
    if (plan.kind === 'nothing') {
      const unusable = plan.dropped.filter((d) => d.why === 'unavailable')
      if (unusable.length === 0) {
        log.info(`Cache unchanged (${plan.why}): no cache entries created.`)
        return result('push')
      }
      const manifestKey = keys.manifestKey(now)
      try {
        await storeManifest(client, layout, manifestKey, { ...manifest, updatedAt: now, layers: plan.keep })
      } catch (e) {
        if (!(e instanceof CacheServiceRefused || e instanceof CacheEntryError)) throw e
        log.warning(`The cache manifest could not be saved (${e.message}); the next job tries the unusable layer(s) again.`)
        return result('push', `The cache manifest could not be saved: ${e.message}`)
      }
      const note = `Dropped ${unusable.length} unusable layer(s) from the cache manifest; the cache now lists ${plan.keep.length} layer(s).`
      log.info(`${note} Manifest ${manifestKey}.`)
      return result('push', note)
    }
    if (plan.overBudget) {
      log.warning(
        `This job's build closure alone (${formatBytes(plan.totalBytes)} in the cache) is larger than max-size (${formatBytes(inputs.maxSize)}); ` +
          'it is kept whole. Raise max-size, or exclude large paths.'
      )
    }
    const startedAt = Date.now()
    const dir = layout.slotDir(plan.slot)
    written = await writeLayer({
      dir,
      storeDir: store.storeDir,
      realStoreDir: store.realStoreDir,
      fresh,
      copy: plan.copy,
      from: layout.binaryCache,
      signer: inputs.secretKey,
      parallelism: inputs.parallelism,
      prepared: layout.prepared
    })
    if (written.paths.length === 0) return result('push', undefined, written.outcome)
    const layerKey = keys.layerKey(written.contentHash)
    const saved = await client.save(dir, layerKey)
    layerSaved = true
    const layer: LayerRecord = {
      key: layerKey,
      slot: plan.slot,
      createdAt: now,
      pathCount: written.paths.length,
      narBytes: written.narBytes,
      paths: Object.fromEntries(written.paths.map((p) => [p.hash, plan.lastUsed[p.hash] ?? now]))
    }
    if (saved.archiveBytes !== undefined) layer.archiveBytes = saved.archiveBytes
    const next = nextManifest(manifest, plan, layer, now)
    const manifestKey = keys.manifestKey(now)
    await storeManifest(client, layout, manifestKey, next)
    const total = next.layers.reduce((a, l) => a + l.narBytes, 0)
    const note = describePlan(plan, written, total)
    log.info(
      `${note} Layer ${layerKey}${saved.created ? '' : ' (already in the cache)'}: ${formatBytes(saved.archiveBytes ?? 0)} uploaded ` +
        `(${saved.archiveBytes ?? 0} B); manifest ${manifestKey}; in ${((Date.now() - startedAt) / 1000).toFixed(2)} s.`
    )
    return result('push', note, written.outcome)
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
      const o: UploadOutcome = { pushed: [], failed: written?.outcome.failed ?? [], vanished: written?.outcome.vanished ?? [] }
      return result('push', `${what}: ${e.message}`, o)
    }
    throw e
  }
}
