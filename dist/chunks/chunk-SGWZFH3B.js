#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);

// src/format/frame-buffers.ts
var FRAME_SIZE = 4 << 20;
var THROUGHPUT_REUSE = { spares: 12 };
var reuse = THROUGHPUT_REUSE;
var taken = 0;
var spare = [];
function reuseFrames(r) {
  reuse = r;
  spare.length = Math.min(spare.length, r.spares);
}
var lent = /* @__PURE__ */ new WeakMap();
function takeFrame() {
  if (reuse.collect && ++taken % reuse.collect.everyFrames === 0) reuse.collect.run();
  return spare.pop() ?? Buffer.allocUnsafe(FRAME_SIZE);
}
function lend(view, frame) {
  lent.set(view, frame);
  return view;
}
function frameOf(chunk) {
  return lent.get(chunk);
}
function recycleFrame(frame) {
  if (spare.length < reuse.spares) spare.push(frame);
}

// src/format/nar.ts
import { createHash } from "node:crypto";
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync } from "node:fs";
import { open } from "node:fs/promises";
import { Readable } from "node:stream";
var BATCH = 64 * 1024;
var LEND_AFTER = 256 * 1024;
var PIECE = 1024 * 1024;
var SMALL_FILE = 64 * 1024;
var MAX_BLOCK_MS = 10;
var S_IFMT = 61440;
var S_IFREG = 32768;
var S_IFDIR = 16384;
var S_IFLNK = 40960;
var S_IXUSR = 64;
var NAR_MAX_DEPTH = 64;
var NarTooDeep = class extends Error {
  constructor(fsPath) {
    super(`'${fsPath}' is nested deeper than ${NAR_MAX_DEPTH} levels, and Nix 2.34 and later refuse such a NAR`);
    this.fsPath = fsPath;
    this.name = "NarTooDeep";
  }
  fsPath;
};
var ZEROS = Buffer.alloc(8);
var SLASH = Buffer.from("/");
function narStream(fsPath, opts = {}) {
  return Readable.from(serialise(Buffer.from(fsPath), caseHackOf(opts)), { objectMode: false, highWaterMark: 0 });
}
var caseHackOf = (opts) => opts.caseHack ?? process.platform === "darwin";
var CASE_HACK_SUFFIX = Buffer.from("~nix~case~hack~");
function narEntries(onDisk, caseHack) {
  const entries = onDisk.map((d) => {
    const cut = caseHack ? d.indexOf(CASE_HACK_SUFFIX) : -1;
    return { name: cut >= 0 ? d.subarray(0, cut) : d, onDisk: d };
  });
  entries.sort((a, b) => Buffer.compare(a.name, b.name));
  for (let i = 1; i < entries.length; i++) {
    if (entries[i - 1].name.equals(entries[i].name)) {
      throw new Error(`file name collision between '${entries[i - 1].onDisk.toString()}' and '${entries[i].onDisk.toString()}'`);
    }
  }
  return entries;
}
async function narBytes(fsPath, max, opts = {}) {
  const chunks = [];
  let size = 0;
  for await (const chunk of serialise(Buffer.from(fsPath), caseHackOf(opts))) {
    size += chunk.length;
    if (size > max || size > LEND_AFTER) return void 0;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}
async function narHashOf(fsPath, opts = {}) {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of serialise(Buffer.from(fsPath), caseHackOf(opts))) {
    hash.update(chunk);
    size += chunk.length;
    const frame = frameOf(chunk);
    if (frame && chunk.byteOffset + chunk.length === frame.byteOffset + frame.length) recycleFrame(frame);
  }
  return { hash: hash.digest(), size };
}
var NarWriter = class {
  buf = Buffer.allocUnsafe(BATCH);
  frame;
  /** Bytes of `buf` filled, and the first of them not yet handed on. */
  filled = 0;
  start = 0;
  written = 0;
  ready = [];
  lastBreak = performance.now();
  /** How far `buf` may be filled before the piece is handed on. */
  get limit() {
    return this.frame ? Math.min(this.buf.length, this.start + PIECE) : this.buf.length;
  }
  add(src) {
    let at = 0;
    while (at < src.length) {
      const n = src.copy(this.buf, this.filled, at, at + Math.min(src.length - at, this.limit - this.filled));
      at += n;
      this.filled += n;
      if (this.filled === this.limit) this.piece();
    }
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
  /** Reads `size` bytes of an open file into the output, synchronously. */
  readSync(fd, size, path) {
    let remaining = size;
    while (remaining > 0) {
      const n = readSync(fd, this.buf, this.filled, Math.min(remaining, this.limit - this.filled), null);
      if (n === 0) throw changedSize(path);
      this.filled += n;
      remaining -= n;
      if (this.filled === this.limit) this.piece();
    }
  }
  /** Reads `size` bytes of an open file into the output; pieces are taken as they fill. */
  async *read(fh, size, path) {
    let remaining = size;
    while (remaining > 0) {
      const { bytesRead } = await fh.read(this.buf, this.filled, Math.min(remaining, this.limit - this.filled), null);
      if (bytesRead === 0) throw changedSize(path);
      this.filled += bytesRead;
      remaining -= bytesRead;
      if (this.filled === this.limit) {
        this.piece();
        yield* this.take();
      }
    }
  }
  take() {
    const out = this.ready;
    this.ready = [];
    return out;
  }
  /** Hands on what is filled and not yet handed on. */
  flush() {
    if (this.filled === this.start) return;
    const view = this.buf.subarray(this.start, this.filled);
    this.ready.push(this.frame ? lend(view, this.frame) : view);
    this.written += this.filled - this.start;
    this.start = this.filled;
  }
  piece() {
    this.flush();
    if (this.filled < this.buf.length) return;
    this.filled = 0;
    this.start = 0;
    if (this.written >= LEND_AFTER) {
      this.frame = takeFrame();
      this.buf = this.frame;
    } else {
      this.frame = void 0;
      this.buf = Buffer.allocUnsafe(BATCH);
    }
  }
  /** Lets timers and network I/O run when synchronous reads have held the event loop too long. */
  async breathe() {
    if (performance.now() - this.lastBreak < MAX_BLOCK_MS) return;
    await new Promise((resolve) => setImmediate(resolve));
    this.lastBreak = performance.now();
  }
};
async function* serialise(path, caseHack) {
  const out = new NarWriter();
  out.str("nix-archive-1");
  yield* dumpNode(path, out, caseHack, 0);
  out.flush();
  yield* out.take();
}
async function* dumpNode(path, out, caseHack, depth) {
  if (depth >= NAR_MAX_DEPTH) throw new NarTooDeep(path.toString());
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
      if (st.size <= SMALL_FILE) readSmallFile(path, st.size, out);
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
      for (const { name, onDisk } of narEntries(readdirSync(path, { encoding: "buffer" }), caseHack)) {
        out.str("entry");
        out.str("(");
        out.str("name");
        out.str(name);
        out.str("node");
        yield* dumpNode(Buffer.concat([path, SLASH, onDisk]), out, caseHack, depth + 1);
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
function readSmallFile(path, size, out) {
  const fd = openSync(path, "r");
  try {
    out.readSync(fd, size, path);
  } finally {
    closeSync(fd);
  }
}
async function* readLargeFile(path, size, out) {
  const fh = await open(path, "r");
  try {
    yield* out.read(fh, size, path);
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

// src/plan/result.ts
function emptyOutcome() {
  return { pushed: [], failed: [], vanished: [], unsubstitutable: [] };
}
function pushedByJob(r) {
  return [...r.published ?? [], ...r.outcome.pushed];
}
function selectedByJob(r) {
  return [...(r.published ?? []).map((p) => p.path), ...r.selection.push];
}

// src/format/store-path.ts
var hashPart = (storePath) => {
  const base = storePath.slice(storePath.lastIndexOf("/") + 1);
  return base.slice(0, 32);
};

export {
  FRAME_SIZE,
  reuseFrames,
  frameOf,
  recycleFrame,
  NAR_MAX_DEPTH,
  NarTooDeep,
  narStream,
  narBytes,
  narHashOf,
  emptyOutcome,
  pushedByJob,
  selectedByJob,
  hashPart
};
