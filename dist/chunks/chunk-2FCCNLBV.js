import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  fingerprint,
  formatNix32Hash,
  parseHash
} from "./chunk-7IIFHBMN.js";
import {
  CONTENT_TYPES,
  cacheInfoText,
  limiter,
  readCacheInfoStoreDir
} from "./chunk-P3US556H.js";

// src/backends/file.ts
import { mkdir, readFile, rename, rm, access, writeFile } from "node:fs/promises";
import { createWriteStream } from "node:fs";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { randomBytes } from "node:crypto";
var FileBackend = class {
  constructor(dir) {
    this.dir = dir;
  }
  dir;
  /** Directories this backend has created: one mkdir each, not one per file (thousands per job). */
  made = /* @__PURE__ */ new Set();
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
    const dir = dirname(target);
    if (!this.made.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.made.add(dir);
    }
    try {
      await pipeline(body(), createWriteStream(tmp));
      await rename(tmp, target);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }
};

// src/nix/store-path.ts
var hashPart = (storePath) => {
  const base = storePath.slice(storePath.lastIndexOf("/") + 1);
  return base.slice(0, 32);
};

// src/exec.ts
import { spawn } from "node:child_process";
function execCapture(command, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    const out = [];
    const err = [];
    child.stdout.on("data", (b) => out.push(b));
    child.stderr.on("data", (b) => err.push(b));
    child.on("error", reject);
    child.stdin.on("error", () => void 0);
    child.on(
      "close",
      (code, signal) => resolve({
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        exitCode: code ?? (signal ? 128 : 1)
      })
    );
    child.stdin.end(opts.input ?? "");
  });
}

// src/nix/cli.ts
var NixCommandError = class extends Error {
  constructor(command, result) {
    const detail = result.stderr.trim().split("\n").slice(-3).join(" | ");
    super(`${command} exited with ${result.exitCode}: ${detail}`);
    this.command = command;
    this.result = result;
  }
  command;
  result;
};
var OUR_SETTINGS = "extra-experimental-features = nix-command";
function nixEnv(base = process.env) {
  const env = {};
  for (const [k, v] of Object.entries(base)) if (v !== void 0) env[k] = v;
  env.NIX_CONFIG = base.NIX_CONFIG ? `${base.NIX_CONFIG}
${OUR_SETTINGS}` : OUR_SETTINGS;
  return env;
}
async function runNix(command, args, opts = {}) {
  const result = await execCapture(command, args, { env: nixEnv(), input: opts.input });
  if (result.exitCode !== 0 && !opts.allowFailure) {
    throw new NixCommandError(`${command} ${args.slice(0, 3).join(" ")}`, result);
  }
  return result;
}
function batches(paths, maxBytes = 256 * 1024) {
  const out = [];
  let current = [];
  let size = 0;
  for (const p of paths) {
    if (current.length > 0 && size + p.length + 1 > maxBytes) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(p);
    size += p.length + 1;
  }
  if (current.length > 0) out.push(current);
  return out;
}
function lines(text) {
  return text.split("\n").filter((l) => l.length > 0);
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
    const code = e.code;
    if (typeof code === "string") return code;
  }
  return void 0;
}
function isTransientError(e) {
  if (e instanceof RetryableHttpError) return true;
  const code = errorCode(e);
  if (code !== void 0 && TRANSIENT_CODES.has(code)) return true;
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
  return { push, skipped: { ...selection.skipped, "already-cached": [...selection.skipped["already-cached"], ...already] } };
}

// src/narinfo.ts
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

// src/upload/pipeline.ts
import { lstatSync as lstatSync2 } from "node:fs";
import { join as join2 } from "node:path";
import { Readable as Readable2, pipeline as pipeline2 } from "node:stream";

// src/compression.ts
import { spawn as spawn2 } from "node:child_process";
import { Duplex, PassThrough, Transform } from "node:stream";
import * as zlib from "node:zlib";
var NAR_EXTENSION = { zstd: ".nar.zst", xz: ".nar.xz", none: ".nar" };
var CHUNK = 1 << 20;
var MIN_CHUNK = 16 * 1024;
var SMALL_NAR = 256 * 1024;
var SmallZstd = class extends Transform {
  constructor(narSize) {
    super();
    this.narSize = narSize;
  }
  narSize;
  chunks = [];
  size = 0;
  _transform(chunk, _encoding, done) {
    this.size += chunk.length;
    if (this.size > this.narSize) return done(new Error(`the NAR is longer than the ${this.narSize} bytes Nix recorded`));
    this.chunks.push(chunk);
    done();
  }
  _flush(done) {
    try {
      const input = Buffer.concat(this.chunks);
      done(null, zlib.zstdCompressSync(input, { pledgedSrcSize: this.narSize, params: { [zlib.constants.ZSTD_c_compressionLevel]: 3 } }));
    } catch (e) {
      done(e);
    }
  }
};
function compressor(kind, narSize) {
  if (kind === "none") return new PassThrough({ highWaterMark: CHUNK });
  if (kind === "zstd" && narSize !== void 0 && narSize <= SMALL_NAR) return new SmallZstd(narSize);
  if (kind === "zstd") {
    const chunkSize = narSize === void 0 ? CHUNK : Math.min(CHUNK, Math.max(MIN_CHUNK, narSize + 1024));
    return zlib.createZstdCompress({
      chunkSize,
      pledgedSrcSize: narSize,
      params: { [zlib.constants.ZSTD_c_compressionLevel]: 3 }
    });
  }
  const child = spawn2("xz", ["-c", "-T0", "-6"], { stdio: ["pipe", "pipe", "ignore"] });
  const duplex = Duplex.from({ writable: child.stdin, readable: child.stdout });
  child.on("error", (e) => duplex.destroy(e));
  child.on("close", (code) => {
    if (code !== 0) duplex.destroy(new Error(`xz exited with ${code}`));
  });
  return duplex;
}

// src/nar.ts
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync } from "node:fs";
import { open } from "node:fs/promises";
import { Readable } from "node:stream";
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
  return Readable.from(serialise(Buffer.from(fsPath)), { objectMode: false, highWaterMark: READ_CHUNK });
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

// src/upload/meter.ts
import { createHash } from "node:crypto";
import { Transform as Transform2 } from "node:stream";
var Meter = class extends Transform2 {
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
async function exists(p) {
  try {
    lstatSync2(p);
    return true;
  } catch {
    return false;
  }
}
async function uploadNar(info, opts) {
  const expected = parseHash(info.narHash);
  const url = `nar/${formatNix32Hash(expected).slice("sha256:".length)}${NAR_EXTENSION[opts.compression]}`;
  const source = join2(opts.realStoreDir, info.path.slice(info.path.lastIndexOf("/") + 1));
  let meters;
  await opts.backend.put(
    url,
    () => {
      const nar = new Meter();
      const file = new Meter();
      meters = { nar, file };
      return pipeline2(narStream(source), nar, compressor(opts.compression, info.narSize), file, () => void 0);
    },
    CONTENT_TYPES.nar
  );
  if (!meters) throw new Error("the cache backend did not read the NAR");
  if (meters.nar.bytes !== info.narSize || !meters.nar.digest().equals(expected)) {
    throw new NarMismatch(`its contents do not match the hash Nix recorded (store corruption?)`);
  }
  return { url, fileHash: formatNix32Hash(meters.file.digest()), fileSize: meters.file.bytes };
}
function narInfoText(info, nar, opts) {
  let sigs = info.signatures;
  if (opts.signer) {
    const ours = opts.signer.sign(fingerprint(info.path, info.narHash, info.narSize, info.references));
    const keyName2 = ours.slice(0, ours.indexOf(":"));
    sigs = [...info.signatures.filter((s) => !s.startsWith(`${keyName2}:`)), ours];
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
  const outcome = { pushed: [], failed: [], vanished: [] };
  const limit = limiter(opts.parallelism);
  const committed = /* @__PURE__ */ new Map();
  const one = async (info) => {
    const source = join2(opts.realStoreDir, info.path.slice(info.path.lastIndexOf("/") + 1));
    let nar;
    try {
      nar = await limit(async () => {
        if (!await exists(source)) throw new Vanished();
        return uploadNar(info, opts);
      });
    } catch (e) {
      if (e instanceof Vanished || !await exists(source)) outcome.vanished.push(info.path);
      else outcome.failed.push({ path: info.path, reason: message(e) });
      return false;
    }
    const refs = info.references.filter((r) => r !== info.path && committed.has(r));
    const refsOk = (await Promise.all(refs.map((r) => committed.get(r)))).every(Boolean);
    if (!refsOk) {
      outcome.failed.push({ path: info.path, reason: "a path it references could not be uploaded" });
      return false;
    }
    try {
      const text = narInfoText(info, nar, opts);
      await opts.backend.put(narInfoKey(info.path), () => Readable2.from([text]), CONTENT_TYPES.narinfo);
    } catch (e) {
      outcome.failed.push({ path: info.path, reason: message(e) });
      return false;
    }
    outcome.pushed.push({ path: info.path, narSize: info.narSize, fileSize: nar.fileSize });
    return true;
  };
  for (const info of topologicalOrder(infos)) committed.set(info.path, one(info));
  await Promise.all(committed.values());
  return outcome;
}
var Vanished = class extends Error {
};

export {
  FileBackend,
  execCapture,
  nixEnv,
  runNix,
  batches,
  lines,
  RetryableHttpError,
  withRetry,
  parseRetryAfter,
  hashPart,
  SKIP_REASONS,
  selectPaths,
  withoutCached,
  parseNarInfo,
  uploadPaths
};
