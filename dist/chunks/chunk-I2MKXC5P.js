#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  jobDir
} from "./chunk-S54S7H64.js";

// src/executors/gha/manifest.ts
var MANIFEST_FORMAT = 2;
var READABLE_MANIFEST_FORMATS = [1, MANIFEST_FORMAT];
var LAYER_FORMAT = 1;
var ManifestError = class extends Error {
};
var UnknownManifestFormat = class extends ManifestError {
  constructor(format) {
    super(`format ${format}, which this release does not know`);
    this.format = format;
  }
  format;
};
var layerId = (l) => `${l.key}#${l.slot}`;
function emptyManifest(storeDir, now) {
  return { format: MANIFEST_FORMAT, storeDir, updatedAt: now, layers: [], foreign: [] };
}
var HASH = /^[0-9a-df-np-sv-z]{32}$/;
var isCount = (n) => typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
function parseLayer(raw, i, manifestFormat) {
  const bad = (what) => {
    throw new ManifestError(`layer ${i}: ${what}`);
  };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return bad("not an object");
  const l = raw;
  const format = manifestFormat === 1 ? 1 : l.format;
  if (!isCount(format) || format === 0) return bad("bad format");
  if (format > LAYER_FORMAT) {
    if (typeof l.key !== "string" || l.key === "") return bad("bad key");
    return { key: l.key, format, raw: l };
  }
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
    format,
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
var isForeign = (l) => "raw" in l;
function parseManifest(text) {
  let raw;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ManifestError(`not JSON: ${e.message}`);
  }
  if (typeof raw !== "object" || raw === null) throw new ManifestError("not an object");
  const m = raw;
  if (!isCount(m.format) || m.format === 0) throw new ManifestError(`bad format ${String(m.format)}`);
  if (!READABLE_MANIFEST_FORMATS.includes(m.format)) {
    if (m.format > MANIFEST_FORMAT) throw new UnknownManifestFormat(m.format);
    throw new ManifestError(`format ${m.format} is no longer read`);
  }
  if (typeof m.storeDir !== "string" || !m.storeDir.startsWith("/")) throw new ManifestError("bad storeDir");
  if (!isCount(m.updatedAt)) throw new ManifestError("bad updatedAt");
  if (!Array.isArray(m.layers)) throw new ManifestError("bad layers");
  const format = m.format;
  const all = m.layers.map((l, i) => parseLayer(l, i, format));
  return {
    format: MANIFEST_FORMAT,
    storeDir: m.storeDir,
    updatedAt: m.updatedAt,
    layers: all.filter((l) => !isForeign(l)),
    foreign: all.filter(isForeign)
  };
}
function renderManifest(m) {
  const { foreign, ...rest } = m;
  return `${JSON.stringify({ ...rest, format: MANIFEST_FORMAT, layers: [...m.layers, ...foreign.map((f) => f.raw)] }, null, 1)}
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
  const foreign = new Map([...ours.foreign, ...theirs.foreign].map((f) => [f.key, f]));
  return { ...ours, updatedAt: Math.max(ours.updatedAt, theirs.updatedAt), layers: [...byId.values()], foreign: [...foreign.values()] };
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
  const foreignSlots = input.manifest.foreign.flatMap((f) => isCount(f.raw.slot) ? [{ slot: f.raw.slot }] : []);
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
    return { ...base, kind: "append", why: "new paths", keep: live, lastUsed: freshTimes, slot: freeSlot([...live, ...unusable, ...foreignSlots]), totalBytes: appendTotal };
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
    slot: freeSlot([...others, ...unusable, ...foreignSlots]),
    totalBytes: total,
    overBudget: total > policy.maxBytes
  };
}
function nextManifest(prev, plan, layer, now) {
  return { ...prev, updatedAt: now, layers: [...plan.keep, layer] };
}

// src/executors/gha/layout.ts
import { createHash } from "node:crypto";
import { join } from "node:path";
function ghaLayout(runnerTemp) {
  const root = jobDir(runnerTemp).gha;
  return {
    root,
    manifestFile: join(root, "manifest.json"),
    slotDir: (slot) => join(root, `layer-${slot}`),
    binaryCache: join(root, "binary-cache"),
    served: join(root, "served"),
    restoredFile: join(root, "restored.json"),
    prepared: join(root, "prepared")
  };
}
function refTag(ref) {
  return `r${createHash("sha256").update(ref).digest("hex").slice(0, 10)}`;
}
function manifestPrefixes(format, prefix, os, arch, env) {
  const manifestPrefix = `${prefix}-manifest-${format === 1 ? "" : `f${format}-`}${os}-${arch}-`;
  const p = { format, manifestPrefix };
  if (env.GITHUB_BASE_REF) p.baseManifestPrefix = `${manifestPrefix}${refTag(`refs/heads/${env.GITHUB_BASE_REF}`)}-`;
  return p;
}
function keyScheme(prefix, env = process.env) {
  const os = (env.RUNNER_OS || process.platform).toLowerCase();
  const arch = (env.RUNNER_ARCH || process.arch).toLowerCase();
  const runId = env.GITHUB_RUN_ID || "0";
  const attempt = env.GITHUB_RUN_ATTEMPT || "1";
  const current = manifestPrefixes(MANIFEST_FORMAT, prefix, os, arch, env);
  const own = refTag(env.GITHUB_REF || "unknown");
  return {
    ...current,
    older: READABLE_MANIFEST_FORMATS.filter((f) => f < MANIFEST_FORMAT).sort((a, b) => b - a).map((f) => manifestPrefixes(f, prefix, os, arch, env)),
    manifestKey: (at) => `${current.manifestPrefix}${own}-${runId}-${attempt}-${at}`,
    layerKey: (hash) => `${prefix}-layer-${os}-${arch}-${hash}`
  };
}

export {
  MANIFEST_FORMAT,
  LAYER_FORMAT,
  ManifestError,
  UnknownManifestFormat,
  layerId,
  emptyManifest,
  parseManifest,
  renderManifest,
  mergeManifests,
  planSave,
  nextManifest,
  ghaLayout,
  keyScheme
};
