#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  FileBackend,
  fsErrorCode
} from "./chunk-ZDZD7BZ6.js";
import {
  credentialsFor,
  loadNetrc
} from "./chunk-AOV4FCBB.js";
import {
  batches,
  lines,
  runNix
} from "./chunk-IDEMXRFO.js";
import {
  probeEach
} from "./chunk-MR5IPH4H.js";
import {
  CONTENT_TYPES,
  NarMismatch,
  ensureCacheInfo
} from "./chunk-WPHW6MTC.js";
import {
  compressionOfNarFile,
  decompressor
} from "./chunk-72I3IZBR.js";
import {
  toNix32
} from "./chunk-Z3KDMJWA.js";
import {
  RequestGuard,
  RequestTimeout,
  RetryableHttpError,
  parseRetryAfter
} from "./chunk-EGCALRY5.js";
import {
  CacheUnavailableError,
  JobBudget,
  jobBudget,
  log,
  timings
} from "./chunk-LXHOX3IK.js";

// src/executors/binary-cache/job-record.ts
import { createHash } from "node:crypto";
import { Readable } from "node:stream";

// src/format/job-record.ts
var RECORD_PREFIX = "nix-buildtime-cache/jobs/";
var RECORD_FORMAT = "nix-buildtime-cache/job-record";
var RECORD_VERSION = 1;
function recordKey(job, part) {
  return `${RECORD_PREFIX}${job}/${part}.json`;
}
function jobOfKey(key) {
  const m = /^nix-buildtime-cache\/jobs\/([A-Za-z0-9._-]+)\/[A-Za-z0-9._-]+\.json$/.exec(key);
  return m?.[1];
}
function renderRecordPart(part) {
  const full = { format: RECORD_FORMAT, version: RECORD_VERSION, ...part };
  return `${JSON.stringify(full)}
`;
}
var RecordError = class extends Error {
  constructor(kind, key, message) {
    super(message);
    this.kind = kind;
    this.key = key;
  }
  kind;
  key;
};
var isPathList = (v) => Array.isArray(v) && v.every((p) => typeof p === "string" && p.startsWith("/"));
function parseRecordPart(key, text) {
  let raw;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new RecordError("corrupt", key, `${key} is not JSON`);
  }
  const r = raw;
  if (r === null || typeof r !== "object" || r.format !== RECORD_FORMAT || typeof r.version !== "number") {
    throw new RecordError("corrupt", key, `${key} is not a job record`);
  }
  if (r.version > RECORD_VERSION) {
    throw new RecordError(
      "newer",
      key,
      `${key} is a job record of format version ${r.version}, newer than this version reads (${RECORD_VERSION}); run the GC with a newer nix-buildtime-cache (nothing was deleted)`
    );
  }
  if (typeof r.job !== "string" || typeof r.time !== "number" || !Number.isFinite(r.time) || !isPathList(r.pushed) || !isPathList(r.used)) {
    throw new RecordError("corrupt", key, `${key} is a damaged job record (missing or wrong fields)`);
  }
  return {
    format: RECORD_FORMAT,
    version: r.version,
    job: r.job,
    time: r.time,
    repository: typeof r.repository === "string" ? r.repository : void 0,
    ref: typeof r.ref === "string" ? r.ref : void 0,
    pushed: r.pushed,
    used: r.used
  };
}

// src/executors/binary-cache/job-record.ts
function jobRecordId(snapshotFile, cacheUrl) {
  return createHash("sha256").update(`${snapshotFile}
${cacheUrl}`).digest("hex").slice(0, 20);
}
function recordContext(job, env = process.env) {
  return { job, repository: env.GITHUB_REPOSITORY || void 0, ref: env.GITHUB_REF || void 0 };
}
async function writeRecordPart(backend, ctx, part, paths, now = Date.now()) {
  const text = renderRecordPart({ job: ctx.job, time: now, repository: ctx.repository, ref: ctx.ref, pushed: [...paths.pushed].sort(), used: [...paths.used].sort() });
  await backend.put(recordKey(ctx.job, part), () => Readable.from([text]), "application/json");
}

// src/executors/binary-cache/http.ts
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { STATUS_CODES } from "node:http";
import { createHash as createHash2 } from "node:crypto";
import { Readable as Readable2, Transform, pipeline } from "node:stream";
import { pipeline as pipelineAsync } from "node:stream/promises";
import { types } from "node:util";
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
var NGINX_SERVER = /^(nginx|openresty)(\/|$)/i;
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
function progressTap(touch) {
  return new Transform({
    transform(chunk, _enc, done) {
      touch();
      done(null, chunk);
    }
  });
}
var HttpBackend = class {
  displayUrl;
  base;
  host;
  concurrency;
  warn;
  opts;
  requests;
  authPromise;
  /** NAR names under which the server holds bytes that are not that NAR (see `has`). */
  damaged = /* @__PURE__ */ new Set();
  urlAuth;
  /** The `Server` header of the answer to `prepare`'s GET, if any. */
  serverSoftware;
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
    this.warn = opts.warn ?? (() => {
    });
    this.opts = opts;
    const t = timings();
    this.requests = new RequestGuard({
      budget: opts.budget ?? new JobBudget({ budgetMs: t.jobBudgetMs, breakerThreshold: t.breakerThreshold }),
      idleMs: opts.timings?.idleMs ?? t.idleMs,
      followDeadline: true,
      retry: opts.retry ?? {},
      // Every failure is trouble: answers such as 404 and 412 are returned, not thrown. But a body
      // that refused to end (its path changed under it) says nothing about the server.
      verdict: (e) => e instanceof NarMismatch ? void 0 : failureKind(e),
      isTrouble: (e) => !(e instanceof NarMismatch),
      cause: (e, what) => causeOf(what, e),
      final: (e, what, attempts) => finalError(what, e, attempts)
    });
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
   * One request, guarded (runtime/request.ts): retried, under an idle timeout, and within the
   * job's budget. `attempt` gets the abort signal and `touch` (for body progress) and returns the
   * result, or throws.
   */
  request(what, attempt) {
    return this.requests.run(what, (a) => attempt(a.signal, a.touch));
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
    return probeEach(hashParts, {
      concurrency: this.concurrency,
      warn: this.warn,
      describe: (_hash, e) => describeError(e),
      probe: (hash) => {
        const what = `HEAD ${this.displayUrl}/${hash}.narinfo`;
        return this.request(what, async (signal) => {
          const res = await fetch(`${this.base}/${hash}.narinfo`, { method: "HEAD", headers, signal });
          await discard(res);
          if (res.ok) return true;
          if (res.status === 404 || res.status === 403) return false;
          if (isRetryableStatus(res.status)) throw this.retryable(what, res);
          return { failed: `${what}: ${statusLine(res)}` };
        });
      }
    });
  }
  async put(key, body, contentType) {
    await this.send(key, contentType, {}, body);
  }
  /**
   * Whether the server holds the whole NAR that `key` names. A HEAD cannot tell a whole NAR from
   * what an upload cut mid-body left under its name on a server that writes in place (a naive PUT
   * handler), and a narinfo for that would be a path no one can substitute. So a NAR the server
   * has is read back and checked against its name, which is its NAR hash: a whole one is kept
   * (never overwritten); a damaged one is replaced by `publish`. The read costs one download, only
   * for a NAR in the cache that no narinfo of ours named yet (another path with the same contents,
   * an interrupted job). Anything but a clear yes counts as absent.
   */
  async has(key) {
    const headers = await this.auth();
    const what = `GET ${this.displayUrl}/${key}`;
    const expected = /^nar\/([0-9a-z]{52})\.nar/.exec(key)?.[1];
    const compression = compressionOfNarFile(key);
    try {
      return await this.request(what, async (signal, touch) => {
        const res = await fetch(`${this.base}/${key}`, { headers, signal });
        if (!res.ok || !res.body) {
          await discard(res);
          if (isRetryableStatus(res.status)) throw this.retryable(what, res);
          return false;
        }
        if (expected === void 0 || compression === void 0) {
          await discard(res);
          return true;
        }
        const source = Readable2.fromWeb(res.body);
        const decoder = decompressor(compression);
        const hash = createHash2("sha256");
        let failedFirst;
        source.once("error", () => failedFirst ??= "read");
        decoder.once("error", () => failedFirst ??= "decode");
        try {
          await pipelineAsync(source, progressTap(touch), decoder, hash);
        } catch (e) {
          if (signal.aborted || failedFirst !== "decode") throw signal.aborted ? signal.reason ?? e : e;
        }
        const whole = failedFirst === void 0 && toNix32(hash.digest()) === expected;
        if (!whole) this.damaged.add(key);
        return whole;
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
    const condition = this.damaged.has(key) ? {} : { "If-None-Match": "*" };
    const status = await this.send(key, contentType, { ...condition, "Content-Length": String(size) }, () => createReadStream(file, { highWaterMark: SPOOL_READ_CHUNK }));
    return status === 412 ? "existed" : "written";
  }
  /** `publish` for a small verified NAR in memory: no spool file to write and read back. */
  async publishBytes(key, bytes, contentType) {
    const condition = this.damaged.has(key) ? {} : { "If-None-Match": "*" };
    const status = await this.send(key, contentType, { ...condition, "Content-Length": String(bytes.length) }, () => Readable2.from([bytes]));
    return status === 412 ? "existed" : "written";
  }
  /**
   * `publish` straight from the store: a chunked PUT whose body fails before its end when the
   * path does not match (see nar-writer.ts). Cut so, the request never ends its body (no final
   * chunk), and a server that stores a PUT only once its body is complete (nginx writes it to a
   * temporary file and renames it then) keeps nothing. Retries re-read the path; a mismatch is final.
   */
  async publishStream(key, body, contentType) {
    const condition = this.damaged.has(key) ? {} : { "If-None-Match": "*" };
    const status = await this.send(key, contentType, condition, body);
    return status === 412 ? "existed" : "written";
  }
  /**
   * Whether the server keeps nothing of a PUT whose body was cut, by what it says it is. nginx
   * writes a PUT body to a temporary file and renames it only once the body is complete (its
   * WebDAV module), and buffers a whole body before passing it on when it proxies (its default,
   * `proxy_request_buffering on`). Any other server, or one that does not say, may write a body in
   * place as it arrives, and keeps the first pass (docs/streamed-uploads.md).
   */
  dropsCutBodies() {
    return this.serverSoftware !== void 0 && NGINX_SERVER.test(this.serverSoftware);
  }
  /** One PUT, retried; answers the final status (2xx, or 412 for a conditional write that found the key). */
  async send(key, contentType, extra, body) {
    const headers = { ...await this.auth(), "Content-Type": contentType, ...extra };
    const url = `${this.base}/${key}`;
    const what = `PUT ${this.displayUrl}/${key}`;
    return this.request(what, async (signal, touch) => {
      const stream = body();
      let refused;
      stream.once("error", (e) => {
        if (e instanceof NarMismatch) refused = e;
      });
      const tap = progressTap(touch);
      const piped = pipeline(stream, tap, () => void 0);
      try {
        const res = await fetch(url, {
          method: "PUT",
          headers,
          body: Readable2.toWeb(piped),
          duplex: "half",
          // A streamed body cannot be replayed to a redirect target, so redirects are refused.
          // 'error' rather than 'manual': for any other mode fetch clones the request, which
          // tees the body, and the unread branch keeps every byte sent: a 586 MB push peaked
          // at 456 MB of memory (issue 13).
          redirect: "error",
          signal
        }).catch((e) => {
          if (refused) throw refused;
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
    await ensureCacheInfo(storeDir, {
      displayUrl: this.displayUrl,
      read: () => this.request(what, async (signal) => {
        const res = await fetch(`${this.base}/nix-cache-info`, { headers, signal });
        this.serverSoftware = res.headers.get("server") ?? void 0;
        if (res.ok) return await res.text();
        await discard(res);
        if (res.status === 404 || res.status === 403) return void 0;
        if (isRetryableStatus(res.status)) throw this.retryable(what, res);
        throw new HttpStatusError(`${what}: ${statusLine(res)}`, res.status);
      }),
      write: (text) => this.put("nix-cache-info", () => Readable2.from([Buffer.from(text)]), CONTENT_TYPES.cacheInfo)
    });
  }
};

// src/executors/binary-cache/file-listing.ts
import { linkSync, lstatSync, opendirSync, readFileSync, renameSync, rmdirSync, unlinkSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { setImmediate as turn } from "node:timers/promises";
var PAGE = 1e3;
var FileCollectable = class {
  constructor(dir) {
    this.dir = dir;
  }
  dir;
  requests = 0;
  removesAtomically = true;
  get displayUrl() {
    return `file://${this.dir}`;
  }
  async *pages() {
    yield* this.listDir("");
    yield* this.listDir("nar/");
    const jobDirs = [];
    const jobs = this.open(RECORD_PREFIX);
    if (jobs) {
      try {
        for (let e = jobs.readSync(); e !== null; e = jobs.readSync()) if (e.isDirectory()) jobDirs.push(e.name);
      } finally {
        jobs.closeSync();
      }
    }
    for (const job of jobDirs) yield* this.listDir(`${RECORD_PREFIX}${job}/`);
  }
  open(prefix) {
    try {
      return opendirSync(join(this.dir, prefix), { bufferSize: 256 });
    } catch (e) {
      if (fsErrorCode(e) === "ENOENT") return void 0;
      throw e;
    }
  }
  /** The regular files of one directory, in pages; hidden files (writers' spool and temporary files) excluded. */
  async *listDir(prefix) {
    const handle = this.open(prefix);
    if (!handle) return;
    this.requests++;
    try {
      let page = [];
      for (let entry = handle.readSync(); entry !== null; entry = handle.readSync()) {
        if (!entry.isFile() || entry.name.startsWith(".") || /\.tmp-[0-9a-f]{12}$/.test(entry.name)) continue;
        const key = prefix + entry.name;
        this.requests++;
        const st = lstatSync(join(this.dir, key), { throwIfNoEntry: false });
        if (st) page.push({ key, size: st.size, mtimeMs: st.mtimeMs });
        if (page.length >= PAGE) {
          yield page;
          page = [];
          await turn();
        }
      }
      if (page.length > 0) yield page;
    } finally {
      handle.closeSync();
    }
  }
  async read(key) {
    this.requests++;
    try {
      return readFileSync(join(this.dir, key), "utf8");
    } catch (e) {
      if (fsErrorCode(e) === "ENOENT") return void 0;
      throw e;
    }
  }
  /**
   * Each file is first renamed to a hidden name (atomic: a writer's touch after it finds nothing
   * and writes anew), then its modification time is read there: touched since the cutoff, it is
   * linked back (unless a writer has put a new one in its place meanwhile); otherwise removed.
   */
  async remove(keys, cutoffMs) {
    const out = { deleted: [], fresh: [], missing: [] };
    const suffix = `.gc-${randomBytes(6).toString("hex")}`;
    for (const key of keys) {
      const target = join(this.dir, key);
      const aside = join(dirname(target), `.${basename(target)}${suffix}`);
      this.requests += 2;
      try {
        renameSync(target, aside);
      } catch (e) {
        if (fsErrorCode(e) !== "ENOENT") throw e;
        out.missing.push(key);
        continue;
      }
      if (lstatSync(aside).mtimeMs >= cutoffMs) {
        try {
          linkSync(aside, target);
        } catch (e) {
          if (fsErrorCode(e) !== "EEXIST") throw e;
        }
        out.fresh.push(key);
      } else out.deleted.push(key);
      unlinkSync(aside);
      if (key.startsWith(RECORD_PREFIX)) {
        try {
          rmdirSync(dirname(target));
        } catch {
        }
      }
    }
    await turn();
    return out;
  }
};

// src/executors/index.ts
async function binaryCacheBackend(cache, access2) {
  if (cache.kind === "file") return new FileBackend(cache.dir, { touchFound: !access2.readOnly });
  if (cache.kind === "http") {
    return new HttpBackend({
      url: cache.url,
      authHeader: access2.authHeader,
      netrcFile: access2.netrcFile,
      budget: jobBudget(),
      warn: (m) => log.warning(m)
    });
  }
  const { S3Backend } = await import("./s3-EGQD3YVH.js");
  return new S3Backend({ location: cache.s3, budget: jobBudget(), warn: (m) => log.warning(m), touchFound: !access2.readOnly });
}
function recordIdFor(cache, snapshotFile) {
  if (cache.kind === "http") return void 0;
  return jobRecordId(snapshotFile, cache.kind === "file" ? `file://${cache.dir}` : cache.url);
}
async function collectableCache(cache) {
  if (cache.kind === "file") return new FileCollectable(cache.dir);
  if (cache.kind === "s3") {
    const { S3Collectable } = await import("./s3-listing-HEBWTSYH.js");
    return new S3Collectable({ location: cache.s3, budget: jobBudget() });
  }
  if (cache.kind === "http") {
    throw new NotCollectable(`${cache.url}: an HTTP cache cannot be listed, so gc cannot collect it; run the GC where the files are (a file:// path or the s3:// bucket behind it)`);
  }
  if (cache.kind === "github-actions") {
    throw new NotCollectable("the GitHub Actions cache compacts itself (max-size, and GitHub evicts entries unused for 7 days); gc collects file:// and s3:// caches");
  }
  throw new NotCollectable(`${cache.url}: a Nix store written with \`nix copy\` is not ours to collect (use its own \`nix store gc\` or its server's retention); gc collects file:// and s3:// caches`);
}
var NotCollectable = class extends Error {
};

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

export {
  RECORD_PREFIX,
  jobOfKey,
  RecordError,
  parseRecordPart,
  recordContext,
  writeRecordPart,
  binaryCacheBackend,
  recordIdFor,
  collectableCache,
  NotCollectable,
  loadSqlite,
  takeSnapshot,
  saveSnapshot,
  loadSnapshot,
  validPaths,
  storeChanges
};
