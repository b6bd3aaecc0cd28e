#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  fetchManifest,
  prepareBinaryCache,
  recordLayer,
  restoreLayer
} from "./chunk-SHD2LOKY.js";
import {
  CacheServiceRefused,
  CacheTransferStalled
} from "./chunk-L4FJVMRZ.js";
import {
  layerId
} from "./chunk-I2MKXC5P.js";
import {
  log
} from "./chunk-LXHOX3IK.js";

// src/executors/gha/lazy.ts
import { rename, writeFile } from "node:fs/promises";
var LazyLayers = class {
  constructor(opts) {
    this.opts = opts;
    this.ready = this.load();
  }
  opts;
  downloads = /* @__PURE__ */ new Map();
  /** Layers restored into the same slot directory must not be extracted at once. */
  slots = /* @__PURE__ */ new Map();
  byHash = /* @__PURE__ */ new Map();
  refused = false;
  saving = Promise.resolve();
  state = { held: [], failed: [], paths: [], onDemand: true };
  /** Settles once the manifest is known (or known to be absent). */
  ready;
  async load() {
    const { client, layout, keys, storeDir } = this.opts;
    await prepareBinaryCache(layout.binaryCache, storeDir);
    try {
      const { manifest, key, unknown } = await fetchManifest(client, layout, keys, storeDir);
      if (unknown) this.state.unknownManifest = unknown.key;
      if (!manifest) {
        if (!key) log.info(`No cache manifest under ${keys.manifestPrefix}* yet: starting with an empty cache.`);
      } else {
        this.index(manifest);
        this.state.manifest = manifest;
        this.state.manifestKey = key;
        const paths = manifest.layers.reduce((a, l) => a + l.pathCount, 0);
        log.info(`Cache manifest ${key}: ${manifest.layers.length} layer(s), ${paths} paths; layers are downloaded when Nix asks for them.`);
      }
    } catch (e) {
      this.refuse(e);
    }
    await this.persist();
  }
  index(manifest) {
    const byHash = /* @__PURE__ */ new Map();
    for (const layer of [...manifest.layers].reverse()) {
      for (const hash of Object.keys(layer.paths)) byHash.set(hash, [...byHash.get(hash) ?? [], layer]);
    }
    this.byHash = byHash;
  }
  refuse(e) {
    if (!(e instanceof CacheServiceRefused)) {
      log.warning(`The GitHub Actions cache could not be read (${e instanceof Error ? e.message : String(e)}); Nix builds or uses other caches instead.`);
      return;
    }
    this.refused = true;
    this.state.refused = e.message;
    log.warning(`The GitHub Actions cache refused this job (${e.message}): nothing more is restored, and nothing is saved.`);
  }
  /** Whether the manifest lists `hash` in a layer that has not failed (nor stalled); never downloads. */
  async holds(hash) {
    await this.ready;
    const unusable = [...this.state.failed, ...this.state.unfetched ?? []];
    return (this.byHash.get(hash) ?? []).some((l) => !unusable.includes(layerId(l)));
  }
  /**
   * Makes sure a layer holding `hash` has been merged into the local binary cache. Resolves to
   * false at once when no layer holds it, so that Nix never remembers as missing a path that is
   * merely on its way.
   */
  async lookup(hash) {
    await this.ready;
    for (const layer of this.byHash.get(hash) ?? []) {
      if (this.refused) return false;
      if (await this.download(layer)) return true;
    }
    return false;
  }
  download(layer) {
    const id = layerId(layer);
    let pending = this.downloads.get(id);
    if (!pending) {
      pending = this.inSlot(layer.slot, () => this.fetchLayer(layer));
      this.downloads.set(id, pending);
    }
    return pending;
  }
  inSlot(slot, task) {
    const before = this.slots.get(slot) ?? Promise.resolve();
    const run = before.then(task, task);
    this.slots.set(slot, run.catch(() => void 0));
    return run;
  }
  async fetchLayer(layer) {
    const { client, layout, storeDir } = this.opts;
    const startedAt = Date.now();
    let ok = false;
    try {
      const r = recordLayer(this.state, layer, await this.restoreTwiceIfStalled(layer, () => restoreLayer(client, layout, layer, storeDir)));
      if (r) {
        ok = true;
        const seconds = ((Date.now() - startedAt) / 1e3).toFixed(2);
        log.info(`Downloaded cache layer ${layer.key} on demand: ${r.paths.length} paths, ${r.archiveBytes} B, in ${seconds} s.`);
      }
    } catch (e) {
      if (e instanceof CacheTransferStalled) {
        ;
        (this.state.unfetched ??= []).push(layerId(layer));
        log.warning(`Cache layer ${layer.key} did not download (${e.message}, twice); its ${layer.pathCount} paths are substituted or built instead, and the layer is kept in the cache.`);
      } else {
        this.state.failed.push(layerId(layer));
        this.refuse(e);
      }
    }
    await this.persist();
    return ok;
  }
  /** A download that stalled is tried once more: the layer is likely intact, and Nix is waiting. */
  async restoreTwiceIfStalled(layer, restore) {
    try {
      return await restore();
    } catch (e) {
      if (!(e instanceof CacheTransferStalled)) throw e;
      log.info(`Cache layer ${layer.key}: ${e.message}; trying once more.`);
      return await restore();
    }
  }
  /**
   * Resolves once every download started so far has ended and the state file says so: the
   * post step reads that file as soon as the agent has stopped.
   */
  async settled() {
    await this.ready.catch(() => void 0);
    await Promise.allSettled(this.downloads.values());
    await this.saving;
  }
  /** The post step reads this file once the agent has stopped; written whole, never half. */
  persist() {
    this.saving = this.saving.catch(() => void 0).then(async () => {
      const file = this.opts.layout.restoredFile;
      await writeFile(`${file}.tmp`, JSON.stringify(this.state));
      await rename(`${file}.tmp`, file);
    });
    return this.saving;
  }
};
function untouchedLayers(restored) {
  const touched = /* @__PURE__ */ new Set([...restored.held, ...restored.failed]);
  return (restored.manifest?.layers ?? []).filter((l) => !touched.has(layerId(l)));
}
function cachedHashes(restored) {
  const hashes = new Set(restored.paths.map((p) => p.hash));
  for (const layer of untouchedLayers(restored)) for (const hash of Object.keys(layer.paths)) hashes.add(hash);
  return hashes;
}
async function catchUpLayers(restored, opts) {
  const missing = untouchedLayers(restored);
  if (missing.length === 0) return;
  await prepareBinaryCache(opts.layout.binaryCache, opts.storeDir);
  log.info(`Compacting: downloading the ${missing.length} cache layer(s) this job did not need.`);
  for (const layer of missing) recordLayer(restored, layer, await restoreLayer(opts.client, opts.layout, layer, opts.storeDir));
}

export {
  LazyLayers,
  cachedHashes,
  catchUpLayers
};
