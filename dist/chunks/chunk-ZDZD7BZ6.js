#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  emptyOutcome
} from "./chunk-XK72OWUU.js";
import {
  fingerprint
} from "./chunk-WODUGNK7.js";
import {
  CONTENT_TYPES,
  ensureCacheInfo,
  narUrl,
  verifyPath,
  writeVerifiedNar,
  writtenInOneCall
} from "./chunk-WPHW6MTC.js";
import {
  NAR_MAX_DEPTH,
  NarTooDeep
} from "./chunk-72I3IZBR.js";
import {
  limiter
} from "./chunk-SUVJ4ZAQ.js";
import {
  formatNix32Hash,
  parseHash
} from "./chunk-Z3KDMJWA.js";
import {
  formatBytes,
  host,
  log
} from "./chunk-LXHOX3IK.js";

// src/runtime/fs-errors.ts
var CAUSES = {
  EROFS: "the file system is read-only",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded"
};
function fsErrorCode(e) {
  const code = e?.code;
  return typeof code === "string" ? code : void 0;
}
function describeFsError(e) {
  const code = fsErrorCode(e);
  const cause = code === void 0 ? void 0 : CAUSES[code];
  if (cause !== void 0) {
    const where = e.path;
    return `${cause} (${code}${where ? ` at ${where}` : ""})`;
  }
  return e instanceof Error ? e.message : String(e);
}

// src/executors/binary-cache/file.ts
import { access, link, lstat, mkdir, readFile, readdir, rename, rm, utimes, writeFile } from "node:fs/promises";
import { createWriteStream, unlinkSync } from "node:fs";
import { basename, dirname as dirname2, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { randomBytes } from "node:crypto";

// src/runtime/file-threads.ts
import { dirname } from "node:path";
import { Worker } from "node:worker_threads";
var FileWriteError = class extends Error {
  constructor(message2, code, step) {
    super(message2);
    this.code = code;
    this.step = step;
    this.name = "FileWriteError";
  }
  code;
  step;
};
function writeAndName(w) {
  const fs = process.getBuiltinModule("node:fs");
  const quietly = (f) => {
    try {
      f();
    } catch {
    }
  };
  let step = "write";
  let created = false;
  try {
    const fd = fs.openSync(w.temp, "wx");
    created = true;
    try {
      fs.writeFileSync(fd, w.bytes);
    } finally {
      fs.closeSync(fd);
    }
    step = w.kind;
    if (w.kind === "link") {
      fs.linkSync(w.temp, w.target);
      quietly(() => fs.unlinkSync(w.temp));
    } else {
      fs.renameSync(w.temp, w.target);
    }
    return void 0;
  } catch (e) {
    if (created && step !== "link") quietly(() => fs.unlinkSync(w.temp));
    const err = e;
    return { message: err.message, code: err.code, step };
  }
}
function fileThreadMain(write) {
  const { parentPort } = process.getBuiltinModule("node:worker_threads");
  parentPort?.on("message", (r) => {
    const error = write(r);
    parentPort.postMessage(error ? { id: r.id, error } : { id: r.id });
  });
}
var WRITES_BEFORE_THREADS = 64;
var THREADS = 2;
var FileThreads = class {
  threads = [];
  /** Which thread writes into which directory. */
  lanes = /* @__PURE__ */ new Map();
  nextId = 0;
  write(w) {
    const thread = this.threadFor(dirname(w.target));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      thread.worker.ref();
      const bytes = new Uint8Array(w.bytes);
      thread.worker.postMessage({ id, ...w, bytes }, [bytes.buffer]);
    });
  }
  /**
   * One thread per directory: file creations in one directory take its lock one at a time, and
   * two threads creating files in the same one spent their CPU spinning on it (`perf`).
   */
  threadFor(dir) {
    let lane = this.lanes.get(dir);
    if (lane === void 0) {
      lane = this.lanes.size % THREADS;
      this.lanes.set(dir, lane);
    }
    return this.threads[lane] ??= this.start(lane);
  }
  start(lane) {
    const worker = new Worker(`(${fileThreadMain.toString()})(${writeAndName.toString()})`, { eval: true });
    const thread = { worker, pending: /* @__PURE__ */ new Map() };
    worker.unref();
    worker.on("message", (reply) => {
      const waiter = thread.pending.get(reply.id);
      thread.pending.delete(reply.id);
      if (thread.pending.size === 0) worker.unref();
      if (!waiter) return;
      if (reply.error) waiter.reject(new FileWriteError(reply.error.message, reply.error.code, reply.error.step));
      else waiter.resolve();
    });
    const fail = (e) => {
      if (this.threads[lane] === thread) this.threads[lane] = void 0;
      for (const w of thread.pending.values()) w.reject(e);
      thread.pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`the file-writing thread exited (${code})`)));
    return thread;
  }
};
var shared;
var writesInline = 0;
async function writeSmallFile(w) {
  if (writesInline < WRITES_BEFORE_THREADS) {
    writesInline++;
    const error = writeAndName(w);
    if (error) throw new FileWriteError(error.message, error.code, error.step);
    return;
  }
  shared ??= new FileThreads();
  return shared.write(w);
}

// src/executors/binary-cache/file.ts
var TEMPORARY = /(\.tmp-|\.spool-)[0-9a-f]{12}$/;
var LEFTOVER_AGE_MS = 60 * 60 * 1e3;
var uniqueSuffix = (() => {
  const prefix = randomBytes(4).toString("hex");
  let n = 0;
  return () => `${prefix}${(n++ & 65535).toString(16).padStart(4, "0")}`;
})();
async function touch(file) {
  const now = /* @__PURE__ */ new Date();
  try {
    await utimes(file, now, now);
    return true;
  } catch (e) {
    if (fsErrorCode(e) === "ENOENT") return false;
    return access(file).then(
      () => true,
      () => false
    );
  }
}
async function exists(file) {
  return access(file).then(
    () => true,
    () => false
  );
}
var FileBackend = class {
  constructor(dir, opts = {}) {
    this.dir = dir;
    this.opts = opts;
  }
  dir;
  opts;
  /** Publishing is a hard link, which never replaces a file (see publish). */
  publishesExclusively = true;
  /** Directories this backend has created: one mkdir each, not one per file (thousands per job). */
  made = /* @__PURE__ */ new Set();
  get displayUrl() {
    return `file://${this.dir}`;
  }
  /** Also proves the cache writable, so a read-only or foreign directory is named once, with its real cause. */
  async prepare(storeDir) {
    const file = join(this.dir, "nix-cache-info");
    try {
      await mkdir(join(this.dir, "nar"), { recursive: true });
      const probe = join(this.dir, "nar", `.write-test-${randomBytes(6).toString("hex")}`);
      await writeFile(probe, "");
      await rm(probe, { force: true });
    } catch (e) {
      throw new Error(`${this.displayUrl} is not writable: ${describeFsError(e)}`, { cause: e });
    }
    await ensureCacheInfo(
      storeDir,
      {
        displayUrl: this.displayUrl,
        // Any failure to read counts as absent: the write then names the real trouble, if any.
        read: () => readFile(file, "utf8").catch(() => void 0),
        write: (text) => writeFile(file, text)
      },
      (theirs) => `${this.displayUrl} is a cache for ${theirs}, not ${storeDir}`
    );
  }
  /**
   * Each narinfo found is also touched: a writer relies on what it finds (it skips the path, and
   * its own narinfos will reference it), and the retention GC never deletes what was modified
   * within its grace period (docs/gc.md, "Pushes and a GC at the same time").
   */
  async existing(hashParts) {
    const look = this.opts.touchFound === false ? exists : touch;
    const found = await Promise.all(hashParts.map(async (h) => await look(join(this.dir, `${h}.narinfo`)) ? h : void 0));
    return new Set(found.filter((h) => h !== void 0));
  }
  async ensureDir(dir) {
    if (this.made.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.made.add(dir);
  }
  /** Writes to a temporary name and renames, so readers never see a partial file. */
  async put(key, body) {
    const target = join(this.dir, key);
    const tmp = `${target}.tmp-${uniqueSuffix()}`;
    await this.ensureDir(dirname2(target));
    try {
      await pipeline(body(), createWriteStream(tmp));
      await rename(tmp, target);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }
  /**
   * `put` for a small body (a narinfo): written and renamed on a file thread in one message
   * (runtime/file-threads.ts), so thousands of them overlap with the rest of the push.
   */
  async putBytes(key, bytes) {
    const target = join(this.dir, key);
    await this.ensureDir(dirname2(target));
    await writeSmallFile({ kind: "rename", temp: `${target}.tmp-${uniqueSuffix()}`, target, bytes });
  }
  /** `publish` for a small verified NAR in memory: spooled and linked on a file thread (see putBytes). */
  async publishBytes(key, bytes) {
    const spool = await this.spoolFile(key);
    const target = join(this.dir, key);
    try {
      await writeSmallFile({ kind: "link", temp: spool, target, bytes });
      return "written";
    } catch (e) {
      if (!(e instanceof FileWriteError) || e.step !== "link") throw e;
      try {
        if (e.code === "EEXIST" && await touch(target)) return "existed";
        if (e.code !== "EEXIST" && e.code !== "EPERM" && e.code !== "ENOTSUP" && e.code !== "EMLINK") throw e;
        return await this.publish(key, spool);
      } finally {
        removeQuietly(spool);
      }
    }
  }
  /** A NAR found is touched (see the interface), as existing() touches the narinfos it finds. */
  async has(key) {
    const look = this.opts.touchFound === false ? exists : touch;
    return look(join(this.dir, key));
  }
  /** Next to its final name, hidden from Nix (which reads only the names narinfos give). */
  async spoolFile(key) {
    const target = join(this.dir, key);
    await this.ensureDir(dirname2(target));
    return join(dirname2(target), `.${basename(target)}.spool-${uniqueSuffix()}`);
  }
  /**
   * A writer killed mid-write (the background agent, killed with its job when no post step
   * stopped it) leaves its spool file behind. Nix never reads those, but they take space, up to
   * a NAR each, so the next push removes any an hour old.
   */
  async sweepLeftovers(now = Date.now()) {
    let removed = 0;
    for (const dir of [this.dir, join(this.dir, "nar")]) {
      const names = await readdir(dir).catch(() => []);
      for (const name of names.filter((n) => TEMPORARY.test(n))) {
        const file = join(dir, name);
        try {
          if (now - (await lstat(file)).mtimeMs < LEFTOVER_AGE_MS) continue;
          await rm(file, { force: true });
          removed++;
        } catch {
        }
      }
    }
    return removed;
  }
  /**
   * A hard link: atomic, and it fails with EEXIST instead of replacing a file, so a NAR another
   * path or job wrote is never overwritten. File systems without hard links get a rename after
   * an existence check; the race left there is between two verified files of the same NarHash.
   */
  async publish(key, file) {
    const target = join(this.dir, key);
    await this.ensureDir(dirname2(target));
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await link(file, target);
        return "written";
      } catch (e) {
        const code = fsErrorCode(e);
        if (code === "EEXIST" && await touch(target)) return "existed";
        if (code === "EEXIST") continue;
        if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EMLINK") throw e;
        break;
      }
    }
    if (await this.has(key)) return "existed";
    await rename(file, target);
    return "written";
  }
};
function removeQuietly(file) {
  try {
    unlinkSync(file);
  } catch {
  }
}

// src/format/narinfo.ts
function renderNarInfo(info) {
  let out = `StorePath: ${info.storePath}
`;
  out += `URL: ${info.url}
`;
  out += `Compression: ${info.compression}
`;
  if (info.fileHash !== "") out += `FileHash: ${normaliseHash(info.fileHash)}
`;
  if (info.fileSize !== 0) out += `FileSize: ${info.fileSize}
`;
  out += `NarHash: ${formatNix32Hash(parseHash(info.narHash))}
`;
  out += `NarSize: ${info.narSize}
`;
  out += `References: ${[...new Set(info.references.map(baseName))].sort().join(" ")}
`;
  if (info.deriver !== void 0) out += `Deriver: ${baseName(info.deriver)}
`;
  for (const sig of info.sigs) out += `Sig: ${sig}
`;
  if (info.ca !== void 0) out += `CA: ${info.ca}
`;
  return out;
}
function parseNarInfo(text, storeDir = "/nix/store") {
  const fields = /* @__PURE__ */ new Map();
  const sigs = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const colon = line.indexOf(":");
    if (colon < 0) throw new Error(`corrupt narinfo: line without ':': '${line}'`);
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    if (key === "Sig") sigs.push(value);
    else fields.set(key, value);
  }
  const required = (key) => {
    const v = fields.get(key);
    if (v === void 0 || v === "") throw new Error(`corrupt narinfo: missing ${key}`);
    return v;
  };
  const storePath = required("StorePath");
  if (!storePath.startsWith(`${storeDir}/`)) throw new Error(`narinfo path '${storePath}' is not in ${storeDir}`);
  const narSize = parseSize(required("NarSize"), "NarSize");
  if (narSize === 0) throw new Error("corrupt narinfo: NarSize is 0");
  const fileSize = fields.get("FileSize");
  const deriver = fields.get("Deriver");
  const references = fields.get("References") ?? "";
  const info = {
    storePath,
    url: required("URL"),
    compression: fields.get("Compression") || "bzip2",
    fileHash: normaliseHash(fields.get("FileHash") ?? ""),
    fileSize: fileSize === void 0 ? 0 : parseSize(fileSize, "FileSize"),
    narHash: formatNix32Hash(parseHash(required("NarHash"))),
    narSize,
    references: references.split(" ").filter((r) => r !== "").map((r) => `${storeDir}/${r}`),
    sigs
  };
  if (deriver !== void 0 && deriver !== "" && deriver !== "unknown-deriver") info.deriver = `${storeDir}/${deriver}`;
  const ca = fields.get("CA");
  if (ca !== void 0 && ca !== "") info.ca = ca;
  return info;
}
function narInfoKey(storePath) {
  const m = /^([0-9a-df-np-sv-z]{32})-/.exec(baseName(storePath));
  if (!m) throw new Error(`not a store path: '${storePath}'`);
  return `${m[1]}.narinfo`;
}
function baseName(path) {
  return path.slice(path.lastIndexOf("/") + 1);
}
function parseSize(value, key) {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new Error(`corrupt narinfo: bad ${key} '${value}'`);
  return n;
}
function normaliseHash(value) {
  if (!value.startsWith("sha256")) return value;
  return formatNix32Hash(parseHash(value));
}

// src/executors/binary-cache/upload.ts
import { lstatSync } from "node:fs";
import { rm as rm3 } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join as join3 } from "node:path";
import { Readable } from "node:stream";

// src/executors/binary-cache/spool-dir.ts
import { lstat as lstat2, mkdtemp, readdir as readdir2, rm as rm2 } from "node:fs/promises";
import { join as join2 } from "node:path";
var SPOOL_DIR_PREFIX = "nix-buildtime-cache-spool-";
var SPOOL_LEFTOVER_AGE_MS = 60 * 60 * 1e3;
async function lastWrite(dir) {
  let newest = (await lstat2(dir)).mtimeMs;
  for (const name of await readdir2(dir)) {
    newest = Math.max(newest, (await lstat2(join2(dir, name)).catch(() => ({ mtimeMs: 0 }))).mtimeMs);
  }
  return newest;
}
async function sweepSpoolDirs(parent, now = Date.now()) {
  let removed = 0;
  const names = await readdir2(parent).catch(() => []);
  for (const name of names.filter((n) => n.startsWith(SPOOL_DIR_PREFIX))) {
    const dir = join2(parent, name);
    try {
      if (now - await lastWrite(dir) < SPOOL_LEFTOVER_AGE_MS) continue;
      await rm2(dir, { recursive: true, force: true });
      removed++;
    } catch {
    }
  }
  return removed;
}
async function makeSpoolDir(parent) {
  await sweepSpoolDirs(parent);
  return mkdtemp(join2(parent, SPOOL_DIR_PREFIX));
}

// src/executors/binary-cache/progress.ts
var PROGRESS_INTERVAL_MS = 1e4;
var UploadProgress = class {
  constructor(total, totalBytes, where, intervalMs = PROGRESS_INTERVAL_MS) {
    this.total = total;
    this.totalBytes = totalBytes;
    this.where = where;
    this.intervalMs = intervalMs;
  }
  total;
  totalBytes;
  where;
  intervalMs;
  /** NAR byte counters of the NARs being written now (the writer's meters). */
  inflight = /* @__PURE__ */ new Set();
  done = 0;
  doneBytes = 0;
  grouped = false;
  timer;
  startedAt = Date.now();
  start() {
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }
  /** One path finished, pushed or not: its NAR was read either way. */
  finished(narSize) {
    this.done++;
    this.doneBytes += narSize;
  }
  line() {
    let bytes = this.doneBytes;
    for (const m of this.inflight) bytes += m.bytes;
    const seconds = (Date.now() - this.startedAt) / 1e3;
    const rate = seconds > 0 ? `${formatBytes(Math.round(bytes / seconds))}/s` : "-";
    return `${this.done}/${this.total} paths, ${formatBytes(bytes)} of ${formatBytes(this.totalBytes)} of NARs read (${rate}), ${Math.round(seconds)} s`;
  }
  tick() {
    if (!this.grouped) {
      log.startGroup(`Uploading ${this.total} paths to ${this.where}`);
      this.grouped = true;
    }
    log.info(this.line());
  }
  stop() {
    clearInterval(this.timer);
    if (!this.grouped) return;
    log.info(`done: ${this.line()}`);
    log.endGroup();
  }
};

// src/executors/binary-cache/upload.ts
var STREAMS = 3;
var message = (e) => e instanceof Error ? e.message : String(e);
function topologicalOrder(infos) {
  const byPath = new Map(infos.map((i) => [i.path, i]));
  const seen = /* @__PURE__ */ new Set();
  const out = [];
  const visit = (info) => {
    if (seen.has(info.path)) return;
    seen.add(info.path);
    for (const r of info.references) {
      const dep = byPath.get(r);
      if (dep) visit(dep);
    }
    out.push(info);
  };
  for (const info of infos) visit(info);
  return out;
}
function exists2(p) {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}
function narInfoText(info, nar, opts) {
  let sigs = info.signatures;
  if (opts.signer) {
    const ours = opts.signer.sign(fingerprint(info.path, info.narHash, info.narSize, info.references));
    const keyName = ours.slice(0, ours.indexOf(":"));
    sigs = [...info.signatures.filter((s) => !s.startsWith(`${keyName}:`)), ours];
  }
  return renderNarInfo({
    storePath: info.path,
    url: nar.url,
    compression: opts.compression,
    fileHash: nar.fileHash,
    fileSize: nar.fileSize,
    narHash: info.narHash,
    narSize: info.narSize,
    references: info.references,
    deriver: info.deriver,
    sigs,
    ca: info.ca
  });
}
async function uploadPaths(infos, opts) {
  const outcome = emptyOutcome();
  if (infos.length === 0) return outcome;
  const limit = limiter(opts.parallelism);
  const streams = limiter(Math.min(opts.parallelism, opts.backend.memoryTight ? STREAMS - 1 : STREAMS));
  const committed = /* @__PURE__ */ new Map();
  const unsubstitutable = /* @__PURE__ */ new Set();
  const skip = (path, reason) => {
    unsubstitutable.add(path);
    (outcome.unsubstitutable ??= []).push({ path, reason });
    return false;
  };
  const nars = /* @__PURE__ */ new Map();
  for (const nar of opts.written ?? []) nars.set(nar.url, Promise.resolve(nar));
  const ownSpool = opts.backend.spoolFile || opts.spoolDir ? void 0 : await makeSpoolDir(host().tempDir);
  const spoolDir = opts.spoolDir ?? ownSpool ?? tmpdir();
  const progress = new UploadProgress(
    infos.length,
    infos.reduce((a, i) => a + i.narSize, 0),
    opts.backend.displayUrl,
    opts.progressIntervalMs
  );
  const publishNar = async (info, source, known) => {
    if (!exists2(source)) throw new Vanished();
    if (known) {
      await verifyPath(info, source);
      return { nar: known, uploaded: 0 };
    }
    const url = narUrl(info, opts.compression);
    const ask = !(opts.backend.publishesExclusively && writtenInOneCall(info, opts.compression));
    if (ask && await opts.backend.has(url)) {
      await verifyPath(info, source);
      return { nar: { url, fileHash: "", fileSize: 0 }, uploaded: 0 };
    }
    const nar = await writeVerifiedNar(info, source, { backend: opts.backend, compression: opts.compression, spoolDir, progress, streams });
    if (nar.fileHash !== "") opts.onNarWritten?.(nar);
    return { nar, uploaded: nar.fileSize };
  };
  const lostToGc = async (keys) => [...await opts.backend.settle?.(keys) ?? []];
  const one = async (info) => {
    const source = join3(opts.realStoreDir, info.path.slice(info.path.lastIndexOf("/") + 1));
    const url = narUrl(info, opts.compression);
    const before = nars.get(url);
    let settle = () => void 0;
    nars.set(url, new Promise((resolve) => settle = resolve));
    const known = await before;
    let nar;
    let uploaded;
    try {
      ;
      ({ nar, uploaded } = await limit(() => publishNar(info, source, known)));
      if ((await lostToGc([nar.url])).length > 0) {
        ;
        ({ nar, uploaded } = await limit(() => publishNar(info, source, void 0)));
        if ((await lostToGc([nar.url])).length > 0) throw new Error(`its NAR ${nar.url} was deleted by a retention GC as this job wrote it`);
      }
      settle(nar);
    } catch (e) {
      settle(known);
      if (e instanceof NarTooDeep) return skip(info.path, `nested deeper than ${NAR_MAX_DEPTH} levels (${e.fsPath}), which Nix 2.34 and later refuse`);
      if (e instanceof Vanished || !exists2(source)) outcome.vanished.push(info.path);
      else outcome.failed.push({ path: info.path, reason: message(e) });
      return false;
    } finally {
      progress.finished(info.narSize);
    }
    if (opts.narsOnly) {
      outcome.pushed.push({ path: info.path, narSize: info.narSize, fileSize: uploaded });
      return true;
    }
    const refs = info.references.filter((r) => r !== info.path && committed.has(r));
    const refsOk = (await Promise.all(refs.map((r) => committed.get(r)))).every(Boolean);
    if (!refsOk) {
      const deep = refs.find((r) => unsubstitutable.has(r));
      if (deep) return skip(info.path, `references ${deep}, which is not pushed`);
      outcome.failed.push({ path: info.path, reason: "a path it references could not be uploaded" });
      return false;
    }
    const lost = await lostToGc(info.references.filter((r) => r !== info.path).map(narInfoKey));
    if (lost.length > 0) {
      outcome.failed.push({ path: info.path, reason: `a path it references (${info.references.find((r) => narInfoKey(r) === lost[0]) ?? lost[0]}) was deleted by a retention GC as this job pushed` });
      return false;
    }
    try {
      const text = narInfoText(info, nar, opts);
      const key = narInfoKey(info.path);
      if (opts.backend.putBytes) await opts.backend.putBytes(key, Buffer.from(text), CONTENT_TYPES.narinfo);
      else await opts.backend.put(key, () => Readable.from([text]), CONTENT_TYPES.narinfo);
    } catch (e) {
      outcome.failed.push({ path: info.path, reason: message(e) });
      return false;
    }
    const pushed = { path: info.path, narSize: info.narSize, fileSize: uploaded };
    outcome.pushed.push(pushed);
    opts.onPushed?.(pushed);
    return true;
  };
  progress.start();
  try {
    for (const info of topologicalOrder(infos)) committed.set(info.path, one(info));
    await Promise.all(committed.values());
  } finally {
    progress.stop();
    if (ownSpool) await rm3(ownSpool, { recursive: true, force: true });
  }
  return outcome;
}
var Vanished = class extends Error {
};

export {
  fsErrorCode,
  describeFsError,
  FileBackend,
  renderNarInfo,
  parseNarInfo,
  uploadPaths
};
