#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  FRAME_SIZE,
  Meter,
  NAR_EXTENSION,
  SMALL_NAR,
  compressSmall,
  compressesInOneCall,
  compressor,
  narBytes,
  narHashOf,
  narStream
} from "./chunk-72I3IZBR.js";
import {
  formatNix32Hash,
  parseHash
} from "./chunk-Z3KDMJWA.js";

// src/format/cache-info.ts
function cacheInfoText(storeDir) {
  return `StoreDir: ${storeDir}
WantMassQuery: 1
Priority: 41
`;
}
function readCacheInfoStoreDir(text) {
  return /^StoreDir:\s*(\S+)/m.exec(text)?.[1];
}

// src/executors/binary-cache/cache-info.ts
async function ensureCacheInfo(storeDir, file, foreign = (theirs) => `${file.displayUrl} is a binary cache for store directory ${theirs}, but this machine's store is ${storeDir}`) {
  const existing = await file.read();
  if (existing === void 0) {
    await file.write(cacheInfoText(storeDir));
    return;
  }
  const theirs = readCacheInfoStoreDir(existing);
  if (theirs !== void 0 && theirs !== storeDir) throw new Error(foreign(theirs));
}

// src/executors/binary-cache/backend.ts
var CONTENT_TYPES = {
  nar: "application/x-nix-nar",
  narinfo: "text/x-nix-narinfo",
  cacheInfo: "text/x-nix-cache-info"
};

// src/executors/binary-cache/nar-writer.ts
import { createWriteStream } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createHash, randomBytes } from "node:crypto";
import { pipeline } from "node:stream/promises";
import { pipeline as pipelineCb, Transform } from "node:stream";
var NarMismatch = class extends Error {
  constructor() {
    super("its contents do not match the hash Nix recorded (store corruption?)");
  }
};
function narUrl(info, compression) {
  return `nar/${formatNix32Hash(parseHash(info.narHash)).slice("sha256:".length)}${NAR_EXTENSION[compression]}`;
}
function check(info, size, hash) {
  if (size !== info.narSize || !hash.equals(parseHash(info.narHash))) throw new NarMismatch();
}
async function verifyPath(info, source) {
  const { hash, size } = await narHashOf(source);
  check(info, size, hash);
}
function writtenInOneCall(info, compression) {
  return info.narSize <= SMALL_NAR && compressesInOneCall(compression);
}
async function writeVerifiedNar(info, source, opts) {
  if (writtenInOneCall(info, opts.compression)) {
    const small = await writeSmallNar(info, source, opts);
    if (small) return small;
  }
  if (opts.backend.publishStream) return await streamVerifiedNar(info, source, opts);
  const url = narUrl(info, opts.compression);
  const spool = await opts.backend.spoolFile?.(url) ?? join(opts.spoolDir, `${randomBytes(8).toString("hex")}.spool`);
  const nar = new Meter();
  const file = new Meter();
  opts.progress?.inflight.add(nar);
  try {
    await pipeline(narStream(source), nar, compressor(opts.compression, info.narSize), file, createWriteStream(spool));
    check(info, nar.bytes, nar.digest());
    const published = await opts.backend.publish(url, spool, CONTENT_TYPES.nar);
    if (published === "existed") return { url, fileHash: "", fileSize: 0 };
    return { url, fileHash: formatNix32Hash(file.digest()), fileSize: file.bytes };
  } finally {
    opts.progress?.inflight.delete(nar);
    await rm(spool, { force: true });
  }
}
async function writeSmallNar(info, source, opts) {
  const nar = await narBytes(source, info.narSize);
  if (!nar) return void 0;
  check(info, nar.length, createHash("sha256").update(nar).digest());
  const compressed = compressSmall(opts.compression, nar);
  if (!compressed) return void 0;
  const url = narUrl(info, opts.compression);
  const { backend } = opts;
  let published;
  if (backend.publishBytes) {
    published = await backend.publishBytes(url, compressed, CONTENT_TYPES.nar);
  } else {
    const spool = await backend.spoolFile?.(url) ?? join(opts.spoolDir, `${randomBytes(8).toString("hex")}.spool`);
    try {
      await writeFile(spool, compressed, { flag: "wx" });
      published = await backend.publish(url, spool, CONTENT_TYPES.nar);
    } finally {
      await rm(spool, { force: true });
    }
  }
  if (published === "existed") return { url, fileHash: "", fileSize: 0 };
  return { url, fileHash: formatNix32Hash(createHash("sha256").update(compressed).digest()), fileSize: compressed.length };
}
var NarGate = class extends Transform {
  constructor(info) {
    super({ highWaterMark: 0 });
    this.info = info;
  }
  info;
  hash = createHash("sha256");
  bytes = 0;
  _transform(chunk, _enc, done) {
    this.bytes += chunk.length;
    if (this.bytes > this.info.narSize) return done(new NarMismatch());
    this.hash.update(chunk);
    done(null, chunk);
  }
  _flush(done) {
    try {
      check(this.info, this.bytes, this.hash.digest());
      done();
    } catch (e) {
      done(e);
    }
  }
};
async function streamVerifiedNar(info, source, opts) {
  const publishStream = opts.backend.publishStream;
  if (!publishStream) throw new Error("the backend cannot publish a stream");
  const url = narUrl(info, opts.compression);
  const gates = /* @__PURE__ */ new Set();
  let file;
  const body = () => {
    for (const g of gates) opts.progress?.inflight.delete(g);
    const gate = new NarGate(info);
    gates.add(gate);
    opts.progress?.inflight.add(gate);
    file = new Meter();
    return pipelineCb(narStream(source), gate, compressor(opts.compression, info.narSize), file, () => void 0);
  };
  const both = async () => {
    if (!opts.backend.dropsCutBodies?.()) await verifyPath(info, source);
    return await publishStream.call(opts.backend, url, body, CONTENT_TYPES.nar);
  };
  try {
    const published = await (opts.streams && info.narSize > FRAME_SIZE ? opts.streams(both) : both());
    if (published === "existed" || !file) return { url, fileHash: "", fileSize: 0 };
    return { url, fileHash: formatNix32Hash(file.digest()), fileSize: file.bytes };
  } finally {
    for (const g of gates) opts.progress?.inflight.delete(g);
  }
}

export {
  cacheInfoText,
  ensureCacheInfo,
  CONTENT_TYPES,
  NarMismatch,
  narUrl,
  verifyPath,
  writtenInOneCall,
  writeVerifiedNar
};
