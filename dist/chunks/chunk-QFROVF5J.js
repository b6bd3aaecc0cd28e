#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  FileBackend,
  batches,
  credentialsFor,
  drvArgumentMeansOutputs,
  isNix23,
  lines,
  loadNetrc,
  nixVersion,
  runNix
} from "./chunk-62EGI3AM.js";
import {
  formatNix32Hash,
  fromNix32,
  toNix32
} from "./chunk-TU6JHRST.js";
import {
  CONTENT_TYPES,
  CacheUnavailableError,
  JobBudget,
  RetryableHttpError,
  cacheInfoText,
  jobBudget,
  parseRetryAfter,
  readCacheInfoStoreDir,
  retryLine,
  seconds,
  timings,
  withRetry
} from "./chunk-AEPLBNQV.js";
import {
  log
} from "./chunk-QUJN3JQ2.js";

// src/nix/snapshot.ts
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
var END = "end ";
async function saveSnapshot(file, snap) {
  const body = snap.names.length > 0 ? `${snap.names.join("\n")}
` : "";
  await writeFile(file, `${snap.method}
${body}${END}${snap.names.length}
`);
}
async function loadSnapshot(file) {
  const [method, ...names] = lines(await readFile(file, "utf8"));
  if (method !== "db" && method !== "dir") throw new Error(`${file} is not a snapshot`);
  const end = names.pop();
  if (end === void 0 || end !== `${END}${names.length}`) {
    throw new Error(`the store snapshot ${file} is truncated (was the disk full when the main step ran?), so the job's new paths cannot be told apart`);
  }
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
async function storeChanges(before, store) {
  const after = await takeSnapshot(store);
  let newPaths = diffSnapshots(before.names, after.names).map((n) => `${store.storeDir}/${n}`);
  if (after.method === "dir") newPaths = await validPaths(newPaths);
  return { newPaths, methods: `${before.method} \u2192 ${after.method}`, total: after.names.length };
}

// src/executors/binary-cache/http.ts
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { STATUS_CODES } from "node:http";
import { Readable, Transform, pipeline } from "node:stream";
import { types } from "node:util";
var RequestTimeout = class extends Error {
  /** Read by isTransientError: worth another attempt, as a dropped packet would be. */
  code = "ETIMEDOUT";
  constructor(message) {
    super(message);
    this.name = "RequestTimeout";
  }
};
var Watchdog = class {
  constructor(idleMs, hardDeadline) {
    this.idleMs = idleMs;
    this.hardDeadline = hardDeadline;
    this.schedule();
  }
  idleMs;
  hardDeadline;
  controller = new AbortController();
  started = Date.now();
  lastProgress = this.started;
  timer;
  get signal() {
    return this.controller.signal;
  }
  touch() {
    this.lastProgress = Date.now();
  }
  schedule() {
    const now = Date.now();
    const idleAt = this.lastProgress + this.idleMs;
    if (this.hardDeadline !== void 0 && now >= this.hardDeadline) {
      this.controller.abort(new CacheUnavailableError("the job's time budget for a failing cache ran out"));
      return;
    }
    if (now >= idleAt) {
      this.controller.abort(new RequestTimeout(`no answer for ${seconds(this.idleMs)}`));
      return;
    }
    const next = Math.min(idleAt, this.hardDeadline ?? Infinity);
    this.timer = setTimeout(() => this.schedule(), Math.max(1, next - now));
    this.timer.unref();
  }
  stop() {
    clearTimeout(this.timer);
  }
};
function channelOf(what) {
  const [method = "", url = ""] = what.split(" ");
  const kind = url.endsWith(".narinfo") ? "narinfo" : /\/nar\/[^/]+$/.test(url) ? "nar" : url.slice(url.lastIndexOf("/") + 1);
  return `${method} ${kind}`;
}
function failureKind(e) {
  if (e instanceof RequestTimeout) return "timeout";
  if (e instanceof RetryableHttpError) return "server-error";
  if (e instanceof HttpStatusError) return "refused";
  return "connection";
}
var HttpStatusError = class extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
    this.name = "HttpStatusError";
  }
  status;
};
var SPOOL_READ_CHUNK = 256 * 1024;
function isRetryableStatus(status) {
  return status === 408 || status === 429 || status >= 500;
}
function statusLine(res) {
  const text = res.statusText || STATUS_CODES[res.status] || "";
  return `HTTP ${res.status}${text ? ` ${text}` : ""}`;
}
function describeError(e) {
  if (!types.isNativeError(e)) return String(e);
  const cause = e.cause;
  if (types.isNativeError(cause)) {
    const code = cause.code;
    return `${e.message}: ${cause.message}${code && !cause.message.includes(code) ? ` (${code})` : ""}`;
  }
  return e.message;
}
function finalError(what, e, attempts) {
  if (e instanceof HttpStatusError || e instanceof CacheUnavailableError) return e;
  const tries = attempts > 1 ? ` (gave up after ${attempts} attempts)` : "";
  if (e instanceof RetryableHttpError) {
    return tries ? new RetryableHttpError(`${e.message}${tries}`, e.status, e.retryAfterMs) : e;
  }
  return new Error(`${what}: ${describeError(e)}${tries}`, { cause: e });
}
function causeOf(what, e) {
  const text = e instanceof RetryableHttpError || e instanceof HttpStatusError ? e.message : describeError(e);
  return text.startsWith(`${what}: `) ? text.slice(what.length + 2) : text;
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
  budget;
  idleMs;
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
    const t = timings();
    this.idleMs = opts.timings?.idleMs ?? t.idleMs;
    this.budget = opts.budget ?? new JobBudget({ budgetMs: t.jobBudgetMs, breakerThreshold: t.breakerThreshold });
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
  /**
   * One request, retried: every attempt runs under a watchdog, asks the job's budget first, and
   * reports its outcome to it, so that a dead or silent cache stops being asked. `attempt` gets
   * the watchdog's signal and `touch` (for body progress) and returns the result, or throws.
   */
  async request(what, attempt) {
    const channel = channelOf(what);
    let attempts = 0;
    const total = this.retry.attempts ?? timings().retryAttempts;
    const userOnRetry = this.retry.onRetry;
    try {
      const value = await withRetry(
        async (n) => {
          attempts = n;
          this.budget.check();
          const dog = new Watchdog(this.idleMs, this.budget.deadline());
          try {
            const v = await attempt(dog.signal, () => dog.touch());
            this.budget.succeeded(channel);
            return v;
          } catch (e) {
            const err = dog.signal.aborted ? dog.signal.reason : e;
            if (!(err instanceof CacheUnavailableError)) this.budget.attemptFailed(dog.lastProgress, `${causeOf(what, err)} from ${what}`);
            else this.budget.check();
            throw err;
          } finally {
            dog.stop();
          }
        },
        {
          ...this.retry,
          remainingMs: () => this.budget.remainingMs(),
          onRetry: (e, n, delayMs) => {
            log.info(retryLine(causeOf(what, e), what, n, total, delayMs));
            userOnRetry?.(e, n, delayMs);
          }
        }
      );
      return value;
    } catch (e) {
      if (!(e instanceof CacheUnavailableError)) this.budget.requestFailed(failureKind(e), `${causeOf(what, e)} from ${what}`, channel);
      throw finalError(what, e, attempts);
    }
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
    const failures = [];
    const present = await mapLimit(hashParts, this.concurrency, async (hash) => {
      const url = `${this.base}/${hash}.narinfo`;
      const what = `HEAD ${this.displayUrl}/${hash}.narinfo`;
      try {
        return await this.request(what, async (signal) => {
          const res = await fetch(url, { method: "HEAD", headers, signal });
          await discard(res);
          if (res.ok) return true;
          if (res.status === 404 || res.status === 403) return false;
          if (isRetryableStatus(res.status)) throw this.retryable(what, res);
          failures.push(`${what}: ${statusLine(res)}`);
          return false;
        });
      } catch (e) {
        if (e instanceof CacheUnavailableError) throw e;
        failures.push(describeError(e));
        return false;
      }
    });
    if (failures.length > 0) {
      const more = failures.length > 1 ? ` (and ${failures.length - 1} more)` : "";
      this.warn(`${failures[0]}${more}; assuming ${failures.length === 1 ? "it is" : "they are"} not cached`);
    }
    return new Set(hashParts.filter((_, i) => present[i]));
  }
  async put(key, body, contentType) {
    await this.send(key, contentType, {}, body);
  }
  /** A HEAD for a NAR; anything but a clear yes counts as absent (the upload then still refuses to overwrite). */
  async has(key) {
    const headers = await this.auth();
    const what = `HEAD ${this.displayUrl}/${key}`;
    try {
      return await this.request(what, async (signal) => {
        const res = await fetch(`${this.base}/${key}`, { method: "HEAD", headers, signal });
        await discard(res);
        if (res.ok) return true;
        if (isRetryableStatus(res.status)) throw this.retryable(what, res);
        return false;
      });
    } catch (e) {
      if (e instanceof CacheUnavailableError) throw e;
      return false;
    }
  }
  /**
   * A PUT of the verified file with `If-None-Match: *`, so a server that supports conditional
   * writes refuses to replace a NAR another job wrote meanwhile (412: it is there, which is fine).
   * The body is the file itself, so every retry re-reads it instead of serialising the path again.
   */
  async publish(key, file, contentType) {
    const { size } = await stat(file);
    const status = await this.send(key, contentType, { "If-None-Match": "*", "Content-Length": String(size) }, () => createReadStream(file, { highWaterMark: SPOOL_READ_CHUNK }));
    return status === 412 ? "existed" : "written";
  }
  /** One PUT, retried; answers the final status (2xx, or 412 for a conditional write that found the key). */
  async send(key, contentType, extra, body) {
    const headers = { ...await this.auth(), "Content-Type": contentType, ...extra };
    const url = `${this.base}/${key}`;
    const what = `PUT ${this.displayUrl}/${key}`;
    return this.request(what, async (signal, touch) => {
      const stream = body();
      const tap = new Transform({
        transform(chunk, _enc, done) {
          touch();
          done(null, chunk);
        }
      });
      const piped = pipeline(stream, tap, () => void 0);
      try {
        const res = await fetch(url, {
          method: "PUT",
          headers,
          body: Readable.toWeb(piped),
          duplex: "half",
          // A streamed body cannot be replayed to a redirect target, so redirects are refused.
          // 'error' rather than 'manual': for any other mode fetch clones the request, which
          // tees the body, and the unread branch keeps every byte sent: a 586 MB push peaked
          // at 456 MB of memory (issue 13).
          redirect: "error",
          signal
        }).catch((e) => {
          if (types.isNativeError(e) && types.isNativeError(e.cause) && e.cause.message === "unexpected redirect") {
            throw new HttpStatusError(`${what}: the server answered with a redirect, which an upload does not follow`, 300);
          }
          throw e;
        });
        await discard(res);
        if (res.ok) return res.status;
        if (res.status === 412 && extra["If-None-Match"] !== void 0) return 412;
        if (isRetryableStatus(res.status)) throw this.retryable(what, res);
        throw new HttpStatusError(`${what}: ${statusLine(res)}`, res.status);
      } finally {
        stream.destroy();
        piped.destroy();
      }
    });
  }
  async prepare(storeDir) {
    const what = `GET ${this.displayUrl}/nix-cache-info`;
    const headers = await this.auth();
    const existing = await this.request(what, async (signal) => {
      const res = await fetch(`${this.base}/nix-cache-info`, { headers, signal });
      if (res.ok) return await res.text();
      await discard(res);
      if (res.status === 404 || res.status === 403) return void 0;
      if (isRetryableStatus(res.status)) throw this.retryable(what, res);
      throw new HttpStatusError(`${what}: ${statusLine(res)}`, res.status);
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

// src/executors/index.ts
async function binaryCacheBackend(inputs) {
  const { cache } = inputs;
  if (cache.kind === "file") return new FileBackend(cache.dir);
  if (cache.kind === "http") {
    return new HttpBackend({
      url: cache.url,
      authHeader: inputs.authHeader,
      netrcFile: inputs.netrcFile,
      budget: jobBudget(),
      warn: (m) => log.warning(m)
    });
  }
  if (cache.kind === "s3") {
    const { S3Backend } = await import("./s3-W3MWDCWP.js");
    return new S3Backend({ location: cache.s3, budget: jobBudget(), warn: (m) => log.warning(m) });
  }
  return void 0;
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
  const legacy = isNix23(await nixVersion());
  for (const item of installables) {
    const kind = classifyInstallable(item, storeDir);
    if (kind === "derivation") {
      roots.push(item);
    } else if (kind === "store-path") {
      roots.push(await validDeriver(item) ?? item);
    } else if (legacy) {
      const r = await runNix("nix", ["path-info", item]);
      for (const out of lines(r.stdout)) roots.push(await validDeriver(out) ?? out);
    } else {
      const r = await runNix("nix", ["path-info", "--derivation", item], { extraConfig: "extra-experimental-features = flakes" });
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
async function drvArgumentIsLiteral(drv, storeDir) {
  const version = await nixVersion();
  if (version) return !drvArgumentMeansOutputs(version);
  const probe = await query([drv], [], storeDir, true);
  return probe.some((i) => i.path === drv);
}
async function queryPathInfos(paths, storeDir) {
  const result = /* @__PURE__ */ new Map();
  const drvs = paths.filter(isDerivation);
  const others = paths.filter((p) => !isDerivation(p));
  for (const info of await query(others, [], storeDir)) result.set(info.path, info);
  if (drvs.length > 0) {
    const literal = await drvArgumentIsLiteral(drvs[0], storeDir);
    const infos = await query(drvs, literal ? [] : ["--derivation"], storeDir);
    for (const info of infos) if (isDerivation(info.path)) result.set(info.path, info);
  }
  return result;
}

// src/plan/selection.ts
var SKIP_REASONS = [
  "pre-existing",
  "upstream-signed",
  "already-cached",
  "excluded",
  "unserved-reference",
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
    "already-cached": [],
    "unserved-reference": []
  };
}
var keyName = (sig) => sig.slice(0, sig.indexOf(":"));
function signedUpstream(signatures, skipSignedBy) {
  return signatures.some((s) => skipSignedBy.includes(keyName(s)));
}
function reasonFor(path, input) {
  const { policy } = input;
  if (!input.closure.has(path)) return "outside-closure";
  if (!policy.includeDerivations && path.endsWith(".drv")) return "derivation";
  if (policy.exclude.some((re) => re.test(path))) return "excluded";
  const sigs = input.signatures.get(path) ?? [];
  if (signedUpstream(sigs, policy.skipSignedBy)) return "upstream-signed";
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
  for (const path of input.closure) {
    if (fresh.has(path)) continue;
    const reason = input.policy.includePreExisting ? reasonFor(path, input) : "pre-existing";
    if (reason) skipped[reason].push(path);
    else push.push(path);
  }
  return { push, skipped };
}
function withoutCached(selection, cached) {
  const push = selection.push.filter((p) => !cached.has(p));
  const already = selection.push.filter((p) => cached.has(p));
  return { ...selection, push, skipped: { ...selection.skipped, "already-cached": [...selection.skipped["already-cached"], ...already] } };
}
function completeClosure(selection, facts, policy) {
  const push = new Set(selection.push);
  const served = /* @__PURE__ */ new Set([...selection.skipped["already-cached"], ...selection.skipped["upstream-signed"]]);
  const excluded = new Set(selection.skipped.excluded);
  const added = [];
  const unservable = /* @__PURE__ */ new Set();
  const unserved = [];
  const lookups = { infos: [], cache: [] };
  const seen = new Set(selection.push);
  const queue = [...selection.push];
  for (let i = 0; i < queue.length; i++) {
    const p = queue[i];
    const info = facts.infos.get(p);
    if (!info) {
      if (!facts.missing.has(p)) lookups.infos.push(p);
      continue;
    }
    for (const r of info.references) {
      if (r === p || push.has(r) || served.has(r)) continue;
      if (excluded.has(r) || policy.exclude.some((re) => re.test(r)) || facts.missing.has(r)) {
        unservable.add(r);
        unserved.push({ path: r, referrer: p });
        continue;
      }
      if (seen.has(r)) continue;
      seen.add(r);
      const refInfo = facts.infos.get(r);
      if (!refInfo) {
        lookups.infos.push(r);
        continue;
      }
      if (signedUpstream(refInfo.signatures, policy.skipSignedBy)) continue;
      const cached = facts.cached.get(r);
      if (cached === void 0) lookups.cache.push(r);
      else if (!cached) {
        push.add(r);
        added.push(r);
        queue.push(r);
      }
    }
  }
  const withheld = /* @__PURE__ */ new Set();
  for (let changed = unservable.size > 0; changed; ) {
    changed = false;
    for (const p of push) {
      if (withheld.has(p)) continue;
      const refs = facts.infos.get(p)?.references ?? [];
      if (refs.some((r) => r !== p && (unservable.has(r) || withheld.has(r)))) {
        withheld.add(p);
        changed = true;
      }
    }
  }
  const completion = added.filter((p) => !withheld.has(p));
  const moved = new Set(completion);
  const skipped = emptySkipped();
  for (const reason of SKIP_REASONS) skipped[reason] = selection.skipped[reason].filter((p) => !moved.has(p));
  skipped["unserved-reference"].push(...selection.push.filter((p) => withheld.has(p)));
  return {
    selection: {
      push: [...push].filter((p) => !withheld.has(p)),
      completion: [...selection.completion ?? [], ...completion],
      skipped
    },
    lookups,
    unserved
  };
}

export {
  isDerivation,
  buildClosure,
  resolveRoots,
  drvArgumentIsLiteral,
  queryPathInfos,
  loadSqlite,
  takeSnapshot,
  saveSnapshot,
  loadSnapshot,
  validPaths,
  storeChanges,
  binaryCacheBackend,
  SKIP_REASONS,
  signedUpstream,
  selectPaths,
  withoutCached,
  completeClosure
};
