import { host, log } from '../../runtime/host.js'
import { mkdir, rm } from 'node:fs/promises'
import type { StoreLocation } from '../../nix/store-location.js'
import { describeFsError } from '../../runtime/fs-errors.js'
import { formatBytes } from '../../runtime/units.js'
import { limiter } from '../../runtime/limiter.js'
import { actionsCacheClient, cacheMode, CacheEntryError, CacheServiceRefused, CacheTransferStalled, unavailableReason, type CacheClient } from './client.js'
import { absorbLayer, prepareBinaryCache } from './layer.js'
import { ghaLayout, keyScheme, type GhaLayout } from './layout.js'
import { fetchManifest } from './manifest-entry.js'
import { layerId, type LayerRecord, type PathFact } from './manifest.js'
import { saveRestoredState, type RestoredState } from './state.js'
import { jobDir } from '../../runtime/job-dir.js'
import { localPull, servingKeys, type LocalPull } from './serving-key.js'
import { writeSignedView } from './signed-view.js'

/** Parallel layer downloads: enough to hide latency, few enough to leave the runner's 2-4 cores to tar and zstd. */
const PARALLEL_LAYERS = 4

export interface LayerResult {
  layer: LayerRecord
  paths: PathFact[]
  archiveBytes: number
  narBytes: number
}

/**
 * Restores one layer. A missing or damaged layer costs only that layer (one warning); a refusal
 * of the service as a whole (CacheServiceRefused) is thrown for the caller to report once.
 */
/** Records a layer's restore (undefined: gone or damaged) in the state the post step reads. */
export function recordLayer(state: RestoredState, layer: LayerRecord, r: LayerResult | undefined): LayerResult | undefined {
  if (r) {
    state.held.push(layerId(layer))
    state.paths.push(...r.paths)
  } else {
    state.failed.push(layerId(layer))
  }
  return r
}

export async function restoreLayer(client: CacheClient, layout: GhaLayout, layer: LayerRecord, storeDir: string): Promise<LayerResult | undefined> {
  const dir = layout.slotDir(layer.slot)
  await rm(dir, { recursive: true, force: true })
  let hit
  try {
    hit = await client.restore(dir, layer.key)
  } catch (e) {
    // A stalled download says nothing about the layer: its caller decides (lazy.ts tries again).
    if (!(e instanceof CacheEntryError) || e instanceof CacheTransferStalled) throw e
    log.warning(`Cache layer ${layer.key} could not be restored (${e.message}); its ${layer.pathCount} paths are substituted or built as if it did not exist.`)
    return undefined
  }
  if (!hit) {
    log.warning(`Cache layer ${layer.key} is gone (evicted?); its ${layer.pathCount} paths are substituted or built as if it did not exist.`)
    return undefined
  }
  let absorbed
  try {
    absorbed = await absorbLayer(dir, layout.binaryCache, storeDir)
  } catch (e) {
    // Whatever is wrong with one layer (a full disk, an odd archive) costs that layer only.
    await rm(dir, { recursive: true, force: true }).catch(() => undefined)
    log.warning(
      `Cache layer ${layer.key} could not be used (${describeFsError(e)}); its ${layer.pathCount} paths are substituted or built as if it did not exist.`
    )
    return undefined
  }
  if (absorbed.corrupt.length > 0) {
    log.warning(
      `Cache layer ${layer.key}: ${absorbed.corrupt.length} damaged path(s) ignored (first: ${absorbed.corrupt[0]}); they are substituted or built instead.`
    )
  }
  if (absorbed.paths.length === 0) return undefined
  return { layer, paths: absorbed.paths, archiveBytes: hit.archiveBytes ?? 0, narBytes: absorbed.narBytes }
}

/** Layers sharing a slot (two concurrent jobs chose the same one) must not be extracted at once. */
async function restoreLayers(client: CacheClient, layout: GhaLayout, layers: readonly LayerRecord[], storeDir: string): Promise<Array<LayerResult | undefined>> {
  const bySlot = new Map<number, LayerRecord[]>()
  for (const l of layers) bySlot.set(l.slot, [...(bySlot.get(l.slot) ?? []), l])
  const limit = limiter(PARALLEL_LAYERS)
  const results = new Map<LayerRecord, LayerResult | undefined>()
  const settled = await Promise.allSettled(
    [...bySlot.values()].map((group) =>
      limit(async () => {
        for (const layer of group) results.set(layer, await restoreLayer(client, layout, layer, storeDir))
      })
    )
  )
  // A refusal stops everything, but only after the others have finished writing into the cache.
  const refusal = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')
  if (refusal) throw refusal.reason
  return layers.map((l) => results.get(l))
}

/**
 * The main step for `cache: github-actions`: restores the newest manifest, then its layers in
 * parallel, into one local binary cache. Returns where Nix substitutes from for the rest of the
 * job (every NAR in it was checked, and its narinfos are signed with the job's serving keys), or
 * undefined when nothing was restored.
 */
export async function restoreGithubActionsCache(opts: { keyPrefix: string }, store: StoreLocation): Promise<LocalPull | undefined> {
  const startedAt = Date.now()
  const layout = ghaLayout(host().tempDir)
  await rm(layout.root, { recursive: true, force: true })
  await mkdir(layout.root, { recursive: true })
  const state: RestoredState = { held: [], failed: [], paths: [] }
  try {
    const reason = unavailableReason()
    if (reason) {
      state.refused = reason
      log.warning(`The GitHub Actions cache is not available: ${reason}. This job neither restores nor saves anything.`)
      return undefined
    }
    const mode = cacheMode()
    if (!mode.readable) {
      log.info(`ACTIONS_CACHE_MODE=${mode.mode} does not permit reads: nothing is restored.`)
      return undefined
    }
    const client = actionsCacheClient()
    const keys = keyScheme(opts.keyPrefix)
    await prepareBinaryCache(layout.binaryCache, store.storeDir)
    const { manifest, key, unknown } = await fetchManifest(client, layout, keys, store.storeDir)
    if (unknown) state.unknownManifest = unknown.key
    if (!manifest) {
      if (!key) log.info(`No cache manifest under ${keys.manifestPrefix}* yet: starting with an empty cache.`)
      return undefined
    }
    state.manifest = manifest
    state.manifestKey = key
    const results = await restoreLayers(client, layout, manifest.layers, store.storeDir)
    let archiveBytes = 0
    let narBytes = 0
    manifest.layers.forEach((layer, i) => {
      const r = recordLayer(state, layer, results[i])
      archiveBytes += r?.archiveBytes ?? 0
      narBytes += r?.narBytes ?? 0
    })
    const seconds = ((Date.now() - startedAt) / 1000).toFixed(2)
    log.info(
      `Restored ${state.held.length} of ${manifest.layers.length} cache layer(s) from ${key}: ${state.paths.length} paths, ` +
        `${formatBytes(archiveBytes)} downloaded (${archiveBytes} B), ${formatBytes(narBytes)} of NARs, in ${seconds} s.`
    )
    if (state.paths.length === 0) return undefined
    const serving = await servingKeys(jobDir().substituterKey)
    await writeSignedView(layout.binaryCache, layout.served, serving.all, store.storeDir)
    // A directory of this job: no URL for nix.conf.
    return localPull(`file://${layout.served}`, serving, false)
  } catch (e) {
    if (!(e instanceof CacheServiceRefused)) throw e
    state.refused = e.message
    log.warning(`The GitHub Actions cache refused this job (${e.message}): nothing more is restored, and nothing is saved.`)
    return undefined
  } finally {
    await saveRestoredState(layout.restoredFile, state)
  }
}
