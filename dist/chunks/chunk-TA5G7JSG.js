import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  batches,
  lines,
  runNix
} from "./chunk-2FCCNLBV.js";
import {
  formatNix32Hash,
  fromNix32,
  toNix32
} from "./chunk-7IIFHBMN.js";

// src/snapshot.ts
import { readdir, readFile, writeFile, access, constants } from "node:fs/promises";
var STORE_NAME = /^[0-9a-df-np-sv-z]{32}-[A-Za-z0-9+\-._?=]+$/;
var NOT_A_PATH = /\.(lock|chroot|check)$/;
async function readDb(dbPath, storeDir) {
  try {
    await access(dbPath, constants.R_OK);
    const { DatabaseSync } = await loadSqlite();
    const db = new DatabaseSync(dbPath, { readOnly: true });
    try {
      const row = db.prepare("SELECT group_concat(substr(path, ?), char(10)) AS names FROM (SELECT path FROM ValidPaths ORDER BY path)").get(storeDir.length + 2);
      const names = row?.names ? row.names.split("\n") : [];
      if (names.length > 0 && !STORE_NAME.test(names[0])) {
        const rows = db.prepare("SELECT path FROM ValidPaths ORDER BY path").all();
        return rows.map((r) => r.path.slice(r.path.lastIndexOf("/") + 1));
      }
      return names;
    } finally {
      db.close();
    }
  } catch {
    return void 0;
  }
}
var sqlite;
function loadSqlite() {
  sqlite ??= (async () => {
    const emit = process.emitWarning;
    process.emitWarning = (() => void 0);
    try {
      return await import("node:sqlite");
    } finally {
      process.emitWarning = emit;
    }
  })();
  return sqlite;
}
async function readStoreDir(realStoreDir) {
  let entries;
  try {
    entries = await readdir(realStoreDir);
  } catch (e) {
    if (e.code === "ENOENT") return [];
    throw e;
  }
  return entries.filter((n) => STORE_NAME.test(n) && !NOT_A_PATH.test(n));
}
async function takeSnapshot(store, method) {
  if (method !== "dir") {
    const names = await readDb(store.dbPath, store.storeDir);
    if (names) return { method: "db", names };
    if (method === "db") throw new Error(`cannot read the Nix database at ${store.dbPath} any more`);
  }
  return { method: "dir", names: await readStoreDir(store.realStoreDir) };
}
async function saveSnapshot(file, snap) {
  await writeFile(file, `${snap.method}
${snap.names.join("\n")}
`);
}
async function loadSnapshot(file) {
  const [method, ...names] = lines(await readFile(file, "utf8"));
  if (method !== "db" && method !== "dir") throw new Error(`${file} is not a snapshot`);
  return { method, names };
}
function diffSnapshots(before, after) {
  if (!isSorted(before) || !isSorted(after)) {
    const seen = new Set(before);
    return after.filter((n) => !seen.has(n));
  }
  const added = [];
  let i = 0;
  for (const name of after) {
    while (i < before.length && before[i] < name) i++;
    if (i < before.length && before[i] === name) i++;
    else added.push(name);
  }
  return added;
}
function isSorted(names) {
  for (let i = 1; i < names.length; i++) if (!(names[i - 1] < names[i])) return false;
  return true;
}
async function validPaths(paths) {
  const invalid = /* @__PURE__ */ new Set();
  for (const batch of batches(paths)) {
    const r = await runNix("nix-store", ["--check-validity", "--print-invalid", ...batch]);
    for (const p of lines(r.stdout)) invalid.add(p);
  }
  return paths.filter((p) => !invalid.has(p));
}

// src/nix/closure.ts
var isDerivation = (p) => p.endsWith(".drv");
async function buildClosure(roots) {
  const closure = /* @__PURE__ */ new Set();
  for (const batch of batches(roots)) {
    const r = await runNix("nix-store", ["--query", "--requisites", "--include-outputs", ...batch]);
    for (const p of lines(r.stdout)) closure.add(p);
  }
  return closure;
}
function classifyInstallable(installable, storeDir) {
  if (installable.startsWith(`${storeDir}/`)) return isDerivation(installable) ? "derivation" : "store-path";
  return "flake-ref";
}
async function resolveRoots(installables, storeDir) {
  const roots = [];
  for (const item of installables) {
    const kind = classifyInstallable(item, storeDir);
    if (kind === "derivation") {
      roots.push(item);
    } else if (kind === "store-path") {
      roots.push(await validDeriver(item) ?? item);
    } else {
      const r = await runNix("nix", ["path-info", "--derivation", item]);
      roots.push(...lines(r.stdout));
    }
  }
  return roots;
}
async function validDeriver(outPath) {
  const r = await runNix("nix-store", ["--query", "--deriver", outPath], { allowFailure: true });
  const drv = r.stdout.trim();
  if (r.exitCode !== 0 || !isDerivation(drv)) return void 0;
  const check = await runNix("nix-store", ["--check-validity", drv], { allowFailure: true });
  return check.exitCode === 0 ? drv : void 0;
}

// src/nix/path-info.ts
var PathInfoParseError = class extends Error {
  constructor(message) {
    super(`cannot parse nix path-info JSON: ${message}`);
    this.name = "PathInfoParseError";
  }
};
function isObject(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
var HASH_SIZES = { md5: 16, sha1: 20, sha256: 32, sha512: 64 };
function base64Len(size) {
  return 4 * Math.ceil(size / 3);
}
function nix32Len(size) {
  return Math.ceil(size * 8 / 5);
}
function decodeBase64Strict(s, size) {
  if (s.length !== base64Len(size) || !/^[A-Za-z0-9+/]+={0,2}$/.test(s)) return void 0;
  const bytes = Buffer.from(s, "base64");
  return bytes.length === size ? bytes : void 0;
}
function decodeDigest(digest, algorithm, format) {
  const size = HASH_SIZES[algorithm];
  if (size === void 0) throw new Error(`unknown hash algorithm '${algorithm}'`);
  const fmt = format === "base32" ? "nix32" : format;
  if ((fmt === void 0 || fmt === "base16") && digest.length === size * 2 && /^[0-9a-fA-F]+$/.test(digest)) {
    return Buffer.from(digest, "hex");
  }
  if ((fmt === void 0 || fmt === "nix32") && digest.length === nix32Len(size)) return fromNix32(digest);
  if (fmt === void 0 || fmt === "base64" || fmt === "sri") {
    const bytes = decodeBase64Strict(digest, size);
    if (bytes) return bytes;
  }
  throw new Error(`invalid ${algorithm} hash '${digest}'${format ? ` in format ${format}` : ""}`);
}
function decodeHashUnchecked(value) {
  if (typeof value === "string") {
    const sri = /^([a-z0-9]+)-(.*)$/.exec(value);
    if (sri && HASH_SIZES[sri[1]] !== void 0) {
      return { algorithm: sri[1], bytes: decodeDigest(sri[2], sri[1], "sri") };
    }
    const prefixed = /^([a-z0-9]+):(.*)$/.exec(value);
    if (prefixed && HASH_SIZES[prefixed[1]] !== void 0) {
      return { algorithm: prefixed[1], bytes: decodeDigest(prefixed[2], prefixed[1]) };
    }
    throw new Error(`unrecognised hash '${value}'`);
  }
  if (isObject(value)) {
    const { algorithm, format, hash } = value;
    if (typeof algorithm !== "string" || typeof hash !== "string") {
      throw new Error(`hash object needs string 'algorithm' and 'hash'`);
    }
    if (hash.startsWith(`${algorithm}-`) || hash.startsWith(`${algorithm}:`)) return decodeHashUnchecked(hash);
    return { algorithm, bytes: decodeDigest(hash, algorithm, typeof format === "string" ? format : void 0) };
  }
  throw new Error(`expected a hash, got ${JSON.stringify(value ?? null)}`);
}
function decodeHash(value, what) {
  try {
    return decodeHashUnchecked(value);
  } catch (e) {
    throw new PathInfoParseError(`${what}: ${e.message}`);
  }
}
function narHashOf(value, path) {
  const { algorithm, bytes } = decodeHash(value, `narHash of ${path}`);
  if (algorithm !== "sha256") throw new PathInfoParseError(`narHash of ${path} is ${algorithm}, expected sha256`);
  return formatNix32Hash(bytes);
}
var CA_PREFIX = {
  text: "text:",
  flat: "fixed:",
  nar: "fixed:r:",
  git: "fixed:git:"
};
function caOf(value, path) {
  if (value === void 0 || value === null || value === "") return void 0;
  if (typeof value === "string") return value;
  if (isObject(value) && typeof value["method"] === "string") {
    const prefix = CA_PREFIX[value["method"]];
    if (prefix === void 0) throw new PathInfoParseError(`ca of ${path}: unknown method '${value["method"]}'`);
    const { algorithm, bytes } = decodeHash(value["hash"], `ca of ${path}`);
    return `${prefix}${algorithm}:${toNix32(bytes)}`;
  }
  throw new PathInfoParseError(`ca of ${path}: unexpected value ${JSON.stringify(value)}`);
}
function signatureOf(value, path) {
  if (typeof value === "string") return value;
  if (isObject(value) && typeof value["keyName"] === "string" && typeof value["sig"] === "string") {
    return `${value["keyName"]}:${value["sig"]}`;
  }
  throw new PathInfoParseError(`signature of ${path}: unexpected value ${JSON.stringify(value)}`);
}
function fullPath(p, storeDir) {
  return p.startsWith("/") ? p : `${storeDir}/${p}`;
}
function entryToPathInfo(path, e, storeDir) {
  const narSize = e["narSize"];
  if (typeof narSize !== "number" || !Number.isSafeInteger(narSize) || narSize < 0) {
    throw new PathInfoParseError(`narSize of ${path}: expected a non-negative integer, got ${JSON.stringify(narSize ?? null)}`);
  }
  const refs = e["references"] ?? [];
  if (!Array.isArray(refs) || !refs.every((r) => typeof r === "string")) {
    throw new PathInfoParseError(`references of ${path}: expected a list of store paths`);
  }
  const sigs = e["signatures"] ?? [];
  if (!Array.isArray(sigs)) throw new PathInfoParseError(`signatures of ${path}: expected a list`);
  const deriver = e["deriver"];
  if (deriver !== void 0 && deriver !== null && typeof deriver !== "string") {
    throw new PathInfoParseError(`deriver of ${path}: expected a store path`);
  }
  const info = {
    path,
    narHash: narHashOf(e["narHash"], path),
    narSize,
    references: [...new Set(refs.map((r) => fullPath(r, storeDir)))].sort(),
    signatures: sigs.map((s) => signatureOf(s, path)),
    ultimate: e["ultimate"] === true
  };
  if (typeof deriver === "string" && deriver !== "") info.deriver = fullPath(deriver, storeDir);
  const ca = caOf(e["ca"], path);
  if (ca !== void 0) info.ca = ca;
  return info;
}
function isInvalidMarker(e) {
  return e === null || isObject(e) && e["valid"] === false;
}
function storeDirOf(o, fallback) {
  const dir = o["storeDir"];
  return typeof dir === "string" && dir !== "" ? dir.replace(/\/+$/, "") : fallback;
}
function parseKeyed(entries, storeDir) {
  const out = [];
  for (const [key, e] of Object.entries(entries)) {
    if (isInvalidMarker(e)) continue;
    if (!isObject(e)) throw new PathInfoParseError(`entry for ${key}: expected an object`);
    const dir = storeDirOf(e, storeDir);
    out.push(entryToPathInfo(fullPath(key, dir), e, dir));
  }
  return out;
}
function parsePathInfoJson(text, storeDir = "/nix/store") {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new PathInfoParseError(e.message);
  }
  const dir = storeDir.replace(/\/+$/, "");
  if (Array.isArray(doc)) {
    const out = [];
    for (const e of doc) {
      if (isInvalidMarker(e)) continue;
      if (!isObject(e) || typeof e["path"] !== "string") {
        throw new PathInfoParseError("list entry without a path");
      }
      const d = storeDirOf(e, dir);
      out.push(entryToPathInfo(fullPath(e["path"], d), e, d));
    }
    return out;
  }
  if (isObject(doc)) {
    const info = doc["info"];
    if (isObject(info) && typeof doc["version"] === "number") return parseKeyed(info, storeDirOf(doc, dir));
    return parseKeyed(doc, dir);
  }
  throw new PathInfoParseError(`expected a list or an object, got ${JSON.stringify(doc)}`);
}

// src/nix/query-path-info.ts
var jsonFormatFlag;
async function pathInfoJson(args, allowFailure = false) {
  if (jsonFormatFlag === void 0) {
    const r2 = await runNix("nix", ["path-info", "--json", "--json-format", "1", ...args], { allowFailure: true });
    if (r2.exitCode === 0) {
      jsonFormatFlag = ["--json-format", "1"];
      return r2.stdout;
    }
    jsonFormatFlag = [];
  }
  const r = await runNix("nix", ["path-info", "--json", ...jsonFormatFlag, ...args], { allowFailure });
  return r.exitCode === 0 ? r.stdout : "[]";
}
async function query(paths, extra, storeDir, allowFailure = false) {
  const out = [];
  for (const batch of batches(paths)) {
    out.push(...parsePathInfoJson(await pathInfoJson([...extra, ...batch], allowFailure), storeDir));
  }
  return out;
}
async function queryPathInfos(paths, storeDir) {
  const result = /* @__PURE__ */ new Map();
  const drvs = paths.filter(isDerivation);
  const others = paths.filter((p) => !isDerivation(p));
  for (const info of await query(others, [], storeDir)) result.set(info.path, info);
  if (drvs.length > 0) {
    const probe = await query(drvs.slice(0, 1), [], storeDir, true);
    const literal = probe.some((i) => i.path === drvs[0]);
    const infos = await query(drvs, literal ? [] : ["--derivation"], storeDir);
    for (const info of infos) if (isDerivation(info.path)) result.set(info.path, info);
  }
  return result;
}

export {
  isDerivation,
  buildClosure,
  resolveRoots,
  queryPathInfos,
  loadSqlite,
  takeSnapshot,
  saveSnapshot,
  loadSnapshot,
  diffSnapshots,
  validPaths
};
