#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  CachixRefused,
  cachixRefusalMessage
} from "./chunk-GP6D5KZ3.js";
import {
  Meter,
  compressor
} from "./chunk-JR4ZI3K7.js";
import {
  emptyOutcome,
  hashPart,
  narStream
} from "./chunk-SGWZFH3B.js";
import {
  fingerprint
} from "./chunk-WODUGNK7.js";
import {
  formatNix32Hash,
  parseHash
} from "./chunk-Z3KDMJWA.js";
import {
  limiter
} from "./chunk-SUVJ4ZAQ.js";
import {
  CacheUnavailableError
} from "./chunk-24U267C3.js";

// src/executors/cachix/push.ts
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { open, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { pipeline } from "node:stream/promises";
var DEFAULT_PART_SIZE = 32 << 20;
var NarMismatch = class extends Error {
  constructor() {
    super("its contents do not match the hash Nix recorded (store corruption?)");
  }
};
function narInfoCreate(info, file, signer) {
  const name = basename(info.path);
  const sig = signer?.sign(fingerprint(info.path, info.narHash, info.narSize, info.references));
  return {
    cStoreHash: hashPart(info.path),
    cStoreSuffix: name.slice(33),
    cNarHash: formatNix32Hash(parseHash(info.narHash)),
    cNarSize: info.narSize,
    cFileHash: file.hashHex,
    cFileSize: file.size,
    cReferences: info.references.map((r) => basename(r)),
    cDeriver: info.deriver ? basename(info.deriver) : "unknown-deriver",
    cSig: sig === void 0 ? null : sig.slice(sig.indexOf(":") + 1)
  };
}
async function pushToCachix(infos, opts) {
  const outcome = emptyOutcome();
  const byPath = new Map(infos.map((i) => [i.path, i]));
  const limit = limiter(opts.parallelism);
  const done = /* @__PURE__ */ new Map();
  let stopped;
  const push = (info) => {
    const existing = done.get(info.path);
    if (existing) return existing;
    const task = (async () => {
      const deps = info.references.filter((r) => r !== info.path && byPath.has(r));
      const results = await Promise.all(deps.map((d) => push(byPath.get(d))));
      const failedDep = deps.find((_, i) => !results[i]);
      if (failedDep !== void 0) {
        outcome.failed.push({ path: info.path, reason: `not uploaded: its reference ${failedDep} was not` });
        return false;
      }
      return limit(async () => {
        if (stopped !== void 0) {
          outcome.failed.push({ path: info.path, reason: `not tried: ${stopped}` });
          return false;
        }
        try {
          const fileSize = await uploadOne(info, opts);
          const pushed = { path: info.path, narSize: info.narSize, fileSize };
          outcome.pushed.push(pushed);
          opts.onPushed?.(pushed);
          return true;
        } catch (e) {
          const message = e instanceof Error ? e.message : String(e);
          if (e instanceof CachixRefused && stopped === void 0) {
            stopped = `Cachix refused the auth-token (${message})`;
            outcome.stoppedBy = cachixRefusalMessage(e, opts.api.cacheName);
          } else if (e instanceof CacheUnavailableError && stopped === void 0) stopped = e.message;
          outcome.failed.push({ path: info.path, reason: message });
          return false;
        }
      });
    })();
    done.set(info.path, task);
    return task;
  };
  await Promise.all(infos.map(push));
  return outcome;
}
async function uploadOne(info, opts) {
  const spool = join(opts.spoolDir, `cachix-${randomBytes(8).toString("hex")}.spool`);
  try {
    const nar = new Meter();
    const fileHash = createHash("sha256");
    let fileSize = 0;
    const tap = async function* (source) {
      for await (const chunk of source) {
        fileHash.update(chunk);
        fileSize += chunk.length;
        yield chunk;
      }
    };
    await pipeline(narStream(join(opts.realStoreDir, basename(info.path))), nar, compressor(opts.compression, info.narSize), tap, createWriteStream(spool));
    if (nar.bytes !== info.narSize || !nar.digest().equals(parseHash(info.narHash))) throw new NarMismatch();
    const { narId, uploadId } = await opts.api.startUpload(opts.compression === "xz" ? "xz" : "zst");
    try {
      const parts = [];
      const partSize = opts.partSize ?? DEFAULT_PART_SIZE;
      const handle = await open(spool, "r");
      try {
        for (let offset = 0, partNumber = 1; offset < fileSize || partNumber === 1; offset += partSize, partNumber++) {
          const part = Buffer.alloc(Math.min(partSize, fileSize - offset));
          await handle.read(part, 0, part.length, offset);
          const md5 = createHash("md5").update(part).digest("base64");
          const url = await opts.api.partUrl(narId, uploadId, partNumber, md5);
          parts.push({ partNumber, eTag: await opts.api.putPart(url, part, md5, partNumber) });
        }
      } finally {
        await handle.close();
      }
      await opts.api.complete(narId, uploadId, parts, narInfoCreate(info, { hashHex: fileHash.digest("hex"), size: fileSize }, opts.signer));
    } catch (e) {
      await opts.api.abort(narId, uploadId).catch(() => void 0);
      throw e;
    }
    return fileSize;
  } finally {
    await rm(spool, { force: true });
  }
}

export {
  pushToCachix
};
