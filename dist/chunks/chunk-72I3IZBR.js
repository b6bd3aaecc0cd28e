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

// src/format/zstd-frames.ts
import { Transform } from "node:stream";
import * as zlib from "node:zlib";
var WINDOW_LOG = 22;
var OUTPUT_CHUNK = 1 << 20;
var THROUGHPUT_FRAMING = { compressors: 3, queuedFrames: 4 };
var FramePool = class {
  limits = THROUGHPUT_FRAMING;
  idle = [];
  jobs = [];
  roomWaiters = [];
  live = 0;
  /** Jobs queued or running. */
  inFlight = 0;
  /** Compresses `frame`; `whole`, a lent frame that `frame` is a view of, is recycled afterwards. */
  compress(frame, whole) {
    this.inFlight++;
    return new Promise((resolve, reject) => {
      this.jobs.push({
        input: frame,
        done: (err, out) => {
          if (whole) recycleFrame(whole);
          this.inFlight--;
          this.next();
          if (err) reject(err);
          else resolve(out ?? []);
        }
      });
      this.run();
    });
  }
  /**
   * Resolves when another frame may be queued: the brake that keeps memory bounded. The caller
   * calls `next` once it has had its turn.
   */
  room() {
    if (this.inFlight < this.limits.queuedFrames) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }
  /**
   * Wakes the next waiter if there is room. Called when a frame is done, and after every turn:
   * a woken stream may queue nothing (its chunk only extends a frame), and its wake must then
   * pass on, or the other streams would wait for a frame that never comes.
   */
  next() {
    if (this.inFlight < this.limits.queuedFrames) this.roomWaiters.shift()?.();
  }
  run() {
    while (this.jobs.length > 0) {
      const z = this.idle.pop() ?? (this.live < this.limits.compressors ? this.create() : void 0);
      if (!z) return;
      this.start(z, this.jobs.shift());
    }
  }
  create() {
    this.live++;
    return zlib.createZstdCompress({
      // Output slices pin the buffer they are cut from until sent; 1 MiB buffers pin less than
      // frame-sized ones did (about 20 MB less at the peak of a push over HTTP).
      chunkSize: OUTPUT_CHUNK,
      params: { [zlib.constants.ZSTD_c_compressionLevel]: 3, [zlib.constants.ZSTD_c_windowLog]: WINDOW_LOG }
    });
  }
  start(z, job) {
    const out = [];
    const onData = (b) => {
      out.push(b);
    };
    const onError = (e) => {
      z.off("data", onData);
      this.live--;
      job.done(e);
      this.run();
    };
    z.on("data", onData);
    z.once("error", onError);
    z.write(job.input);
    z.flush(zlib.constants.ZSTD_e_end, () => {
      z.off("data", onData);
      z.off("error", onError);
      this.idle.push(z);
      job.done(null, out);
      this.run();
    });
  }
};
var pool = new FramePool();
function limitFraming(limits) {
  pool.limits = limits;
}
var FramedZstd = class extends Transform {
  /** The lent frame whose pieces are arriving, and the range of it received so far. */
  lent;
  lentStart = 0;
  lentEnd = 0;
  /** Input that did not come in a lent frame (a NAR's first bytes, or any other source). */
  gathered = [];
  gatheredSize = 0;
  /** Output in NAR order: each frame's bytes are pushed only after every earlier frame's. */
  tail = Promise.resolve();
  constructor() {
    super({ readableHighWaterMark: OUTPUT_CHUNK });
  }
  _transform(chunk, _encoding, done) {
    pool.room().then(() => {
      try {
        const frame = frameOf(chunk);
        const offset = frame ? chunk.byteOffset - frame.byteOffset : 0;
        if (frame && frame === this.lent && offset === this.lentEnd) {
          this.lentEnd += chunk.length;
        } else if (frame) {
          this.submitLent();
          this.submitGathered();
          this.lent = frame;
          this.lentStart = offset;
          this.lentEnd = offset + chunk.length;
        } else {
          this.submitLent();
          this.gathered.push(chunk);
          this.gatheredSize += chunk.length;
          this.submitGathered(false);
        }
        if (this.lent && this.lentEnd === this.lent.length) this.submitLent();
      } finally {
        pool.next();
      }
    }).then(() => done(), done);
  }
  _flush(done) {
    this.submitLent();
    this.submitGathered();
    this.tail.then(() => done(), done);
  }
  submitLent() {
    if (!this.lent) return;
    this.submitFrame(this.lent.subarray(this.lentStart, this.lentEnd), this.lentStart === 0 ? this.lent : void 0);
    this.lent = void 0;
  }
  /**
   * Gathered bytes as frames of FRAME_SIZE, so that each fits the window; the rest stays
   * gathered for the next frame unless `all` (a lent frame follows, or the end).
   */
  submitGathered(all = true) {
    if (this.gatheredSize === 0 || !all && this.gatheredSize < FRAME_SIZE) return;
    const bytes = this.gathered.length === 1 ? this.gathered[0] : Buffer.concat(this.gathered, this.gatheredSize);
    let at = 0;
    for (; bytes.length - at >= FRAME_SIZE; at += FRAME_SIZE) this.submitFrame(bytes.subarray(at, at + FRAME_SIZE));
    if (all && at < bytes.length) {
      this.submitFrame(bytes.subarray(at));
      at = bytes.length;
    }
    this.gathered = at < bytes.length ? [bytes.subarray(at)] : [];
    this.gatheredSize = bytes.length - at;
  }
  /** `whole`: the lent frame `bytes` is a view of, recycled once compressed. */
  submitFrame(bytes, whole) {
    const compressed = pool.compress(bytes, whole);
    compressed.catch(() => void 0);
    this.tail = this.tail.then(async () => {
      for (const b of await compressed) this.push(b);
    });
    this.tail.catch((e) => this.destroy(e));
  }
};

// src/format/compression.ts
import { spawn } from "node:child_process";
import { Duplex, PassThrough, Transform as Transform3 } from "node:stream";
import * as zlib2 from "node:zlib";

// src/format/zstd-reader.ts
import { Transform as Transform2 } from "node:stream";
import { zstdDecompressSync } from "node:zlib";
var ZSTD_MAGIC = 4247762216;
var MAX_FRAME_BYTES = 16 << 20;
function zstdFrameLength(buf, at) {
  if (buf.length < at + 6) return void 0;
  if (buf.readUInt32LE(at) !== ZSTD_MAGIC) throw new Error(`no zstd frame at byte ${at}`);
  const fhd = buf[at + 4];
  const singleSegment = fhd >> 5 & 1;
  const dictIdSize = [0, 1, 2, 4][fhd & 3];
  const fcsSize = [singleSegment ? 1 : 0, 2, 4, 8][fhd >> 6];
  let end = at + 5 + (singleSegment ? 0 : 1) + dictIdSize + fcsSize;
  for (; ; ) {
    if (buf.length < end + 3) return void 0;
    const header = buf.readUIntLE(end, 3);
    const type = header >> 1 & 3;
    end += 3 + (type === 1 ? 1 : header >> 3);
    if (header & 1) break;
  }
  if (fhd >> 2 & 1) end += 4;
  return buf.length < end ? void 0 : end - at;
}
var ZstdFrameReader = class extends Transform2 {
  pending = [];
  pendingBytes = 0;
  _transform(chunk, _enc, done) {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    try {
      this.drain();
      done();
    } catch (e) {
      done(e);
    }
  }
  _flush(done) {
    done(this.pendingBytes === 0 ? null : new Error("the zstd data ends in the middle of a frame"));
  }
  drain() {
    let buf = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    let at = 0;
    for (; ; ) {
      const length = zstdFrameLength(buf, at);
      if (length === void 0) break;
      if (length > MAX_FRAME_BYTES) throw new Error(`a zstd frame of ${length} bytes`);
      this.push(zstdDecompressSync(buf.subarray(at, at + length)));
      at += length;
    }
    if (buf.length - at > MAX_FRAME_BYTES) throw new Error("a zstd frame larger than any this action writes");
    buf = buf.subarray(at);
    this.pending = buf.length > 0 ? [buf] : [];
    this.pendingBytes = buf.length;
  }
};

// src/format/compression.ts
var NAR_EXTENSION = { zstd: ".nar.zst", xz: ".nar.xz", none: ".nar" };
var CHUNK = 1 << 20;
var SMALL_NAR = 256 * 1024;
var zstdOneShot = (input) => zlib2.zstdCompressSync(input, { pledgedSrcSize: input.length, params: { [zlib2.constants.ZSTD_c_compressionLevel]: 3 } });
function compressSmall(kind, nar) {
  if (!compressesInOneCall(kind)) return void 0;
  return kind === "zstd" ? zstdOneShot(nar) : nar;
}
function compressesInOneCall(kind) {
  return kind === "zstd" || kind === "none";
}
var SmallZstd = class extends Transform3 {
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
      if (input.length !== this.narSize) return done(new Error(`the NAR is ${input.length} bytes, not the ${this.narSize} Nix recorded`));
      done(null, zstdOneShot(input));
    } catch (e) {
      done(e);
    }
  }
};
function compressor(kind, narSize) {
  if (kind === "none") return new PassThrough({ highWaterMark: CHUNK });
  if (kind === "zstd" && narSize !== void 0 && narSize <= SMALL_NAR) return new SmallZstd(narSize);
  if (kind === "zstd") return new FramedZstd();
  return xz(["-c", "-T0", "-6"]);
}
function xz(args) {
  const child = spawn("xz", args, { stdio: ["pipe", "pipe", "ignore"] });
  const duplex = Duplex.from({ writable: child.stdin, readable: child.stdout });
  child.on("error", (e) => duplex.destroy(e));
  child.on("close", (code) => {
    if (code !== 0) duplex.destroy(new Error(`xz ${args.join(" ")} exited with ${code}`));
  });
  duplex.on("close", () => {
    if (child.exitCode === null && child.signalCode === null) child.kill();
  });
  return duplex;
}
function compressionOfNarFile(name) {
  const found = Object.entries(NAR_EXTENSION).find(([, ext]) => name.endsWith(ext));
  return found?.[0];
}
function decompressor(kind) {
  if (kind === "none") return new PassThrough({ highWaterMark: CHUNK });
  if (kind === "zstd") return new ZstdFrameReader();
  return xz(["-dc"]);
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

// src/executors/binary-cache/meter.ts
import { createHash as createHash2 } from "node:crypto";
import { Transform as Transform4 } from "node:stream";
var Meter = class extends Transform4 {
  hash = createHash2("sha256");
  bytes = 0;
  constructor() {
    super({ highWaterMark: 0 });
  }
  _transform(chunk, _enc, done) {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }
  digest() {
    return this.hash.digest();
  }
};

export {
  FRAME_SIZE,
  reuseFrames,
  limitFraming,
  NAR_EXTENSION,
  SMALL_NAR,
  compressSmall,
  compressesInOneCall,
  compressor,
  compressionOfNarFile,
  decompressor,
  NAR_MAX_DEPTH,
  NarTooDeep,
  narStream,
  narBytes,
  narHashOf,
  Meter
};
