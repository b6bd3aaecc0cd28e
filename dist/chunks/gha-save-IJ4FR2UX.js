#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  cachedHashes,
  catchUpLayers
} from "./chunk-VMFHUUXY.js";
import {
  fetchManifest,
  loadRestoredState,
  pathFact,
  storeManifest,
  writeLayer
} from "./chunk-SHD2LOKY.js";
import {
  CacheEntryError,
  CacheServiceRefused,
  actionsCacheClient,
  cacheMode
} from "./chunk-L4FJVMRZ.js";
import {
  LAYER_FORMAT,
  emptyManifest,
  ghaLayout,
  keyScheme,
  layerId,
  mergeManifests,
  nextManifest,
  planSave
} from "./chunk-I2MKXC5P.js";
import {
  choosePush,
  githubActionsConditions
} from "./chunk-GTGXA4Q6.js";
import {
  announce,
  reportCompletion,
  resultOf
} from "./chunk-OIXLTF4U.js";
import "./chunk-QKB2IMY3.js";
import "./chunk-Q5DT6Z5U.js";
import {
  heldByHash,
  infosToPush,
  planFinal,
  planIO,
  policyOf,
  selectFinal
} from "./chunk-SWKWKHL2.js";
import "./chunk-ZDZD7BZ6.js";
import {
  emptyOutcome,
  hashPart
} from "./chunk-XK72OWUU.js";
import "./chunk-IDEMXRFO.js";
import "./chunk-S54S7H64.js";
import "./chunk-WODUGNK7.js";
import "./chunk-WPHW6MTC.js";
import "./chunk-72I3IZBR.js";
import "./chunk-SUVJ4ZAQ.js";
import "./chunk-Z3KDMJWA.js";
import "./chunk-EGCALRY5.js";
import {
  formatBytes,
  host,
  log
} from "./chunk-LXHOX3IK.js";
import "./chunk-WSR6M3NS.js";

// src/executors/gha/events.ts
import { readFileSync } from "node:fs";
function isMaintenanceRun(env = process.env) {
  const event = env.GITHUB_EVENT_NAME;
  if (event !== "schedule" && event !== "workflow_dispatch") return false;
  const defaultBranch = readDefaultBranch(env.GITHUB_EVENT_PATH);
  if (defaultBranch === void 0) return event === "schedule";
  return env.GITHUB_REF === `refs/heads/${defaultBranch}`;
}
function readDefaultBranch(eventPath) {
  if (!eventPath) return void 0;
  try {
    const payload = JSON.parse(readFileSync(eventPath, "utf8"));
    const branch = payload.repository?.default_branch;
    return typeof branch === "string" && branch !== "" ? branch : void 0;
  } catch {
    return void 0;
  }
}

// src/executors/gha/save.ts
var MAX_LAYERS = 8;
var RETENTION_MS = 7 * 24 * 3600 * 1e3;
function describePlan(plan, written, total) {
  const layer = `${written.paths.length} paths, ${formatBytes(written.narBytes)}`;
  const dropped = plan.dropped.filter((d) => d.why !== "compacted");
  const parts = [
    plan.kind === "compact" ? `Compacted ${plan.dropped.length - dropped.length} layer(s) into one (${layer}) because of ${plan.why}` : `Saved one new layer (${layer})`
  ];
  if (plan.evicted.length > 0) parts.push(`left out ${plan.evicted.length} least recently used path(s) to stay within max-size`);
  if (dropped.length > 0) parts.push(`dropped ${dropped.length} layer(s) (${dropped.map((d) => d.why).join(", ")})`);
  parts.push(`the cache now lists ${plan.keep.length + 1} layer(s), ${formatBytes(total)} of NARs`);
  return `${parts.join("; ")}.`;
}
function unknownNote(key, warned) {
  const note = `Nothing saved: the newest cache manifest (${key}) is in a format this release does not know, and is left as it is. Upgrade the action to use it.`;
  if (warned) log.info(note);
  else log.warning(note);
  return note;
}
async function saveToGithubActionsCache(plan, restored, opts) {
  const layout = ghaLayout(host().tempDir);
  const result = (note, outcome = emptyOutcome()) => ({ outcome, note });
  const mode = cacheMode();
  const fresh = infosToPush(plan);
  const compact = isMaintenanceRun();
  if (fresh.length === 0 && !compact && restored.failed.length === 0) {
    log.info("Nothing new to save: no cache entries created.");
    return result();
  }
  if (restored.unknownManifest) return result(unknownNote(restored.unknownManifest, !restored.onDemand));
  const now = Date.now();
  const client = actionsCacheClient();
  const keys = keyScheme(opts.keyPrefix);
  let written;
  let layerSaved = false;
  try {
    let manifest = restored.manifest ?? emptyManifest(opts.storeDir, now);
    if (mode.readable) {
      const latest = await fetchManifest(client, layout, keys, opts.storeDir, (m) => log.info(m));
      if (latest.unknown) return result(unknownNote(latest.unknown.key, false));
      manifest = mergeManifests(manifest, latest.manifest);
    }
    const layerCount = manifest.layers.filter((l) => !restored.failed.includes(layerId(l))).length;
    if (compact || layerCount + 1 > MAX_LAYERS) await catchUpLayers(restored, { client, layout, storeDir: opts.storeDir });
    const savePlan = planSave({
      now,
      manifest,
      held: new Set(restored.held),
      failed: new Set(restored.failed),
      heldPaths: new Map(restored.paths.map((p) => [p.hash, p])),
      closure: new Set([...opts.closure].map(hashPart)),
      fresh: fresh.map((i) => pathFact({ storePath: i.path, narSize: i.narSize, references: i.references })),
      policy: { maxBytes: opts.maxSize, maxLayers: MAX_LAYERS, retentionMs: RETENTION_MS, compact }
    });
    if (savePlan.kind === "nothing") {
      const unusable = savePlan.dropped.filter((d) => d.why === "unavailable");
      if (unusable.length === 0) {
        log.info(`Cache unchanged (${savePlan.why}): no cache entries created.`);
        return result();
      }
      const manifestKey2 = keys.manifestKey(now);
      try {
        await storeManifest(client, layout, manifestKey2, { ...manifest, updatedAt: now, layers: savePlan.keep });
      } catch (e) {
        if (!(e instanceof CacheServiceRefused || e instanceof CacheEntryError)) throw e;
        log.warning(`The cache manifest could not be saved (${e.message}); the next job tries the unusable layer(s) again.`);
        return result(`The cache manifest could not be saved: ${e.message}`);
      }
      const note2 = `Dropped ${unusable.length} unusable layer(s) from the cache manifest; the cache now lists ${savePlan.keep.length} layer(s).`;
      log.info(`${note2} Manifest ${manifestKey2}.`);
      return result(note2);
    }
    if (savePlan.overBudget) {
      log.warning(
        `This job's build closure alone (${formatBytes(savePlan.totalBytes)} in the cache) is larger than max-size (${formatBytes(opts.maxSize)}); it is kept whole. Raise max-size, or exclude large paths.`
      );
    }
    const startedAt = Date.now();
    const dir = layout.slotDir(savePlan.slot);
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
    });
    if (written.paths.length === 0) return result(void 0, written.outcome);
    const layerKey = keys.layerKey(written.contentHash);
    const saved = await client.save(dir, layerKey);
    layerSaved = true;
    const layer = {
      format: LAYER_FORMAT,
      key: layerKey,
      slot: savePlan.slot,
      createdAt: now,
      pathCount: written.paths.length,
      narBytes: written.narBytes,
      paths: Object.fromEntries(written.paths.map((p) => [p.hash, savePlan.lastUsed[p.hash] ?? now]))
    };
    if (saved.archiveBytes !== void 0) layer.archiveBytes = saved.archiveBytes;
    const next = nextManifest(manifest, savePlan, layer, now);
    const manifestKey = keys.manifestKey(now);
    await storeManifest(client, layout, manifestKey, next);
    const total = next.layers.reduce((a, l) => a + l.narBytes, 0);
    const note = describePlan(savePlan, written, total);
    log.info(
      `${note} Layer ${layerKey}${saved.created ? "" : " (already in the cache)"}: ${formatBytes(saved.archiveBytes ?? 0)} uploaded (${saved.archiveBytes ?? 0} B); manifest ${manifestKey}; in ${((Date.now() - startedAt) / 1e3).toFixed(2)} s.`
    );
    return result(note, written.outcome);
  } catch (e) {
    if (e instanceof CacheServiceRefused || e instanceof CacheEntryError) {
      const what = e instanceof CacheServiceRefused ? "The GitHub Actions cache refused the save" : `The cache ${layerSaved ? "manifest" : "layer"} could not be saved`;
      const consequence = layerSaved ? "the new layer was saved, but no manifest lists it, so the next job builds these paths again" : "nothing was saved, and the next job builds these paths again";
      log.warning(`${what} (${e.message}); ${consequence}.`);
      const o = { ...emptyOutcome(), failed: written?.outcome.failed ?? [], vanished: written?.outcome.vanished ?? [], unsubstitutable: written?.outcome.unsubstitutable ?? [] };
      return result(`${what}: ${e.message}`, o);
    }
    throw e;
  }
}

// src/job/gha-save.ts
async function saveToGithubActions(job) {
  const { inputs, store, facts } = job;
  const restored = await loadRestoredState() ?? { held: [], failed: [], paths: [] };
  if (restored.onDemand && restored.failed.length > 0) {
    log.warning(
      `${restored.failed.length} cache layer(s) could not be used when Nix asked for them (first: ${restored.failed[0]}; details in the agent's log); their paths were substituted elsewhere or built, and the next manifest leaves them out.`
    );
  }
  const cached = cachedHashes(restored);
  const held = heldByHash(async (hashes) => new Set(hashes.filter((h) => cached.has(h))));
  const policy = policyOf(inputs);
  const plan = await planFinal(selectFinal(facts, policy), { facts, policy, published: [] }, planIO(store.storeDir, held));
  reportCompletion(plan);
  const choice = choosePush(inputs, await githubActionsConditions(restored));
  announce(choice.announce);
  if (choice.mode !== "push") return resultOf(plan, choice.mode, void 0, choice.note);
  const saved = await saveToGithubActionsCache(plan, restored, {
    keyPrefix: inputs.keyPrefix,
    maxSize: inputs.maxSize,
    signer: inputs.secretKey,
    parallelism: inputs.parallelism,
    storeDir: store.storeDir,
    realStoreDir: store.realStoreDir,
    closure: facts.closure
  });
  return resultOf(plan, "push", saved.outcome, saved.note);
}
export {
  saveToGithubActions
};
