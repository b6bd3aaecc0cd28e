import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  selectAndPush
} from "./chunk-FGMHRLN2.js";
import {
  FileBackend,
  S3UriError,
  S3_URI_SYNTAX,
  batches,
  configurePull,
  debug,
  error,
  exportVariable,
  formatNix32Hash,
  fromNix32,
  getInput,
  getState,
  host,
  info,
  lines,
  locateStore,
  log,
  notice,
  parseS3Uri,
  parseSecretKey,
  renderSummary,
  runNix,
  saveState,
  setFailed,
  setOutput,
  setSecret,
  summary,
  toNix32,
  warning
} from "./chunk-HR4TMU77.js";

// src/action/github-host.ts
import { tmpdir } from "node:os";
var githubHost = {
  tempDir: process.env.RUNNER_TEMP || tmpdir(),
  info: (m) => info(m),
  warning: (m) => warning(m),
  error: (m) => error(m),
  notice: (m) => notice(m),
  debug: (m) => debug(m),
  setSecret: (v) => setSecret(v),
  exportVariable: (n, v) => exportVariable(n, v),
  setOutput: (n, v) => setOutput(n, v),
  saveState: (n, v) => saveState(n, v),
  getState: (n) => getState(n),
  async writeSummary(markdown) {
    if (process.env.GITHUB_STEP_SUMMARY) await summary.addRaw(markdown).write();
    else info(markdown);
  },
  fail: (m) => setFailed(m)
};
var actionInput = (name) => getInput(name);

// src/failure.ts
function reportFailure(e, strict) {
  const message = `nix-buildtime-cache: ${e instanceof Error ? e.message : String(e)}`;
  if (strict) host().fail(message);
  else log.warning(message);
}

// src/inputs.ts
var InputError = class extends Error {
  constructor(input, accepts) {
    super(`Input '${input}': ${accepts}`);
    this.input = input;
  }
  input;
};
var list = (text, sep) => text.split(sep).map((s) => s.trim()).filter((s) => s.length > 0 && !s.startsWith("#"));
function bool(raw, name) {
  const v = raw(name).toLowerCase();
  if (v === "true") return true;
  if (v === "false" || v === "") return false;
  throw new InputError(name, `expected true or false, got '${raw(name)}'`);
}
function parseCache(value) {
  const accepts = "expected github-actions, file:///path, http(s)://\u2026, s3://bucket?\u2026, or a Nix store URI such as ssh-ng://host or local?root=/path";
  if (value === "") throw new InputError("cache", `is required; ${accepts}`);
  if (value === "github-actions") return { kind: "github-actions", url: "github-actions" };
  if (value.startsWith("s3://")) {
    try {
      return { kind: "s3", url: value, s3: parseS3Uri(value) };
    } catch (e) {
      if (e instanceof S3UriError) throw new InputError("cache", `${e.message}; expected ${S3_URI_SYNTAX}`);
      throw e;
    }
  }
  if (value.startsWith("file://")) {
    const url = new URL(value);
    if (url.host !== "" || url.pathname === "/") throw new InputError("cache", `bad file URL; ${accepts}`);
    return { kind: "file", url: `file://${url.pathname}`, dir: decodeURIComponent(url.pathname) };
  }
  if (/^https?:\/\//.test(value)) {
    try {
      new URL(value);
    } catch {
      throw new InputError("cache", `'${value}' is not a valid URL; ${accepts}`);
    }
    return { kind: "http", url: value };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(value) || /^(local|daemon)(\?|$)/.test(value) || value.startsWith("/")) {
    return { kind: "nix-copy", url: value };
  }
  throw new InputError("cache", `'${value}' is not a cache URI; ${accepts}`);
}
function publicKeys(text) {
  const keys = list(text, /\s+/);
  for (const k of keys) {
    const [name, b64] = k.split(":");
    if (!name || !b64 || Buffer.from(b64, "base64").length !== 32) {
      throw new InputError("public-keys", `expected whitespace-separated name:base64 ed25519 public keys, got '${k}'`);
    }
  }
  return keys;
}
function regexes(text) {
  return list(text, /\n/).map((src) => {
    try {
      return new RegExp(src);
    } catch (e) {
      throw new InputError("exclude", `expected JavaScript regular expressions, one per line; '${src}': ${e.message}`);
    }
  });
}
function header(text) {
  if (text === "") return void 0;
  const i = text.indexOf(":");
  const name = i > 0 ? text.slice(0, i).trim() : "";
  if (!/^[A-Za-z0-9-]+$/.test(name)) {
    throw new InputError("auth-header", "expected 'Name: value', for example 'Authorization: Bearer <token>'");
  }
  return { name, value: text.slice(i + 1).trim() };
}
function chooseCompression(input, cache) {
  const fromUri = input === "" && cache.kind === "s3" ? cache.s3.compression : void 0;
  const value = input || fromUri || "zstd";
  if (value === "zstd" || value === "xz" || value === "none") return value;
  if (fromUri !== void 0) {
    throw new InputError("cache", `compression=${fromUri} in the URI: this action writes zstd, xz or none (or set the compression input)`);
  }
  throw new InputError("compression", `expected zstd, xz or none, got '${value}'`);
}
var SIZE_UNITS = { "": 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };
function parseSize(name, text) {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?$/i.exec(text);
  const bytes = m ? Math.floor(Number(m[1]) * (SIZE_UNITS[(m[2] ?? "").toUpperCase()] ?? NaN)) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new InputError(name, `expected a size such as 4G, 500M or 1.5GiB (binary units), got '${text}'`);
  }
  return bytes;
}
function keyPrefix(text) {
  if (text.includes(",") || /\s/.test(text) || text.length > 200) {
    throw new InputError("key-prefix", `expected at most 200 characters without commas or spaces, got '${text}'`);
  }
  return text;
}
function parseInputs(raw) {
  const secretText = raw("secret-key");
  let secretKey;
  if (secretText !== "") {
    try {
      secretKey = parseSecretKey(secretText);
    } catch {
      throw new InputError("secret-key", "expected a Nix signing key name:base64, as `nix-store --generate-binary-cache-key` writes it");
    }
  }
  const cache = parseCache(raw("cache"));
  const compression = chooseCompression(raw("compression"), cache);
  const par = raw("parallelism") || "8";
  const parallelism = Number(par);
  if (!/^\d+$/.test(par) || parallelism < 1 || parallelism > 64) {
    throw new InputError("parallelism", `expected a whole number from 1 to 64, got '${par}'`);
  }
  return {
    cache,
    secretKey,
    secretKeyText: secretKey ? secretText : void 0,
    publicKeys: publicKeys(raw("public-keys")),
    installables: list(raw("installables"), /\n/),
    skipSignedBy: list(raw("skip-signed-by"), /[\s,]+/),
    exclude: regexes(raw("exclude")),
    includeDerivations: bool(raw, "include-derivations"),
    pushPreExisting: bool(raw, "push-pre-existing"),
    dryRun: bool(raw, "dry-run"),
    compression,
    parallelism,
    authHeader: header(raw("auth-header")),
    netrcFile: raw("netrc-file") || void 0,
    pull: raw("pull") === "" ? true : bool(raw, "pull"),
    strict: bool(raw, "strict"),
    keyPrefix: keyPrefix(raw("key-prefix") || "nix-buildtime-cache"),
    maxSize: parseSize("max-size", raw("max-size") || "4G")
  };
}
function readInputs(raw) {
  for (const secret of ["secret-key", "auth-header"]) {
    const v = raw(secret);
    if (v) host().setSecret(v);
  }
  const secretText = raw("secret-key");
  if (secretText.includes(":")) host().setSecret(secretText.slice(secretText.indexOf(":") + 1));
  const header2 = raw("auth-header");
  if (header2.includes(":")) host().setSecret(header2.slice(header2.indexOf(":") + 1).trim());
  return parseInputs(raw);
}

// src/job.ts
import { mkdir, rm } from "node:fs/promises";
import { join as join2 } from "node:path";
import { randomBytes } from "node:crypto";

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
  const info2 = {
    path,
    narHash: narHashOf(e["narHash"], path),
    narSize,
    references: [...new Set(refs.map((r) => fullPath(r, storeDir)))].sort(),
    signatures: sigs.map((s) => signatureOf(s, path)),
    ultimate: e["ultimate"] === true
  };
  if (typeof deriver === "string" && deriver !== "") info2.deriver = fullPath(deriver, storeDir);
  const ca = caOf(e["ca"], path);
  if (ca !== void 0) info2.ca = ca;
  return info2;
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
    const info2 = doc["info"];
    if (isObject(info2) && typeof doc["version"] === "number") return parseKeyed(info2, storeDirOf(doc, dir));
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
  for (const info2 of await query(others, [], storeDir)) result.set(info2.path, info2);
  if (drvs.length > 0) {
    const probe = await query(drvs.slice(0, 1), [], storeDir, true);
    const literal = probe.some((i) => i.path === drvs[0]);
    const infos = await query(drvs, literal ? [] : ["--derivation"], storeDir);
    for (const info2 of infos) if (isDerivation(info2.path)) result.set(info2.path, info2);
  }
  return result;
}

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

// src/collect.ts
async function collectJobFacts(state, store, opts) {
  const before = await loadSnapshot(state.snapshotFile);
  const after = await takeSnapshot(store, before.method);
  let newPaths = diffSnapshots(before.names, after.names).map((n) => `${store.storeDir}/${n}`);
  if (after.method === "dir") newPaths = await validPaths(newPaths);
  log.info(`${newPaths.length} new valid store paths since the main step (of ${after.names.length}).`);
  const roots = opts.installables.length > 0 ? await resolveRoots(opts.installables, store.storeDir) : newPaths.filter(isDerivation);
  const closure = roots.length > 0 ? await buildClosure(roots) : /* @__PURE__ */ new Set();
  log.info(`Build closure of ${roots.length} root(s): ${closure.size} paths.`);
  const fresh = new Set(newPaths);
  const wanted = newPaths.filter((p) => !isDerivation(p) || opts.includeDerivations && closure.has(p));
  if (opts.pushPreExisting) {
    for (const p of closure) if (!fresh.has(p) && (!isDerivation(p) || opts.includeDerivations)) wanted.push(p);
  }
  const infos = wanted.length > 0 ? await queryPathInfos(wanted, store.storeDir) : /* @__PURE__ */ new Map();
  return { newPaths, closure, infos };
}

// src/report.ts
import { writeFile as writeFile2 } from "node:fs/promises";
import { join } from "node:path";

// src/origins.ts
function classifyOrigins(infos) {
  const built = /* @__PURE__ */ new Set();
  const substituted = /* @__PURE__ */ new Map();
  for (const info2 of infos) {
    if (info2.ultimate) {
      built.add(info2.deriver ?? info2.path);
    } else if (info2.signatures.length > 0) {
      const keys = [...new Set(info2.signatures.map((s) => s.slice(0, s.indexOf(":"))))].sort().join(", ");
      const list2 = substituted.get(keys) ?? [];
      list2.push(info2.path);
      substituted.set(keys, list2);
    }
  }
  return { builtLocally: [...built].sort(), substituted };
}

// src/report.ts
async function report(cache, facts, result, startedAt) {
  const { pushed } = result.outcome;
  const pathsFile = join(host().tempDir, `nix-buildtime-cache-pushed-${process.pid}.txt`);
  await writeFile2(pathsFile, pushed.map((p) => `${p.path}
`).join(""));
  const skippedCount = Object.entries(result.selection.skipped).filter(([reason]) => reason !== "pre-existing").reduce((a, [, paths]) => a + paths.length, 0);
  host().setOutput("pushed-count", pushed.length);
  host().setOutput("pushed-bytes", pushed.reduce((a, p) => a + p.fileSize, 0));
  host().setOutput("nar-bytes", pushed.reduce((a, p) => a + p.narSize, 0));
  host().setOutput("skipped-count", skippedCount);
  host().setOutput("paths-file", pathsFile);
  const origins = classifyOrigins(facts.infos.values());
  const markdown = renderSummary({
    cache,
    mode: result.mode,
    note: result.note,
    selection: result.selection,
    outcome: result.outcome,
    narSizes: new Map([...facts.infos].map(([p, i]) => [p, i.narSize])),
    builtLocally: origins.builtLocally,
    substituted: origins.substituted,
    seconds: (Date.now() - startedAt) / 1e3
  });
  await host().writeSummary(markdown);
  const verb = result.mode === "push" ? "Pushed" : "Selected";
  const count = result.mode === "push" ? pushed.length : result.selection.push.length;
  log.info(`${verb} ${count} paths to ${cache}; ${skippedCount} new paths not pushed.`);
}

// src/state.ts
var KEY = "nix_buildtime_cache";
function saveMainState(state) {
  host().saveState(KEY, JSON.stringify(state));
}
function loadMainState() {
  const raw = host().getState(KEY);
  if (!raw) return void 0;
  try {
    const s = JSON.parse(raw);
    if (typeof s.snapshotFile === "string" && (s.method === "db" || s.method === "dir")) {
      return { snapshotFile: s.snapshotFile, method: s.method };
    }
  } catch {
  }
  return void 0;
}

// src/job.ts
async function snapshotStore(store) {
  const startedAt = Date.now();
  const snapshot = await takeSnapshot(store);
  const dir = join2(host().tempDir, "nix-buildtime-cache");
  await mkdir(dir, { recursive: true });
  const snapshotFile = join2(dir, `snapshot-${randomBytes(6).toString("hex")}`);
  await saveSnapshot(snapshotFile, snapshot);
  saveMainState({ snapshotFile, method: snapshot.method });
  const source = snapshot.method === "db" ? "Nix database" : "store directory";
  log.info(`Recorded ${snapshot.names.length} store paths (${source}) in ${Date.now() - startedAt} ms.`);
}
async function beginJob(inputs) {
  const store = await locateStore();
  await snapshotStore(store);
  if (inputs.cache.kind === "file") await new FileBackend(inputs.cache.dir).prepare(store.storeDir);
  await configurePull(inputs, store);
  if (inputs.cache.kind === "github-actions") {
    const { restoreGithubActionsCache } = await import("./restore-ZEVRGRFO.js");
    await restoreGithubActionsCache(inputs, store);
  }
}
async function finishJob(inputs) {
  const startedAt = Date.now();
  const state = loadMainState();
  if (!state) {
    log.warning("nix-buildtime-cache: the main step recorded no store snapshot (did it fail?), so nothing is pushed.");
    return void 0;
  }
  try {
    const store = await locateStore();
    const facts = await collectJobFacts(state, store, inputs);
    const result = inputs.cache.kind === "github-actions" ? await (await import("./save-EW62PQNM.js")).saveToGithubActionsCache(inputs, store, facts) : await selectAndPush(inputs, store, facts);
    await report(displayUrl(inputs.cache.url), facts, result, startedAt);
    const problems = result.outcome.failed.length;
    if (problems > 0) {
      const first = result.outcome.failed[0];
      reportFailure(new Error(`${problems} path(s) could not be pushed; first: ${first.path}: ${first.reason}`), inputs.strict);
    }
    for (const p of result.outcome.vanished) log.warning(`${p} disappeared before it could be pushed (garbage-collected?).`);
    return { facts, result };
  } catch (e) {
    reportFailure(e, inputs.strict);
    return void 0;
  } finally {
    await rm(state.snapshotFile, { force: true });
  }
}
function displayUrl(url) {
  return url.replace(/\/\/[^/@]*@/, "//").replace(/\?.*$/, "");
}

export {
  githubHost,
  actionInput,
  reportFailure,
  InputError,
  readInputs,
  beginJob,
  finishJob
};
