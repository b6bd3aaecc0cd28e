#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  CacheEntryError,
  CacheServiceRefused,
  actionsCacheClient,
  cacheMode,
  unavailableReason
} from "./chunk-VCSLMCN2.js";
import {
  ghaLayout,
  keyScheme
} from "./chunk-QDSASVNL.js";
import {
  FileBackend,
  describeFsError,
  hashPart,
  parseNarInfo,
  uploadPaths
} from "./chunk-UZNHWSQD.js";
import {
  parseHash
} from "./chunk-LYRV4XWB.js";
import {
  cacheInfoText,
  limiter
} from "./chunk-MP4OTUHC.js";
import {
  formatBytes,
  host,
  log
} from "./chunk-XPTRIRNR.js";

// src/executors/gha/restore.ts
import { mkdir as mkdir2, rm as rm3 } from "node:fs/promises";

// src/executors/gha/layer.ts
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, link, lstat, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
function pathFact(info) {
  const self = hashPart(info.storePath);
  return { hash: self, narSize: info.narSize, references: info.references.map(hashPart).filter((h) => h !== self) };
}
async function exists(p) {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}
async function linkOrCopy(from, to) {
  await mkdir(dirname(to), { recursive: true });
  try {
    await link(from, to);
  } catch {
    await copyFile(from, to);
  }
}
async function writeLayer(opts) {
  await rm(opts.dir, { recursive: true, force: true });
  const backend = new FileBackend(opts.dir);
  await backend.prepare(opts.storeDir);
  for (const hash of opts.copy) {
    const name = `${hash}.narinfo`;
    const info = parseNarInfo(await readFile(join(opts.from, name), "utf8"), opts.storeDir);
    await linkOrCopy(join(opts.from, info.url), join(opts.dir, info.url));
    await linkOrCopy(join(opts.from, name), join(opts.dir, name));
  }
  const adopted = opts.prepared ? await adoptPrepared(opts.fresh, opts.prepared, opts.dir, opts.storeDir) : [];
  const done = new Set(adopted.map((p) => p.path));
  const outcome = await uploadPaths(opts.fresh.filter((i) => !done.has(i.path)), {
    backend,
    signer: opts.signer,
    compression: "none",
    parallelism: opts.parallelism,
    realStoreDir: opts.realStoreDir
  });
  outcome.pushed.unshift(...adopted);
  const content = createHash("sha256");
  const paths = [];
  for (const name of (await readdir(opts.dir)).filter((n) => n.endsWith(".narinfo")).sort()) {
    const text = await readFile(join(opts.dir, name), "utf8");
    content.update(`${name}
${text}
`);
    paths.push(pathFact(parseNarInfo(text, opts.storeDir)));
  }
  return { outcome, paths, narBytes: paths.reduce((a, p) => a + p.narSize, 0), contentHash: content.digest("hex").slice(0, 32) };
}
async function adoptPrepared(fresh, prepared, dir, storeDir) {
  const adopted = [];
  for (const info of fresh) {
    const name = `${hashPart(info.path)}.narinfo`;
    let ni;
    try {
      ni = parseNarInfo(await readFile(join(prepared, name), "utf8"), storeDir);
    } catch {
      continue;
    }
    if (ni.storePath !== info.path || ni.narHash !== info.narHash || ni.narSize !== info.narSize || ni.compression !== "none") continue;
    if (!await exists(join(prepared, ni.url))) continue;
    if (!await exists(join(dir, ni.url))) await linkOrCopy(join(prepared, ni.url), join(dir, ni.url));
    await linkOrCopy(join(prepared, name), join(dir, name));
    adopted.push({ path: info.path, narSize: info.narSize, fileSize: ni.fileSize });
  }
  return adopted;
}
async function narFacts(nar) {
  let size;
  try {
    size = (await lstat(nar)).size;
  } catch {
    return { problem: "NAR missing" };
  }
  const digest = createHash("sha256");
  await pipeline(createReadStream(nar), digest);
  return { size, hash: digest.digest() };
}
function problemWith(info, nar) {
  if (info.compression !== "none") return `unexpected compression ${info.compression}`;
  if ("problem" in nar) return nar.problem;
  if (nar.size !== info.narSize) return `NAR is ${nar.size} bytes, narinfo says ${info.narSize}`;
  if (!nar.hash.equals(parseHash(info.narHash))) return "NAR hash mismatch";
  return void 0;
}
async function absorbLayer(layerDir, cacheDir, storeDir) {
  const names = (await readdir(layerDir).catch(() => [])).filter((n) => n.endsWith(".narinfo"));
  const result = { paths: [], corrupt: [], narBytes: 0 };
  const limit = limiter(4);
  await mkdir(join(cacheDir, "nar"), { recursive: true });
  const byNar = /* @__PURE__ */ new Map();
  await Promise.all(
    names.map(
      (name) => limit(async () => {
        let info;
        try {
          info = parseNarInfo(await readFile(join(layerDir, name), "utf8"), storeDir);
        } catch (e) {
          result.corrupt.push(`${name}: ${e.message}`);
          return;
        }
        if (name !== `${hashPart(info.storePath)}.narinfo`) result.corrupt.push(`${info.storePath}: narinfo under the wrong name`);
        else if (!/^nar\/[^/]+$/.test(info.url)) result.corrupt.push(`${info.storePath}: unexpected NAR location ${info.url}`);
        else byNar.set(info.url, [...byNar.get(info.url) ?? [], { name, info }]);
      })
    )
  );
  await Promise.all(
    [...byNar].map(
      ([url, users]) => limit(async () => {
        const facts = await narFacts(join(layerDir, url));
        const good = users.filter(({ info }) => {
          const problem = problemWith(info, facts);
          if (problem) result.corrupt.push(`${info.storePath}: ${problem}`);
          return !problem;
        });
        if (good.length === 0) return;
        const narTarget = join(cacheDir, url);
        if (!await exists(narTarget)) await rename(join(layerDir, url), narTarget);
        for (const { name, info } of good) {
          const infoTarget = join(cacheDir, name);
          if (!await exists(infoTarget)) await rename(join(layerDir, name), infoTarget);
          result.paths.push(pathFact(info));
          result.narBytes += info.narSize;
        }
      })
    )
  );
  await rm(layerDir, { recursive: true, force: true });
  return result;
}
async function prepareBinaryCache(dir, storeDir) {
  await mkdir(join(dir, "nar"), { recursive: true });
  await writeFile(join(dir, "nix-cache-info"), cacheInfoText(storeDir).replace(/^Priority: \d+$/m, "Priority: 30"));
}

// src/executors/gha/manifest-entry.ts
import { readFile as readFile2, rm as rm2, writeFile as writeFile2 } from "node:fs/promises";

// src/executors/gha/manifest.ts
var MANIFEST_FORMAT = 1;
var ManifestError = class extends Error {
};
var layerId = (l) => `${l.key}#${l.slot}`;
function emptyManifest(storeDir, now) {
  return { format: MANIFEST_FORMAT, storeDir, updatedAt: now, layers: [] };
}
var HASH = /^[0-9a-df-np-sv-z]{32}$/;
var isCount = (n) => typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
function parseLayer(raw, i) {
  const bad = (what) => {
    throw new ManifestError(`layer ${i}: ${what}`);
  };
  if (typeof raw !== "object" || raw === null) return bad("not an object");
  const l = raw;
  if (typeof l.key !== "string" || l.key === "" || l.key.includes(",")) bad("bad key");
  if (!isCount(l.slot)) bad("bad slot");
  if (!isCount(l.createdAt)) bad("bad createdAt");
  if (!isCount(l.narBytes)) bad("bad narBytes");
  if (l.archiveBytes !== void 0 && !isCount(l.archiveBytes)) bad("bad archiveBytes");
  if (typeof l.paths !== "object" || l.paths === null || Array.isArray(l.paths)) return bad("bad paths");
  const paths = {};
  for (const [hash, at] of Object.entries(l.paths)) {
    if (!HASH.test(hash) || !isCount(at)) bad(`bad path entry ${hash}`);
    paths[hash] = at;
  }
  const record = {
    key: l.key,
    slot: l.slot,
    createdAt: l.createdAt,
    pathCount: Object.keys(paths).length,
    narBytes: l.narBytes,
    paths
  };
  if (l.archiveBytes !== void 0) record.archiveBytes = l.archiveBytes;
  return record;
}
function parseManifest(text) {
  let raw;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ManifestError(`not JSON: ${e.message}`);
  }
  if (typeof raw !== "object" || raw === null) throw new ManifestError("not an object");
  const m = raw;
  if (m.format !== MANIFEST_FORMAT) throw new ManifestError(`unknown format ${String(m.format)}`);
  if (typeof m.storeDir !== "string" || !m.storeDir.startsWith("/")) throw new ManifestError("bad storeDir");
  if (!isCount(m.updatedAt)) throw new ManifestError("bad updatedAt");
  if (!Array.isArray(m.layers)) throw new ManifestError("bad layers");
  return { format: MANIFEST_FORMAT, storeDir: m.storeDir, updatedAt: m.updatedAt, layers: m.layers.map(parseLayer) };
}
function renderManifest(m) {
  return `${JSON.stringify(m, null, 1)}
`;
}
function mergeManifests(ours, theirs) {
  if (!theirs || theirs.storeDir !== ours.storeDir) return ours;
  const byId = /* @__PURE__ */ new Map();
  for (const layer of [...ours.layers, ...theirs.layers]) {
    const seen = byId.get(layerId(layer));
    if (!seen) {
      byId.set(layerId(layer), { ...layer, paths: { ...layer.paths } });
      continue;
    }
    for (const [hash, at] of Object.entries(layer.paths)) seen.paths[hash] = Math.max(seen.paths[hash] ?? 0, at);
  }
  return { ...ours, updatedAt: Math.max(ours.updatedAt, theirs.updatedAt), layers: [...byId.values()] };
}
function lastUse(l) {
  let at = l.createdAt;
  for (const t of Object.values(l.paths)) if (t > at) at = t;
  return at;
}
var sum = (xs) => {
  let s = 0;
  for (const x of xs) s += x;
  return s;
};
function freeSlot(layers) {
  const used = new Set(layers.map((l) => l.slot));
  let slot = 0;
  while (used.has(slot)) slot++;
  return slot;
}
function touched(layer, closure, now) {
  const paths = {};
  for (const [hash, at] of Object.entries(layer.paths)) paths[hash] = closure.has(hash) ? now : at;
  return { ...layer, paths };
}
function evict(sizes, lastUsed, references, closure, otherBytes, maxBytes) {
  let total = otherBytes + sum(sizes.values());
  const evicted = [];
  if (total <= maxBytes) return { evicted, total };
  const referrers = /* @__PURE__ */ new Map();
  for (const hash of sizes.keys()) {
    for (const ref of references(hash)) {
      if (ref === hash || !sizes.has(ref)) continue;
      const list = referrers.get(ref) ?? [];
      list.push(hash);
      referrers.set(ref, list);
    }
  }
  const gone = /* @__PURE__ */ new Set();
  const order = [...sizes.keys()].filter((h) => !closure.has(h)).sort((a, b) => (lastUsed.get(a) ?? 0) - (lastUsed.get(b) ?? 0) || (a < b ? -1 : a > b ? 1 : 0));
  for (const start of order) {
    if (total <= maxBytes) break;
    const stack = [start];
    while (stack.length > 0) {
      const h = stack.pop();
      if (gone.has(h)) continue;
      gone.add(h);
      evicted.push(h);
      total -= sizes.get(h) ?? 0;
      for (const r of referrers.get(h) ?? []) if (!closure.has(r)) stack.push(r);
    }
  }
  return { evicted, total };
}
function planSave(input) {
  const { now, policy, closure } = input;
  const dropped = [];
  const live = [];
  for (const layer of input.manifest.layers) {
    const t = touched(layer, closure, now);
    if (input.failed.has(layerId(layer))) dropped.push({ layer: t, why: "unavailable" });
    else if (lastUse(t) < now - policy.retentionMs) dropped.push({ layer: t, why: "unused" });
    else live.push(t);
  }
  const unusable = dropped.filter((d) => d.why === "unavailable").map((d) => d.layer);
  const freshBytes = sum(input.fresh.map((p) => p.narSize));
  const freshTimes = Object.fromEntries(input.fresh.map((p) => [p.hash, now]));
  const appendTotal = sum(live.map((l) => l.narBytes)) + freshBytes;
  let why;
  if (policy.compact) why = "a scheduled or manual run on the default branch";
  else if (input.fresh.length > 0 && live.length + 1 > policy.maxLayers) why = `more than ${policy.maxLayers} layers`;
  else if (input.fresh.length > 0 && appendTotal > policy.maxBytes) why = "over max-size";
  const base = { dropped, copy: [], evicted: [], overBudget: false };
  if (!why) {
    if (input.fresh.length === 0) {
      return { ...base, kind: "nothing", why: "nothing new", keep: live, lastUsed: {}, slot: -1, totalBytes: appendTotal };
    }
    return { ...base, kind: "append", why: "new paths", keep: live, lastUsed: freshTimes, slot: freeSlot([...live, ...unusable]), totalBytes: appendTotal };
  }
  const heldLive = live.filter((l) => input.held.has(layerId(l)));
  const others = live.filter((l) => !input.held.has(layerId(l)));
  const lastUsed = /* @__PURE__ */ new Map();
  for (const layer of heldLive) {
    for (const [hash, at] of Object.entries(layer.paths)) {
      if (!input.heldPaths.has(hash) || at < now - policy.retentionMs) continue;
      lastUsed.set(hash, Math.max(lastUsed.get(hash) ?? 0, at));
    }
  }
  for (const p of input.fresh) lastUsed.set(p.hash, now);
  const facts = new Map([...input.heldPaths, ...input.fresh.map((p) => [p.hash, p])]);
  const sizes = new Map([...lastUsed.keys()].map((h) => [h, facts.get(h)?.narSize ?? 0]));
  const { evicted, total } = evict(
    sizes,
    lastUsed,
    (h) => facts.get(h)?.references ?? [],
    closure,
    sum(others.map((l) => l.narBytes)),
    policy.maxBytes
  );
  const gone = new Set(evicted);
  const kept = [...lastUsed.keys()].filter((h) => !gone.has(h));
  const single = heldLive.length === 1 ? heldLive[0] : void 0;
  if (input.fresh.length === 0 && (heldLive.length === 0 || single && dropped.length === 0 && kept.length === single.pathCount)) {
    return { ...base, kind: "nothing", why: "already compact", keep: live, lastUsed: {}, slot: -1, totalBytes: appendTotal };
  }
  const freshSet = new Set(input.fresh.map((p) => p.hash));
  return {
    kind: "compact",
    why,
    keep: others,
    dropped: [...dropped, ...heldLive.map((layer) => ({ layer, why: "compacted" }))],
    copy: kept.filter((h) => !freshSet.has(h)),
    evicted,
    lastUsed: Object.fromEntries(kept.map((h) => [h, lastUsed.get(h) ?? now])),
    slot: freeSlot([...others, ...unusable]),
    totalBytes: total,
    overBudget: total > policy.maxBytes
  };
}
function nextManifest(prev, plan, layer, now) {
  return { ...prev, updatedAt: now, layers: [...plan.keep, layer] };
}

// src/executors/gha/manifest-entry.ts
async function fetchOne(client, layout, prefix, storeDir, report) {
  await rm2(layout.manifestFile, { force: true });
  let hit;
  try {
    hit = await client.restore(layout.manifestFile, prefix, [prefix]);
  } catch (e) {
    if (!(e instanceof CacheEntryError)) throw e;
    report(`The cache manifest could not be restored (${e.message}); carrying on as if the cache were empty.`);
    return {};
  }
  if (!hit) return {};
  try {
    const manifest = parseManifest(await readFile2(layout.manifestFile, "utf8"));
    if (manifest.storeDir !== storeDir) {
      report(`Cache manifest ${hit.key} is for store ${manifest.storeDir}, not ${storeDir}; it is ignored.`);
      return { key: hit.key };
    }
    return { manifest, key: hit.key };
  } catch (e) {
    const why = e instanceof ManifestError ? e.message : e.message;
    report(`Cache manifest ${hit.key} is unreadable (${why}); carrying on as if the cache were empty.`);
    return { key: hit.key };
  }
}
async function fetchManifest(client, layout, keys, storeDir, report = log.warning) {
  const own = await fetchOne(client, layout, keys.manifestPrefix, storeDir, report);
  if (!keys.baseManifestPrefix) return own;
  const base = await fetchOne(client, layout, keys.baseManifestPrefix, storeDir, report);
  if (!base.manifest || base.key === own.key) return own;
  if (!own.manifest) return base;
  return { manifest: mergeManifests(own.manifest, base.manifest), key: `${own.key} + ${base.key}` };
}
async function storeManifest(client, layout, key, manifest) {
  await writeFile2(layout.manifestFile, renderManifest(manifest));
  return client.save(layout.manifestFile, key);
}

// src/executors/gha/state.ts
import { readFile as readFile3, writeFile as writeFile3 } from "node:fs/promises";
var RESTORED_STATE_KEY = "nix_buildtime_cache_gha";
async function saveRestoredState(file, state) {
  await writeFile3(file, JSON.stringify(state));
  host().saveState(RESTORED_STATE_KEY, file);
}
async function loadRestoredState() {
  const file = host().getState(RESTORED_STATE_KEY);
  if (!file) return void 0;
  try {
    const s = JSON.parse(await readFile3(file, "utf8"));
    if (Array.isArray(s.held) && Array.isArray(s.failed) && Array.isArray(s.paths)) return s;
  } catch {
  }
  return void 0;
}

// src/executors/gha/restore.ts
var PARALLEL_LAYERS = 4;
function recordLayer(state, layer, r) {
  if (r) {
    state.held.push(layerId(layer));
    state.paths.push(...r.paths);
  } else {
    state.failed.push(layerId(layer));
  }
  return r;
}
async function restoreLayer(client, layout, layer, storeDir) {
  const dir = layout.slotDir(layer.slot);
  await rm3(dir, { recursive: true, force: true });
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
  let absorbed;
  try {
    absorbed = await absorbLayer(dir, layout.binaryCache, storeDir);
  } catch (e) {
    await rm3(dir, { recursive: true, force: true }).catch(() => void 0);
    log.warning(
      `Cache layer ${layer.key} could not be used (${describeFsError(e)}); its ${layer.pathCount} paths are substituted or built as if it did not exist.`
    );
    return void 0;
  }
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
async function restoreGithubActionsCache(opts, store) {
  const startedAt = Date.now();
  const layout = ghaLayout(host().tempDir);
  await rm3(layout.root, { recursive: true, force: true });
  await mkdir2(layout.root, { recursive: true });
  const state = { held: [], failed: [], paths: [] };
  try {
    const reason = unavailableReason();
    if (reason) {
      state.refused = reason;
      log.warning(`The GitHub Actions cache is not available: ${reason}. This job neither restores nor saves anything.`);
      return void 0;
    }
    const mode = cacheMode();
    if (!mode.readable) {
      log.info(`ACTIONS_CACHE_MODE=${mode.mode} does not permit reads: nothing is restored.`);
      return void 0;
    }
    const client = actionsCacheClient();
    const keys = keyScheme(opts.keyPrefix);
    await prepareBinaryCache(layout.binaryCache, store.storeDir);
    const { manifest, key } = await fetchManifest(client, layout, keys, store.storeDir);
    if (!manifest) {
      if (!key) log.info(`No cache manifest under ${keys.manifestPrefix}* yet: starting with an empty cache.`);
      return void 0;
    }
    state.manifest = manifest;
    state.manifestKey = key;
    const results = await restoreLayers(client, layout, manifest.layers, store.storeDir);
    let archiveBytes = 0;
    let narBytes = 0;
    manifest.layers.forEach((layer, i) => {
      const r = recordLayer(state, layer, results[i]);
      archiveBytes += r?.archiveBytes ?? 0;
      narBytes += r?.narBytes ?? 0;
    });
    const seconds = ((Date.now() - startedAt) / 1e3).toFixed(2);
    log.info(
      `Restored ${state.held.length} of ${manifest.layers.length} cache layer(s) from ${key}: ${state.paths.length} paths, ${formatBytes(archiveBytes)} downloaded (${archiveBytes} B), ${formatBytes(narBytes)} of NARs, in ${seconds} s.`
    );
    return state.paths.length > 0 ? `file://${layout.binaryCache}?trusted=1` : void 0;
  } catch (e) {
    if (!(e instanceof CacheServiceRefused)) throw e;
    state.refused = e.message;
    log.warning(`The GitHub Actions cache refused this job (${e.message}): nothing more is restored, and nothing is saved.`);
    return void 0;
  } finally {
    await saveRestoredState(layout.restoredFile, state);
  }
}

export {
  pathFact,
  writeLayer,
  prepareBinaryCache,
  layerId,
  emptyManifest,
  mergeManifests,
  planSave,
  nextManifest,
  fetchManifest,
  storeManifest,
  RESTORED_STATE_KEY,
  loadRestoredState,
  recordLayer,
  restoreLayer,
  restoreGithubActionsCache
};
