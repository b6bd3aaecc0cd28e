#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  FRAME_SIZE,
  frameOf,
  recycleFrame
} from "./chunk-SGWZFH3B.js";

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
  if (kind === "none") return nar;
  if (kind === "zstd") return zstdOneShot(nar);
  return void 0;
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

// src/executors/binary-cache/meter.ts
import { createHash } from "node:crypto";
import { Transform as Transform4 } from "node:stream";
var Meter = class extends Transform4 {
  hash = createHash("sha256");
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
  limitFraming,
  NAR_EXTENSION,
  SMALL_NAR,
  compressSmall,
  compressor,
  compressionOfNarFile,
  decompressor,
  Meter
};
