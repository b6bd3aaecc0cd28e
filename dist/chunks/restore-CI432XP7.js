#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  configurePull
} from "./chunk-NX7M6VVG.js";
import {
  CacheEntryError,
  CacheServiceRefused,
  absorbLayer,
  actionsCacheClient,
  cacheMode,
  fetchManifest,
  ghaLayout,
  keyScheme,
  layerId,
  prepareBinaryCache,
  saveRestoredState,
  unavailableReason
} from "./chunk-ZQOK63IA.js";
import "./chunk-ZFF3PL3L.js";
import {
  formatBytes
} from "./chunk-LAT54V4D.js";
import {
  host,
  limiter,
  log
} from "./chunk-3O47J3DE.js";
import "./chunk-WSR6M3NS.js";

// src/backends/gha/restore.ts
import { mkdir, rm } from "node:fs/promises";
var PARALLEL_LAYERS = 4;
async function restoreLayer(client, layout, layer, storeDir) {
  const dir = layout.slotDir(layer.slot);
  await rm(dir, { recursive: true, force: true });
  let hit;
  try {
    hit = await client.restore(dir, layer.key);
  } catch (e) {
    if (!(e instanceof CacheEntryError)) throw e;
    log.warning(`Cache layer ${layer.key} could not be restored (${e.message}); its ${layer.pathCount} paths are substituted or built as if it did not exist.`);
    return void 0;
  }
  if (!hit) {
    log.warning(`Cache layer ${layer.key} is gone (evicted?); its ${layer.pathCount} paths are substituted or built as if it did not exist.`);
    return void 0;
  }
  const absorbed = await absorbLayer(dir, layout.binaryCache, storeDir);
  if (absorbed.corrupt.length > 0) {
    log.warning(
      `Cache layer ${layer.key}: ${absorbed.corrupt.length} damaged path(s) ignored (first: ${absorbed.corrupt[0]}); they are substituted or built instead.`
    );
  }
  if (absorbed.paths.length === 0) return void 0;
  return { layer, paths: absorbed.paths, archiveBytes: hit.archiveBytes ?? 0, narBytes: absorbed.narBytes };
}
async function restoreLayers(client, layout, layers, storeDir) {
  const bySlot = /* @__PURE__ */ new Map();
  for (const l of layers) bySlot.set(l.slot, [...bySlot.get(l.slot) ?? [], l]);
  const limit = limiter(PARALLEL_LAYERS);
  const results = /* @__PURE__ */ new Map();
  const settled = await Promise.allSettled(
    [...bySlot.values()].map(
      (group) => limit(async () => {
        for (const layer of group) results.set(layer, await restoreLayer(client, layout, layer, storeDir));
      })
    )
  );
  const refusal = settled.find((s) => s.status === "rejected");
  if (refusal) throw refusal.reason;
  return layers.map((l) => results.get(l));
}
async function restoreGithubActionsCache(inputs, store) {
  if (inputs.cache.kind !== "github-actions") return;
  const startedAt = Date.now();
  const layout = ghaLayout(host().tempDir);
  await rm(layout.root, { recursive: true, force: true });
  await mkdir(layout.root, { recursive: true });
  const state = { held: [], failed: [], paths: [] };
  try {
    const reason = unavailableReason();
    if (reason) {
      state.refused = reason;
      log.warning(`The GitHub Actions cache is not available: ${reason}. This job neither restores nor saves anything.`);
      return;
    }
    const mode = cacheMode();
    if (!mode.readable) {
      log.info(`ACTIONS_CACHE_MODE=${mode.mode} does not permit reads: nothing is restored.`);
      return;
    }
    const client = actionsCacheClient();
    const keys = keyScheme(inputs.keyPrefix);
    await prepareBinaryCache(layout.binaryCache, store.storeDir);
    const { manifest, key } = await fetchManifest(client, layout, keys, store.storeDir);
    if (!manifest) {
      if (!key) log.info(`No cache manifest under ${keys.manifestPrefix}* yet: starting with an empty cache.`);
      return;
    }
    state.manifest = manifest;
    state.manifestKey = key;
    const results = await restoreLayers(client, layout, manifest.layers, store.storeDir);
    let archiveBytes = 0;
    let narBytes = 0;
    manifest.layers.forEach((layer, i) => {
      const r = results[i];
      if (!r) {
        state.failed.push(layerId(layer));
        return;
      }
      state.held.push(layerId(layer));
      state.paths.push(...r.paths);
      archiveBytes += r.archiveBytes;
      narBytes += r.narBytes;
    });
    const seconds = ((Date.now() - startedAt) / 1e3).toFixed(2);
    log.info(
      `Restored ${state.held.length} of ${manifest.layers.length} cache layer(s) from ${key}: ${state.paths.length} paths, ${formatBytes(archiveBytes)} downloaded (${archiveBytes} B), ${formatBytes(narBytes)} of NARs, in ${seconds} s.`
    );
    if (state.paths.length > 0) await configurePull(inputs, store, `file://${layout.binaryCache}?trusted=1`);
  } catch (e) {
    if (!(e instanceof CacheServiceRefused)) throw e;
    state.refused = e.message;
    log.warning(`The GitHub Actions cache refused this job (${e.message}): nothing more is restored, and nothing is saved.`);
  } finally {
    await saveRestoredState(layout.restoredFile, state);
  }
}
export {
  restoreGithubActionsCache
};
