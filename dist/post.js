import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  batches,
  diffSnapshots,
  fingerprint,
  formatNix32Hash,
  fromNix32,
  info,
  lines,
  loadMainState,
  loadSnapshot,
  locateStore,
  notice,
  parseHash,
  readInputs,
  reportFailure,
  runNix,
  setOutput,
  summary,
  takeSnapshot,
  toNix32,
  validPaths,
  warning
} from "./chunks/chunk-WN6SSQPS.js";

// src/post.ts
import { rm as rm3 } from "node:fs/promises";

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
  constructor(message2) {
    super(`cannot parse nix path-info JSON: ${message2}`);
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

// src/collect.ts
async function collectJobFacts(state, store, opts) {
  const before = await loadSnapshot(state.snapshotFile);
  const after = await takeSnapshot(store, before.method);
  let newPaths = diffSnapshots(before.names, after.names).map((n) => `${store.storeDir}/${n}`);
  if (after.method === "dir") newPaths = await validPaths(newPaths);
  info(`${newPaths.length} new valid store paths since the main step (of ${after.names.length}).`);
  const roots = opts.installables.length > 0 ? await resolveRoots(opts.installables, store.storeDir) : newPaths.filter(isDerivation);
  const closure = roots.length > 0 ? await buildClosure(roots) : /* @__PURE__ */ new Set();
  info(`Build closure of ${roots.length} root(s): ${closure.size} paths.`);
  const wanted = newPaths.filter((p) => !isDerivation(p) || opts.includeDerivations && closure.has(p));
  const infos = wanted.length > 0 ? await queryPathInfos(wanted, store.storeDir) : /* @__PURE__ */ new Map();
  return { newPaths, closure, infos };
}

// src/backends/file.ts
import { mkdir, readFile, rename, rm, access, writeFile } from "node:fs/promises";
import { createWriteStream } from "node:fs";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { randomBytes } from "node:crypto";

// src/backends/cache-info.ts
function cacheInfoText(storeDir) {
  return `StoreDir: ${storeDir}
WantMassQuery: 1
Priority: 41
`;
}
function readCacheInfoStoreDir(text) {
  return /^StoreDir:\s*(\S+)/m.exec(text)?.[1];
}

// src/backends/file.ts
var FileBackend = class {
  constructor(dir) {
    this.dir = dir;
  }
  dir;
  get displayUrl() {
    return `file://${this.dir}`;
  }
  async prepare(storeDir) {
    await mkdir(join(this.dir, "nar"), { recursive: true });
    const file = join(this.dir, "nix-cache-info");
    let existing;
    try {
      existing = await readFile(file, "utf8");
    } catch {
      await writeFile(file, cacheInfoText(storeDir));
      return;
    }
    const theirs = readCacheInfoStoreDir(existing);
    if (theirs && theirs !== storeDir) {
      throw new Error(`${this.displayUrl} is a cache for ${theirs}, not ${storeDir}`);
    }
  }
  async existing(hashParts) {
    const found = await Promise.all(
      hashParts.map(async (h) => {
        try {
          await access(join(this.dir, `${h}.narinfo`));
          return h;
        } catch {
          return void 0;
        }
      })
    );
    return new Set(found.filter((h) => h !== void 0));
  }
  /** Writes to a temporary name and renames, so readers never see a partial file. */
  async put(key, body) {
    const target = join(this.dir, key);
    const tmp = `${target}.tmp-${randomBytes(6).toString("hex")}`;
    await mkdir(dirname(target), { recursive: true });
    try {
      await pipeline(body(), createWriteStream(tmp));
      await rename(tmp, target);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }
};

// src/backends/http.ts
import { STATUS_CODES } from "node:http";
import { Readable } from "node:stream";
import { types as types2 } from "node:util";

// src/backends/backend.ts
var CONTENT_TYPES = {
  nar: "application/x-nix-nar",
  narinfo: "text/x-nix-narinfo",
  cacheInfo: "text/x-nix-cache-info"
};

// src/netrc.ts
import { readFile as readFile2 } from "node:fs/promises";
import { homedir } from "node:os";
import { join as join2 } from "node:path";
var Tokenizer = class {
  constructor(text) {
    this.text = text;
  }
  text;
  pos = 0;
  next() {
    const t = this.text;
    while (this.pos < t.length && /\s/.test(t[this.pos])) this.pos++;
    if (this.pos >= t.length) return void 0;
    if (t[this.pos] === '"') {
      this.pos++;
      let out = "";
      while (this.pos < t.length && t[this.pos] !== '"') {
        let c = t[this.pos++];
        if (c === "\\" && this.pos < t.length) {
          const e = t[this.pos++];
          c = e === "n" ? "\n" : e === "r" ? "\r" : e === "t" ? "	" : e;
        }
        out += c;
      }
      this.pos++;
      return out;
    }
    const start = this.pos;
    while (this.pos < t.length && !/\s/.test(t[this.pos])) this.pos++;
    return t.slice(start, this.pos);
  }
  skipLine() {
    const nl = this.text.indexOf("\n", this.pos);
    this.pos = nl === -1 ? this.text.length : nl + 1;
  }
  /** A macro body runs from the line after `macdef name` up to the first empty line. */
  skipMacroBody() {
    this.skipLine();
    while (this.pos < this.text.length) {
      const nl = this.text.indexOf("\n", this.pos);
      const line = this.text.slice(this.pos, nl === -1 ? void 0 : nl);
      this.pos = nl === -1 ? this.text.length : nl + 1;
      if (line.trim() === "") return;
    }
  }
};
function parseNetrc(text) {
  const entries = [];
  const tok = new Tokenizer(text.replace(/\r\n/g, "\n"));
  let current;
  for (let t = tok.next(); t !== void 0; t = tok.next()) {
    switch (t) {
      case "machine": {
        const machine = tok.next();
        current = machine === void 0 ? void 0 : { machine };
        if (current !== void 0) entries.push(current);
        break;
      }
      case "default":
        current = {};
        entries.push(current);
        break;
      case "login":
      case "password":
      case "account": {
        const value = tok.next();
        if (current !== void 0 && value !== void 0) current[t] = value;
        break;
      }
      case "macdef":
        tok.next();
        tok.skipMacroBody();
        break;
      default:
        if (t.startsWith("#")) tok.skipLine();
    }
  }
  return entries;
}
function credentialsFor(host, entries) {
  const h = host.toLowerCase();
  return entries.find((e) => e.machine !== void 0 && e.machine.toLowerCase() === h) ?? entries.find((e) => e.machine === void 0);
}
function netrcPath(file) {
  if (file !== void 0 && file !== "") return file;
  const env = process.env["NETRC"];
  if (env !== void 0 && env !== "") return env;
  return join2(process.env["HOME"] || homedir(), ".netrc");
}
async function loadNetrc(file) {
  let text;
  try {
    text = await readFile2(netrcPath(file), "utf8");
  } catch (e) {
    const code2 = e.code;
    if (code2 === "ENOENT" || code2 === "ENOTDIR") return [];
    throw e;
  }
  return parseNetrc(text);
}

// src/retry.ts
import { types } from "node:util";
var RetryableHttpError = class extends Error {
  status;
  retryAfterMs;
  constructor(message2, status, retryAfterMs) {
    super(message2);
    this.name = "RetryableHttpError";
    this.status = status;
    if (retryAfterMs !== void 0) this.retryAfterMs = retryAfterMs;
  }
};
var DEFAULT_RETRY_OPTIONS = {
  attempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 3e4,
  maxRetryAfterMs: 12e4,
  isRetryable: isTransientError,
  onRetry: () => {
  },
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random
};
var TRANSIENT_CODES = /* @__PURE__ */ new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CLOSED"
]);
function errorCode(e) {
  if (typeof e === "object" && e !== null && "code" in e) {
    const code2 = e.code;
    if (typeof code2 === "string") return code2;
  }
  return void 0;
}
function isTransientError(e) {
  if (e instanceof RetryableHttpError) return true;
  const code2 = errorCode(e);
  if (code2 !== void 0 && TRANSIENT_CODES.has(code2)) return true;
  if (types.isNativeError(e) && e.name === "TypeError" && e.cause !== void 0) return true;
  return false;
}
function backoffDelay(attempt, baseDelayMs, maxDelayMs, random = Math.random) {
  const window = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(window / 2 + random() * (window / 2));
}
function retryAfterOf(e) {
  if (e instanceof RetryableHttpError) return e.retryAfterMs;
  return void 0;
}
async function withRetry(fn, opts = {}) {
  const o = { ...DEFAULT_RETRY_OPTIONS, ...stripUndefined(opts) };
  const attempts = Math.max(1, Math.floor(o.attempts));
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt >= attempts || !o.isRetryable(e)) throw e;
      const retryAfter = retryAfterOf(e);
      const delay = retryAfter !== void 0 ? Math.min(Math.max(0, retryAfter), o.maxRetryAfterMs) : backoffDelay(attempt, o.baseDelayMs, o.maxDelayMs, o.random);
      o.onRetry(e, attempt, delay);
      await o.sleep(delay);
    }
  }
}
function stripUndefined(o) {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== void 0));
}
function parseRetryAfter(header, now = Date.now()) {
  if (header == null) return void 0;
  const value = header.trim();
  if (value === "") return void 0;
  if (/^\d+$/.test(value)) return Number(value) * 1e3;
  if (!/[a-z]/i.test(value)) return void 0;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return void 0;
  return Math.max(0, at - now);
}

// src/backends/http.ts
var HttpStatusError = class extends Error {
  constructor(message2, status) {
    super(message2);
    this.status = status;
    this.name = "HttpStatusError";
  }
  status;
};
function isRetryableStatus(status) {
  return status === 408 || status === 429 || status >= 500;
}
function statusLine(res) {
  const text = res.statusText || STATUS_CODES[res.status] || "";
  return `HTTP ${res.status}${text ? ` ${text}` : ""}`;
}
function describeError(e) {
  if (!types2.isNativeError(e)) return String(e);
  const cause = e.cause;
  if (types2.isNativeError(cause)) {
    const code2 = cause.code;
    return `${e.message}: ${cause.message}${code2 && !cause.message.includes(code2) ? ` (${code2})` : ""}`;
  }
  return e.message;
}
function finalError(what, e, attempts) {
  if (e instanceof HttpStatusError) return e;
  const tries = attempts > 1 ? ` (gave up after ${attempts} attempts)` : "";
  if (e instanceof RetryableHttpError) {
    return tries ? new RetryableHttpError(`${e.message}${tries}`, e.status, e.retryAfterMs) : e;
  }
  return new Error(`${what}: ${describeError(e)}${tries}`, { cause: e });
}
async function discard(res) {
  try {
    await res.body?.cancel();
  } catch {
  }
}
async function mapLimit(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return results;
}
var HttpBackend = class {
  displayUrl;
  base;
  host;
  concurrency;
  retry;
  warn;
  opts;
  authPromise;
  urlAuth;
  constructor(opts) {
    let url;
    try {
      url = new URL(opts.url);
    } catch {
      throw new Error("Invalid binary cache URL (expected http:// or https://)");
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new Error(`Unsupported binary cache URL scheme ${url.protocol} (expected http:// or https://)`);
    }
    if (url.username !== "" || url.password !== "") {
      const user = decodeURIComponent(url.username);
      const pass = decodeURIComponent(url.password);
      this.urlAuth = `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
    }
    this.base = `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
    this.displayUrl = this.base;
    this.host = url.hostname;
    this.concurrency = opts.concurrency ?? 32;
    this.retry = opts.retry ?? {};
    this.warn = opts.warn ?? (() => {
    });
    this.opts = opts;
  }
  /** Resolved once: reading netrc for every request would be wasteful. */
  auth() {
    this.authPromise ??= (async () => {
      const { authHeader, netrcFile } = this.opts;
      if (authHeader) return { [authHeader.name]: authHeader.value };
      if (this.urlAuth) return { Authorization: this.urlAuth };
      const entry = credentialsFor(this.host, await loadNetrc(netrcFile));
      if (entry?.login === void 0 && entry?.password === void 0) return {};
      const basic = Buffer.from(`${entry.login ?? ""}:${entry.password ?? ""}`).toString("base64");
      return { Authorization: `Basic ${basic}` };
    })();
    return this.authPromise;
  }
  retryOptions(what) {
    const userOnRetry = this.retry.onRetry;
    return {
      ...this.retry,
      onRetry: (e, attempt, delayMs) => {
        this.warn(`${what}: ${describeError(e)}; retrying in ${(delayMs / 1e3).toFixed(1)} s (attempt ${attempt + 1})`);
        userOnRetry?.(e, attempt, delayMs);
      }
    };
  }
  retryable(what, res) {
    return new RetryableHttpError(
      `${what}: ${statusLine(res)}`,
      res.status,
      parseRetryAfter(res.headers.get("retry-after"))
    );
  }
  async existing(hashParts) {
    const headers = await this.auth();
    const present = await mapLimit(hashParts, this.concurrency, async (hash) => {
      const url = `${this.base}/${hash}.narinfo`;
      const what = `HEAD ${this.displayUrl}/${hash}.narinfo`;
      try {
        return await withRetry(async () => {
          const res = await fetch(url, { method: "HEAD", headers });
          await discard(res);
          if (res.ok) return true;
          if (res.status === 404 || res.status === 403) return false;
          if (isRetryableStatus(res.status)) throw this.retryable(what, res);
          this.warn(`${what}: ${statusLine(res)}; assuming it is not cached`);
          return false;
        }, this.retryOptions(what));
      } catch (e) {
        this.warn(`${what}: ${describeError(e)}; assuming it is not cached`);
        return false;
      }
    });
    return new Set(hashParts.filter((_, i) => present[i]));
  }
  async put(key, body, contentType) {
    const headers = { ...await this.auth(), "Content-Type": contentType };
    const url = `${this.base}/${key}`;
    const what = `PUT ${this.displayUrl}/${key}`;
    let attempts = 0;
    try {
      await withRetry(async (attempt) => {
        attempts = attempt;
        const stream = body();
        try {
          const res = await fetch(url, {
            method: "PUT",
            headers,
            body: Readable.toWeb(stream),
            duplex: "half",
            // A streamed body cannot be replayed to a redirect target, so report redirects instead.
            redirect: "manual"
          });
          await discard(res);
          if (res.ok) return;
          if (isRetryableStatus(res.status)) throw this.retryable(what, res);
          throw new HttpStatusError(`${what}: ${statusLine(res)}`, res.status);
        } finally {
          stream.destroy();
        }
      }, this.retryOptions(what));
    } catch (e) {
      throw finalError(what, e, attempts);
    }
  }
  async prepare(storeDir) {
    const what = `GET ${this.displayUrl}/nix-cache-info`;
    const headers = await this.auth();
    let attempts = 0;
    const existing = await withRetry(async (attempt) => {
      attempts = attempt;
      const res = await fetch(`${this.base}/nix-cache-info`, { headers });
      if (res.ok) return await res.text();
      await discard(res);
      if (res.status === 404 || res.status === 403) return void 0;
      if (isRetryableStatus(res.status)) throw this.retryable(what, res);
      throw new HttpStatusError(`${what}: ${statusLine(res)}`, res.status);
    }, this.retryOptions(what)).catch((e) => {
      throw finalError(what, e, attempts);
    });
    if (existing === void 0) {
      const text = cacheInfoText(storeDir);
      await this.put("nix-cache-info", () => Readable.from([Buffer.from(text)]), CONTENT_TYPES.cacheInfo);
      return;
    }
    const theirs = readCacheInfoStoreDir(existing);
    if (theirs !== void 0 && theirs !== storeDir) {
      throw new Error(
        `${this.displayUrl} is a binary cache for store directory ${theirs}, but this machine's store is ${storeDir}`
      );
    }
  }
};

// src/backends/index.ts
function binaryCacheBackend(inputs) {
  const { cache } = inputs;
  if (cache.kind === "file") return new FileBackend(cache.dir);
  if (cache.kind === "http") {
    return new HttpBackend({ url: cache.url, authHeader: inputs.authHeader, netrcFile: inputs.netrcFile });
  }
  return void 0;
}

// src/backends/nix-copy.ts
import { chmod, mkdtemp, rm as rm2, writeFile as writeFile2 } from "node:fs/promises";
import { join as join3 } from "node:path";
import { tmpdir } from "node:os";
async function pushWithNixCopy(paths, opts) {
  const outcome = { pushed: [], failed: [], vanished: [] };
  if (paths.length === 0) return outcome;
  if (opts.secretKeyText) await signLocally(paths, opts.secretKeyText);
  for (const batch of batches(paths)) {
    const r = await runNix("nix", ["copy", "--to", opts.uri, ...batch], { allowFailure: true });
    if (r.exitCode === 0) {
      for (const p of batch) outcome.pushed.push({ path: p, narSize: opts.narSizes.get(p) ?? 0, fileSize: 0 });
    } else {
      const reason = `nix copy failed: ${r.stderr.trim().split("\n").slice(-2).join(" ")}`;
      for (const p of batch) outcome.failed.push({ path: p, reason });
    }
  }
  return outcome;
}
async function signLocally(paths, keyText) {
  const dir = await mkdtemp(join3(process.env.RUNNER_TEMP || tmpdir(), "nix-buildtime-cache-key-"));
  const keyFile = join3(dir, "secret-key");
  try {
    await writeFile2(keyFile, keyText, { mode: 384 });
    await chmod(keyFile, 384);
    for (const batch of batches(paths)) {
      const r = await runNix("nix", ["store", "sign", "--recursive", "--key-file", keyFile, ...batch], { allowFailure: true });
      if (r.exitCode !== 0) {
        warning(`Could not sign paths locally (${r.stderr.trim().split("\n").pop()}); they are copied unsigned.`);
        return;
      }
    }
  } finally {
    await rm2(dir, { recursive: true, force: true });
  }
}

// src/selection.ts
var SKIP_REASONS = [
  "pre-existing",
  "upstream-signed",
  "already-cached",
  "excluded",
  "outside-closure",
  "derivation"
];
function emptySkipped() {
  return {
    "pre-existing": [],
    "outside-closure": [],
    derivation: [],
    excluded: [],
    "upstream-signed": [],
    "already-cached": []
  };
}
var keyName = (sig) => sig.slice(0, sig.indexOf(":"));
function reasonFor(path, input) {
  const { policy } = input;
  if (!input.closure.has(path)) return "outside-closure";
  if (!policy.includeDerivations && path.endsWith(".drv")) return "derivation";
  if (policy.exclude.some((re) => re.test(path))) return "excluded";
  const sigs = input.signatures.get(path) ?? [];
  if (sigs.some((s) => policy.skipSignedBy.includes(keyName(s)))) return "upstream-signed";
  return void 0;
}
function selectPaths(input) {
  const skipped = emptySkipped();
  const push = [];
  const fresh = new Set(input.newPaths);
  for (const path of input.newPaths) {
    const reason = reasonFor(path, input);
    if (reason) skipped[reason].push(path);
    else push.push(path);
  }
  for (const path of input.closure) if (!fresh.has(path)) skipped["pre-existing"].push(path);
  return { push, skipped };
}
function withoutCached(selection, cached) {
  const push = selection.push.filter((p) => !cached.has(p));
  const already = selection.push.filter((p) => cached.has(p));
  return { push, skipped: { ...selection.skipped, "already-cached": [...selection.skipped["already-cached"], ...already] } };
}

// src/upload/pipeline.ts
import { lstat } from "node:fs/promises";
import { join as join4 } from "node:path";
import { Readable as Readable3, pipeline as pipeline2 } from "node:stream";

// src/compression.ts
import { spawn } from "node:child_process";
import { Duplex, PassThrough } from "node:stream";
import * as zlib from "node:zlib";
var NAR_EXTENSION = { zstd: ".nar.zst", xz: ".nar.xz", none: ".nar" };
var CHUNK = 1 << 20;
function compressor(kind) {
  if (kind === "none") return new PassThrough({ highWaterMark: CHUNK });
  if (kind === "zstd") {
    return zlib.createZstdCompress({ chunkSize: CHUNK, params: { [zlib.constants.ZSTD_c_compressionLevel]: 3 } });
  }
  const child = spawn("xz", ["-c", "-T0", "-6"], { stdio: ["pipe", "pipe", "ignore"] });
  const duplex = Duplex.from({ writable: child.stdin, readable: child.stdout });
  child.on("error", (e) => duplex.destroy(e));
  child.on("close", (code2) => {
    if (code2 !== 0) duplex.destroy(new Error(`xz exited with ${code2}`));
  });
  return duplex;
}

// src/nar.ts
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync } from "node:fs";
import { open } from "node:fs/promises";
import { Readable as Readable2 } from "node:stream";
var READ_CHUNK = 1024 * 1024;
var BATCH = 64 * 1024;
var SMALL_FILE = 64 * 1024;
var MAX_BLOCK_MS = 10;
var S_IFMT = 61440;
var S_IFREG = 32768;
var S_IFDIR = 16384;
var S_IFLNK = 40960;
var S_IXUSR = 64;
var ZEROS = Buffer.alloc(8);
var SLASH = Buffer.from("/");
function narStream(fsPath) {
  return Readable2.from(serialise(Buffer.from(fsPath)), { objectMode: false, highWaterMark: READ_CHUNK });
}
var NarWriter = class {
  pending = [];
  pendingSize = 0;
  ready = [];
  lastBreak = performance.now();
  add(buf) {
    if (buf.length >= BATCH) {
      this.flush();
      this.ready.push(buf);
      return;
    }
    this.pending.push(buf);
    this.pendingSize += buf.length;
    if (this.pendingSize >= BATCH) this.flush();
  }
  /** Length-prefixed, zero-padded NAR string. */
  str(s) {
    if (typeof s === "string") {
      this.add(token(s));
      return;
    }
    this.add(u64(s.length));
    this.add(s);
    this.pad(s.length);
  }
  pad(length) {
    const rem = length % 8;
    if (rem !== 0) this.add(ZEROS.subarray(0, 8 - rem));
  }
  take() {
    const out = this.ready;
    this.ready = [];
    return out;
  }
  flush() {
    if (this.pendingSize === 0) return;
    this.ready.push(this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingSize));
    this.pending = [];
    this.pendingSize = 0;
  }
  /** Lets timers and network I/O run when synchronous reads have held the event loop too long. */
  async breathe() {
    if (performance.now() - this.lastBreak < MAX_BLOCK_MS) return;
    await new Promise((resolve) => setImmediate(resolve));
    this.lastBreak = performance.now();
  }
};
async function* serialise(path) {
  const out = new NarWriter();
  out.str("nix-archive-1");
  yield* dumpNode(path, out);
  out.flush();
  yield* out.take();
}
async function* dumpNode(path, out) {
  await out.breathe();
  const st = lstatSync(path);
  out.str("(");
  out.str("type");
  switch (st.mode & S_IFMT) {
    case S_IFREG:
      out.str("regular");
      if (st.mode & S_IXUSR) {
        out.str("executable");
        out.str("");
      }
      out.str("contents");
      out.add(u64(st.size));
      if (st.size <= SMALL_FILE) out.add(readSmallFile(path, st.size));
      else yield* readLargeFile(path, st.size, out);
      out.pad(st.size);
      break;
    case S_IFLNK:
      out.str("symlink");
      out.str("target");
      out.str(readlinkSync(path, { encoding: "buffer" }));
      break;
    case S_IFDIR: {
      out.str("directory");
      const names = readdirSync(path, { encoding: "buffer" }).sort(Buffer.compare);
      for (const name of names) {
        out.str("entry");
        out.str("(");
        out.str("name");
        out.str(name);
        out.str("node");
        yield* dumpNode(Buffer.concat([path, SLASH, name]), out);
        out.str(")");
        yield* out.take();
      }
      break;
    }
    default:
      throw new Error(`file '${path.toString()}' has an unsupported type`);
  }
  out.str(")");
}
function readSmallFile(path, size) {
  const buf = Buffer.allocUnsafe(size);
  const fd = openSync(path, "r");
  try {
    let filled = 0;
    while (filled < size) {
      const n = readSync(fd, buf, filled, size - filled, null);
      if (n === 0) throw changedSize(path);
      filled += n;
    }
  } finally {
    closeSync(fd);
  }
  return buf;
}
async function* readLargeFile(path, size, out) {
  const fh = await open(path, "r");
  try {
    let remaining = size;
    while (remaining > 0) {
      const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, remaining));
      let filled = 0;
      while (filled < buf.length) {
        const { bytesRead } = await fh.read(buf, filled, buf.length - filled, null);
        if (bytesRead === 0) throw changedSize(path);
        filled += bytesRead;
      }
      remaining -= filled;
      out.add(buf);
      yield* out.take();
    }
  } finally {
    await fh.close();
  }
}
function changedSize(path) {
  return new Error(`file '${path.toString()}' changed size while being archived`);
}
var TOKENS = /* @__PURE__ */ new Map();
function token(s) {
  let enc = TOKENS.get(s);
  if (enc === void 0) {
    const bytes = Buffer.from(s);
    enc = Buffer.concat([u64(bytes.length), bytes, ZEROS.subarray(0, (8 - bytes.length % 8) % 8)]);
    TOKENS.set(s, enc);
  }
  return enc;
}
function u64(n) {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(n % 4294967296, 0);
  b.writeUInt32LE(Math.floor(n / 4294967296), 4);
  return b;
}

// src/narinfo.ts
function renderNarInfo(info2) {
  let out = `StorePath: ${info2.storePath}
`;
  out += `URL: ${info2.url}
`;
  out += `Compression: ${info2.compression}
`;
  if (info2.fileHash !== "") out += `FileHash: ${normaliseHash(info2.fileHash)}
`;
  if (info2.fileSize !== 0) out += `FileSize: ${info2.fileSize}
`;
  out += `NarHash: ${formatNix32Hash(parseHash(info2.narHash))}
`;
  out += `NarSize: ${info2.narSize}
`;
  out += `References: ${[...new Set(info2.references.map(baseName))].sort().join(" ")}
`;
  if (info2.deriver !== void 0) out += `Deriver: ${baseName(info2.deriver)}
`;
  for (const sig of info2.sigs) out += `Sig: ${sig}
`;
  if (info2.ca !== void 0) out += `CA: ${info2.ca}
`;
  return out;
}
function narInfoKey(storePath) {
  const m = /^([0-9a-df-np-sv-z]{32})-/.exec(baseName(storePath));
  if (!m) throw new Error(`not a store path: '${storePath}'`);
  return `${m[1]}.narinfo`;
}
function baseName(path) {
  return path.slice(path.lastIndexOf("/") + 1);
}
function normaliseHash(value) {
  if (!value.startsWith("sha256")) return value;
  return formatNix32Hash(parseHash(value));
}

// src/upload/limiter.ts
function limiter(n) {
  let active = 0;
  const waiting = [];
  return async (task) => {
    if (active >= n) await new Promise((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

// src/upload/meter.ts
import { createHash } from "node:crypto";
import { Transform } from "node:stream";
var Meter = class extends Transform {
  hash = createHash("sha256");
  bytes = 0;
  _transform(chunk, _enc, done) {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }
  digest() {
    return this.hash.digest();
  }
};

// src/upload/pipeline.ts
var NarMismatch = class extends Error {
};
var message = (e) => e instanceof Error ? e.message : String(e);
function topologicalOrder(infos) {
  const byPath = new Map(infos.map((i) => [i.path, i]));
  const seen = /* @__PURE__ */ new Set();
  const out = [];
  const visit = (info2) => {
    if (seen.has(info2.path)) return;
    seen.add(info2.path);
    for (const r of info2.references) {
      const dep = byPath.get(r);
      if (dep) visit(dep);
    }
    out.push(info2);
  };
  for (const info2 of infos) visit(info2);
  return out;
}
async function exists(p) {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}
async function uploadNar(info2, opts) {
  const expected = parseHash(info2.narHash);
  const url = `nar/${formatNix32Hash(expected).slice("sha256:".length)}${NAR_EXTENSION[opts.compression]}`;
  const source = join4(opts.realStoreDir, info2.path.slice(info2.path.lastIndexOf("/") + 1));
  let meters;
  await opts.backend.put(
    url,
    () => {
      const nar = new Meter();
      const file = new Meter();
      meters = { nar, file };
      return pipeline2(narStream(source), nar, compressor(opts.compression), file, () => void 0);
    },
    CONTENT_TYPES.nar
  );
  if (!meters) throw new Error("the cache backend did not read the NAR");
  if (meters.nar.bytes !== info2.narSize || !meters.nar.digest().equals(expected)) {
    throw new NarMismatch(`its contents do not match the hash Nix recorded (store corruption?)`);
  }
  return { url, fileHash: formatNix32Hash(meters.file.digest()), fileSize: meters.file.bytes };
}
function narInfoText(info2, nar, opts) {
  const ours = opts.signer.sign(fingerprint(info2.path, info2.narHash, info2.narSize, info2.references));
  const keyName2 = ours.slice(0, ours.indexOf(":"));
  const sigs = [...info2.signatures.filter((s) => !s.startsWith(`${keyName2}:`)), ours];
  return renderNarInfo({
    storePath: info2.path,
    url: nar.url,
    compression: opts.compression,
    fileHash: nar.fileHash,
    fileSize: nar.fileSize,
    narHash: info2.narHash,
    narSize: info2.narSize,
    references: info2.references,
    deriver: info2.deriver,
    sigs,
    ca: info2.ca
  });
}
async function uploadPaths(infos, opts) {
  const outcome = { pushed: [], failed: [], vanished: [] };
  const limit = limiter(opts.parallelism);
  const committed = /* @__PURE__ */ new Map();
  const one = async (info2) => {
    const source = join4(opts.realStoreDir, info2.path.slice(info2.path.lastIndexOf("/") + 1));
    let nar;
    try {
      nar = await limit(async () => {
        if (!await exists(source)) throw new Vanished();
        return uploadNar(info2, opts);
      });
    } catch (e) {
      if (e instanceof Vanished || !await exists(source)) outcome.vanished.push(info2.path);
      else outcome.failed.push({ path: info2.path, reason: message(e) });
      return false;
    }
    const refs = info2.references.filter((r) => r !== info2.path && committed.has(r));
    const refsOk = (await Promise.all(refs.map((r) => committed.get(r)))).every(Boolean);
    if (!refsOk) {
      outcome.failed.push({ path: info2.path, reason: "a path it references could not be uploaded" });
      return false;
    }
    try {
      const text = narInfoText(info2, nar, opts);
      await opts.backend.put(narInfoKey(info2.path), () => Readable3.from([text]), CONTENT_TYPES.narinfo);
    } catch (e) {
      outcome.failed.push({ path: info2.path, reason: message(e) });
      return false;
    }
    outcome.pushed.push({ path: info2.path, narSize: info2.narSize, fileSize: nar.fileSize });
    return true;
  };
  for (const info2 of topologicalOrder(infos)) committed.set(info2.path, one(info2));
  await Promise.all(committed.values());
  return outcome;
}
var Vanished = class extends Error {
};

// src/push.ts
var hashPart = (p) => p.slice(p.lastIndexOf("/") + 1, p.lastIndexOf("/") + 33);
async function selectAndPush(inputs, store, facts) {
  const signatures = new Map([...facts.infos].map(([p, i]) => [p, i.signatures]));
  let selection = selectPaths({
    newPaths: facts.newPaths,
    closure: facts.closure,
    signatures,
    policy: { includeDerivations: inputs.includeDerivations, skipSignedBy: inputs.skipSignedBy, exclude: inputs.exclude }
  });
  const outcome = { pushed: [], failed: [], vanished: [] };
  const backend = binaryCacheBackend(inputs);
  if (!backend) {
    if (inputs.dryRun) return { selection, outcome, mode: "dry-run" };
    const narSizes = new Map([...facts.infos].map(([p, i]) => [p, i.narSize]));
    const copied = await pushWithNixCopy(selection.push, {
      uri: inputs.cache.url,
      secretKeyText: inputs.secretKeyText,
      narSizes
    });
    return { selection, outcome: copied, mode: "push" };
  }
  if (selection.push.length === 0) return { selection, outcome, mode: inputs.dryRun ? "dry-run" : "push" };
  const signer = inputs.secretKey;
  if (!inputs.dryRun && !signer) {
    const note = "No secret-key: this job only pulls from the cache (as on pull requests from forks). Nothing was uploaded.";
    notice(note);
    return { selection, outcome, mode: "pull-only", note };
  }
  if (!inputs.dryRun) await backend.prepare(store.storeDir);
  const present = await backend.existing(selection.push.map(hashPart));
  selection = withoutCached(selection, new Set(selection.push.filter((p) => present.has(hashPart(p)))));
  if (inputs.dryRun || !signer || selection.push.length === 0) return { selection, outcome, mode: inputs.dryRun ? "dry-run" : "push" };
  const infos = selection.push.map((p) => facts.infos.get(p)).filter((i) => i !== void 0);
  const result = await uploadPaths(infos, {
    backend,
    signer,
    compression: inputs.compression,
    parallelism: inputs.parallelism,
    realStoreDir: store.realStoreDir
  });
  return { selection, outcome: result, mode: "push" };
}

// src/report.ts
import { writeFile as writeFile3 } from "node:fs/promises";
import { join as join5 } from "node:path";
import { tmpdir as tmpdir2 } from "node:os";

// src/origins.ts
function classifyOrigins(infos) {
  const built = /* @__PURE__ */ new Set();
  const substituted = /* @__PURE__ */ new Map();
  for (const info2 of infos) {
    if (info2.ultimate) {
      built.add(info2.deriver ?? info2.path);
    } else if (info2.signatures.length > 0) {
      const keys = [...new Set(info2.signatures.map((s) => s.slice(0, s.indexOf(":"))))].sort().join(", ");
      const list = substituted.get(keys) ?? [];
      list.push(info2.path);
      substituted.set(keys, list);
    }
  }
  return { builtLocally: [...built].sort(), substituted };
}

// src/summary.ts
var REASON_TEXT = {
  "pre-existing": "in the build closure but already in the store before the job",
  "upstream-signed": "signed by an upstream cache (skip-signed-by), which serves them already",
  "already-cached": "already in this cache",
  excluded: "matched an `exclude` pattern",
  "outside-closure": "new, but not in the build closure of the job (roots)",
  derivation: ".drv files (set include-derivations to push them)"
};
var LIST_LIMIT = 30;
function formatBytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}
var code = (s) => `\`${s.replace(/`/g, "'")}\``;
function details(title, items, render = code) {
  if (items.length === 0) return "";
  const shown = items.slice(0, LIST_LIMIT).map((s) => `- ${render(s)}`);
  if (items.length > LIST_LIMIT) shown.push(`- \u2026 and ${items.length - LIST_LIMIT} more`);
  return `<details><summary>${title} (${items.length})</summary>

${shown.join("\n")}

</details>
`;
}
function renderSummary(r) {
  const pushed = r.outcome.pushed;
  const fileBytes = pushed.reduce((a, p) => a + p.fileSize, 0);
  const narBytes = pushed.reduce((a, p) => a + p.narSize, 0);
  const out = ["## Nix build-time cache\n"];
  const verb = r.mode === "push" ? "Pushed" : "Would push";
  const count = r.mode === "push" ? pushed.length : r.selection.push.length;
  const selectedNar = r.selection.push.reduce((a, p) => a + (r.narSizes.get(p) ?? 0), 0);
  const bytes = r.mode === "push" ? `${formatBytes(fileBytes)} compressed, ${formatBytes(narBytes)} NAR` : `${formatBytes(selectedNar)} NAR`;
  out.push(`**${verb} ${count} path${count === 1 ? "" : "s"}** (${bytes}) to ${code(r.cache)} in ${r.seconds.toFixed(1)} s.
`);
  if (r.note) out.push(`> ${r.note}
`);
  const problems = r.outcome.failed.length + r.outcome.vanished.length;
  if (problems > 0) {
    out.push(`**${r.outcome.failed.length} failed, ${r.outcome.vanished.length} vanished before upload.**
`);
    out.push(details("Failed", r.outcome.failed.map((f) => `${f.path}: ${f.reason}`)));
    out.push(details("Vanished (garbage-collected during the job)", r.outcome.vanished));
  }
  out.push("| Not pushed | Paths | NAR size | Why |\n|---|---:|---:|---|");
  for (const reason of SKIP_REASONS) {
    const paths = r.selection.skipped[reason];
    const size = paths.reduce((a, p) => a + (r.narSizes.get(p) ?? 0), 0);
    out.push(`| ${reason} | ${paths.length} | ${size ? formatBytes(size) : "\u2013"} | ${REASON_TEXT[reason]} |`);
  }
  out.push("");
  const listed = r.mode === "push" ? pushed.map((p) => p.path) : r.selection.push;
  const bySize = [...listed].sort((a, b) => (r.narSizes.get(b) ?? 0) - (r.narSizes.get(a) ?? 0));
  out.push(details(r.mode === "push" ? "Pushed, largest first" : "Selected, largest first", bySize, (p) => `${code(p)} ${formatBytes(r.narSizes.get(p) ?? 0)}`));
  out.push("### Why did this build from source?\n");
  out.push(
    `This job built **${r.builtLocally.length}** derivation${r.builtLocally.length === 1 ? "" : "s"} locally and substituted **${[...r.substituted.values()].reduce((a, l) => a + l.length, 0)}** paths.
`
  );
  out.push(details("Built locally", r.builtLocally));
  for (const [key, paths] of [...r.substituted].sort((a, b) => b[1].length - a[1].length)) {
    out.push(details(`Substituted, signed by ${code(key)}`, paths));
  }
  for (const reason of ["excluded", "outside-closure"]) {
    out.push(details(`Not pushed: ${reason}`, r.selection.skipped[reason]));
  }
  return out.filter((s) => s !== "").join("\n");
}

// src/report.ts
async function report(cache, facts, result, startedAt) {
  const { pushed } = result.outcome;
  const pathsFile = join5(process.env.RUNNER_TEMP || tmpdir2(), `nix-buildtime-cache-pushed-${process.pid}.txt`);
  await writeFile3(pathsFile, pushed.map((p) => `${p.path}
`).join(""));
  const skippedCount = Object.entries(result.selection.skipped).filter(([reason]) => reason !== "pre-existing").reduce((a, [, paths]) => a + paths.length, 0);
  setOutput("pushed-count", pushed.length);
  setOutput("pushed-bytes", pushed.reduce((a, p) => a + p.fileSize, 0));
  setOutput("nar-bytes", pushed.reduce((a, p) => a + p.narSize, 0));
  setOutput("skipped-count", skippedCount);
  setOutput("paths-file", pathsFile);
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
  if (process.env.GITHUB_STEP_SUMMARY) await summary.addRaw(markdown).write();
  else info(markdown);
  const verb = result.mode === "push" ? "Pushed" : "Selected";
  const count = result.mode === "push" ? pushed.length : result.selection.push.length;
  info(`${verb} ${count} paths to ${cache}; ${skippedCount} new paths not pushed.`);
}

// src/post.ts
async function post() {
  const startedAt = Date.now();
  let inputs;
  try {
    inputs = readInputs();
  } catch {
    return;
  }
  const state = loadMainState();
  if (!state) {
    warning("nix-buildtime-cache: the main step recorded no store snapshot (did it fail?), so nothing is pushed.");
    return;
  }
  try {
    const store = await locateStore();
    const facts = await collectJobFacts(state, store, inputs);
    const result = await selectAndPush(inputs, store, facts);
    await report(displayUrl(inputs.cache.url), facts, result, startedAt);
    const problems = result.outcome.failed.length;
    if (problems > 0) {
      const first = result.outcome.failed[0];
      reportFailure(new Error(`${problems} path(s) could not be pushed; first: ${first.path}: ${first.reason}`), inputs.strict);
    }
    for (const p of result.outcome.vanished) warning(`${p} disappeared before it could be pushed (garbage-collected?).`);
  } catch (e) {
    reportFailure(e, inputs.strict);
  } finally {
    await rm3(state.snapshotFile, { force: true });
  }
}
function displayUrl(url) {
  return url.replace(/\/\/[^/@]*@/, "//").replace(/\?.*$/, "");
}
await post();
