import { rename, writeFile } from 'node:fs/promises'
import { log } from '../../runtime/host.js'
import { CacheServiceRefused, CacheTransferStalled, type CacheClient } from './client.js'
import { prepareBinaryCache } from './layer.js'
import type { GhaLayout, KeyScheme } from './layout.js'
import { fetchManifest } from './manifest-entry.js'
import { layerId, type LayerRecord, type Manifest } from './manifest.js'
import { recordLayer, restoreLayer } from './restore.js'
import type { RestoredState } from './state.js'

/**
 * The GitHub Actions cache, restored on demand: the manifest says which layer holds which path,
 * and a layer is downloaded the first time Nix asks for one of its paths, once, however many
 * requests ask at the same time. The local substituter (lazy-server.ts) asks through `lookup`.
 */
export interface LazyLayersOptions {
  client: CacheClient
  layout: GhaLayout
  keys: KeyScheme
  storeDir: string
}

export class LazyLayers {
  private readonly downloads = new Map<string, Promise<boolean>>()
  /** Layers restored into the same slot directory must not be extracted at once. */
  private readonly slots = new Map<number, Promise<unknown>>()
  private byHash = new Map<string, LayerRecord[]>()
  private refused = false
  private saving: Promise<void> = Promise.resolve()
  readonly state: RestoredState = { held: [], failed: [], paths: [], onDemand: true }
  /** Settles once the manifest is known (or known to be absent). */
  readonly ready: Promise<void>

  constructor(private readonly opts: LazyLayersOptions) {
    this.ready = this.load()
  }

  private async load(): Promise<void> {
    const { client, layout, keys, storeDir } = this.opts
    await prepareBinaryCache(layout.binaryCache, storeDir)
    try {
      const { manifest, key, unknown } = await fetchManifest(client, layout, keys, storeDir)
      if (unknown) this.state.unknownManifest = unknown.key
      if (!manifest) {
        if (!key) log.info(`No cache manifest under ${keys.manifestPrefix}* yet: starting with an empty cache.`)
      } else {
        this.index(manifest)
        this.state.manifest = manifest
        this.state.manifestKey = key
        const paths = manifest.layers.reduce((a, l) => a + l.pathCount, 0)
        log.info(`Cache manifest ${key}: ${manifest.layers.length} layer(s), ${paths} paths; layers are downloaded when Nix asks for them.`)
      }
    } catch (e) {
      this.refuse(e)
    }
    await this.persist()
  }

  private index(manifest: Manifest): void {
    const byHash = new Map<string, LayerRecord[]>()
    // Newest layer first: it is the likeliest to be downloaded already for its neighbours.
    for (const layer of [...manifest.layers].reverse()) {
      for (const hash of Object.keys(layer.paths)) byHash.set(hash, [...(byHash.get(hash) ?? []), layer])
    }
    this.byHash = byHash
  }

  private refuse(e: unknown): void {
    if (!(e instanceof CacheServiceRefused)) {
      log.warning(`The GitHub Actions cache could not be read (${e instanceof Error ? e.message : String(e)}); Nix builds or uses other caches instead.`)
      return
    }
    this.refused = true
    this.state.refused = e.message
    log.warning(`The GitHub Actions cache refused this job (${e.message}): nothing more is restored, and nothing is saved.`)
  }

  /** Whether the manifest lists `hash` in a layer that has not failed (nor stalled); never downloads. */
  async holds(hash: string): Promise<boolean> {
    await this.ready
    const unusable = [...this.state.failed, ...(this.state.unfetched ?? [])]
    return (this.byHash.get(hash) ?? []).some((l) => !unusable.includes(layerId(l)))
  }

  /**
   * Makes sure a layer holding `hash` has been merged into the local binary cache. Resolves to
   * false at once when no layer holds it, so that Nix never remembers as missing a path that is
   * merely on its way.
   */
  async lookup(hash: string): Promise<boolean> {
    await this.ready
    for (const layer of this.byHash.get(hash) ?? []) {
      if (this.refused) return false
      if (await this.download(layer)) return true
    }
    return false
  }

  private download(layer: LayerRecord): Promise<boolean> {
    const id = layerId(layer)
    let pending = this.downloads.get(id)
    if (!pending) {
      pending = this.inSlot(layer.slot, () => this.fetchLayer(layer))
      this.downloads.set(id, pending)
    }
    return pending
  }

  private inSlot<T>(slot: number, task: () => Promise<T>): Promise<T> {
    const before = this.slots.get(slot) ?? Promise.resolve()
    const run = before.then(task, task)
    this.slots.set(slot, run.catch(() => undefined))
    return run
  }

  private async fetchLayer(layer: LayerRecord): Promise<boolean> {
    const { client, layout, storeDir } = this.opts
    const startedAt = Date.now()
    let ok = false
    try {
      const r = recordLayer(this.state, layer, await this.restoreTwiceIfStalled(layer, () => restoreLayer(client, layout, layer, storeDir)))
      if (r) {
        ok = true
        const seconds = ((Date.now() - startedAt) / 1000).toFixed(2)
        log.info(`Downloaded cache layer ${layer.key} on demand: ${r.paths.length} paths, ${r.archiveBytes} B, in ${seconds} s.`)
      }
    } catch (e) {
      if (e instanceof CacheTransferStalled) {
        // Nix builds or substitutes its paths elsewhere; the layer stays in the next manifest.
        ;(this.state.unfetched ??= []).push(layerId(layer))
        log.warning(`Cache layer ${layer.key} did not download (${e.message}, twice); its ${layer.pathCount} paths are substituted or built instead, and the layer is kept in the cache.`)
      } else {
        this.state.failed.push(layerId(layer))
        this.refuse(e)
      }
    }
    await this.persist()
    return ok
  }

  /** A download that stalled is tried once more: the layer is likely intact, and Nix is waiting. */
  private async restoreTwiceIfStalled<T>(layer: LayerRecord, restore: () => Promise<T>): Promise<T> {
    try {
      return await restore()
    } catch (e) {
      if (!(e instanceof CacheTransferStalled)) throw e
      log.info(`Cache layer ${layer.key}: ${e.message}; trying once more.`)
      return await restore()
    }
  }

  /**
   * Resolves once every download started so far has ended and the state file says so: the
   * post step reads that file as soon as the agent has stopped.
   */
  async settled(): Promise<void> {
    await this.ready.catch(() => undefined)
    await Promise.allSettled(this.downloads.values())
    await this.saving
  }

  /** The post step reads this file once the agent has stopped; written whole, never half. */
  private persist(): Promise<void> {
    // A failed write must not stop every later one.
    this.saving = this.saving.catch(() => undefined).then(async () => {
      const file = this.opts.layout.restoredFile
      await writeFile(`${file}.tmp`, JSON.stringify(this.state))
      await rename(`${file}.tmp`, file)
    })
    return this.saving
  }
}

/** Layers of the manifest this job restored that it neither downloaded nor found broken. */
export function untouchedLayers(restored: RestoredState): LayerRecord[] {
  const touched = new Set([...restored.held, ...restored.failed])
  return (restored.manifest?.layers ?? []).filter((l) => !touched.has(layerId(l)))
}

/**
 * Hash parts the cache holds for this job: what it restored and verified, and what the layers it
 * never needed list. Counting the latter as cached is what keeps an on-demand job from saving
 * again what it simply did not download.
 */
export function cachedHashes(restored: RestoredState): Set<string> {
  const hashes = new Set(restored.paths.map((p) => p.hash))
  for (const layer of untouchedLayers(restored)) for (const hash of Object.keys(layer.paths)) hashes.add(hash)
  return hashes
}

/**
 * A compaction can carry over only what the job holds, so before one the layers it never needed
 * are downloaded too (as the eager restore would have). Updates `restored` in place.
 */
export async function catchUpLayers(restored: RestoredState, opts: Pick<LazyLayersOptions, 'client' | 'layout' | 'storeDir'>): Promise<void> {
  const missing = untouchedLayers(restored)
  if (missing.length === 0) return
  await prepareBinaryCache(opts.layout.binaryCache, opts.storeDir)
  log.info(`Compacting: downloading the ${missing.length} cache layer(s) this job did not need.`)
  for (const layer of missing) recordLayer(restored, layer, await restoreLayer(opts.client, opts.layout, layer, opts.storeDir))
}
