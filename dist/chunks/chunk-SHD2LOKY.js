#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  CacheEntryError,
  CacheServiceRefused,
  CacheTransferStalled,
  actionsCacheClient,
  cacheMode,
  unavailableReason
} from "./chunk-L4FJVMRZ.js";
import {
  LAYER_FORMAT,
  MANIFEST_FORMAT,
  ManifestError,
  UnknownManifestFormat,
  ghaLayout,
  keyScheme,
  layerId,
  mergeManifests,
  parseManifest,
  renderManifest
} from "./chunk-I2MKXC5P.js";
import {
  localPull,
  servingKeys
} from "./chunk-QKB2IMY3.js";
import {
  FileBackend,
  describeFsError,
  parseNarInfo,
  renderNarInfo,
  uploadPaths
} from "./chunk-ZDZD7BZ6.js";
import {
  hashPart
} from "./chunk-XK72OWUU.js";
import {
  jobDir
} from "./chunk-S54S7H64.js";
import {
  fingerprint
} from "./chunk-WODUGNK7.js";
import {
  cacheInfoText
} from "./chunk-WPHW6MTC.js";
import {
  limiter
} from "./chunk-SUVJ4ZAQ.js";
import {
  parseHash
} from "./chunk-Z3KDMJWA.js";
import {
  formatBytes,
  host,
  log
} from "./chunk-LXHOX3IK.js";

// src/executors/gha/restore.ts
import { mkdir as mkdir3, rm as rm4 } from "node:fs/promises";

// src/executors/gha/layer.ts
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, link, lstat, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
var LAYER_FORMAT_FILE = "nix-buildtime-cache-layer.json";
var layerFormatText = () => `${JSON.stringify({ format: LAYER_FORMAT })}
`;
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
  await writeFile(join(opts.dir, LAYER_FORMAT_FILE), layerFormatText());
  const content = createHash("sha256").update(layerFormatText());
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
    if (e instanceof UnknownManifestFormat) {
      report(
        `Cache manifest ${hit.key} is in format ${e.format}, which this release of nix-buildtime-cache does not know (it reads formats up to ${MANIFEST_FORMAT}; a newer release wrote it?). It is left as it is, and not used here; upgrade the action to use it.`
      );
      return { key: hit.key, unknown: { key: hit.key, format: e.format } };
    }
    const why = e instanceof ManifestError ? e.message : e.message;
    report(`Cache manifest ${hit.key} is unreadable (${why}); carrying on as if the cache were empty.`);
    return { key: hit.key };
  }
}
function reportForeign(fetched, report) {
  const foreign = fetched.manifest?.foreign ?? [];
  if (foreign.length > 0) {
    const formats = [...new Set(foreign.map((f) => f.format))].sort((a, b) => a - b).join(", ");
    report(
      `Cache manifest ${fetched.key} lists ${foreign.length} layer(s) in a format this release of nix-buildtime-cache does not know (${formats}); they are not used here, and are kept in the cache as they are.`
    );
  }
  return fetched;
}
async function fetchFormat(client, layout, keys, storeDir, report) {
  const own = await fetchOne(client, layout, keys.manifestPrefix, storeDir, report);
  if (!keys.baseManifestPrefix || own.unknown) return own;
  const base = await fetchOne(client, layout, keys.baseManifestPrefix, storeDir, report);
  if (!base.manifest || base.key === own.key) return own;
  if (!own.manifest) return base;
  return { manifest: mergeManifests(own.manifest, base.manifest), key: `${own.key} + ${base.key}` };
}
async function fetchManifest(client, layout, keys, storeDir, report = log.warning) {
  const current = await fetchFormat(client, layout, keys, storeDir, report);
  if (current.key !== void 0) return reportForeign(current, report);
  for (const older of keys.older) {
    const found = await fetchFormat(client, layout, older, storeDir, report);
    if (found.key === void 0) continue;
    if (found.manifest) log.info(`Cache manifest ${found.key} is in format ${older.format}, of an earlier release: read, and saved again in format ${MANIFEST_FORMAT} when this job saves.`);
    const { unknown: _, ...readable } = found;
    return reportForeign(readable, report);
  }
  return current;
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

// src/executors/gha/signed-view.ts
import { copyFile as copyFile2, mkdir as mkdir2, readdir as readdir2, readFile as readFile4, rm as rm3, symlink, writeFile as writeFile4 } from "node:fs/promises";
import { join as join2 } from "node:path";

// src/format/narinfo-signature.ts
function withSignatures(text, storeDir, keys) {
  if (keys.length === 0) return text;
  const info = parseNarInfo(text, storeDir);
  const names = new Set(keys.map((k) => k.name));
  const data = fingerprint(info.storePath, info.narHash, info.narSize, info.references);
  info.sigs = [...info.sigs.filter((s) => !names.has(s.split(":")[0])), ...keys.map((k) => k.sign(data))];
  return renderNarInfo(info);
}

// src/executors/gha/signed-view.ts
async function writeSignedView(binaryCache, view, keys, storeDir) {
  await rm3(view, { recursive: true, force: true });
  await mkdir2(view, { recursive: true });
  await copyFile2(join2(binaryCache, "nix-cache-info"), join2(view, "nix-cache-info"));
  await symlink(join2(binaryCache, "nar"), join2(view, "nar"));
  const limit = limiter(16);
  const names = (await readdir2(binaryCache)).filter((n) => n.endsWith(".narinfo"));
  await Promise.all(
    names.map(
      (name) => limit(async () => {
        const text = await readFile4(join2(binaryCache, name), "utf8");
        await writeFile4(join2(view, name), withSignatures(text, storeDir, keys));
      })
    )
  );
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
  await rm4(dir, { recursive: true, force: true });
  let hit;
  try {
    hit = await client.restore(dir, layer.key);
  } catch (e) {
    if (!(e instanceof CacheEntryError) || e instanceof CacheTransferStalled) throw e;
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
    await rm4(dir, { recursive: true, force: true }).catch(() => void 0);
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
  await rm4(layout.root, { recursive: true, force: true });
  await mkdir3(layout.root, { recursive: true });
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
    const { manifest, key, unknown } = await fetchManifest(client, layout, keys, store.storeDir);
    if (unknown) state.unknownManifest = unknown.key;
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
    if (state.paths.length === 0) return void 0;
    const serving = await servingKeys(jobDir().substituterKey);
    await writeSignedView(layout.binaryCache, layout.served, serving.all, store.storeDir);
    return localPull(`file://${layout.served}`, serving, false);
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
  fetchManifest,
  storeManifest,
  RESTORED_STATE_KEY,
  loadRestoredState,
  withSignatures,
  recordLayer,
  restoreLayer,
  restoreGithubActionsCache
};
