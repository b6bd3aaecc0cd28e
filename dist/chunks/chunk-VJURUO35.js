#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  Niks3Error,
  Niks3Refused,
  niks3RefusalMessage
} from "./chunk-N5Q47KWP.js";
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
  formatNix32Hash,
  parseHash
} from "./chunk-Z3KDMJWA.js";
import {
  limiter
} from "./chunk-SUVJ4ZAQ.js";
import {
  CacheUnavailableError
} from "./chunk-24U267C3.js";

// src/executors/niks3/push.ts
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { open, rm, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { zstdCompressSync } from "node:zlib";
var PART_SIZE = 10 << 20;
var NarMismatch = class extends Error {
  constructor() {
    super("its contents do not match the hash Nix recorded (store corruption?)");
  }
};
var narKeyOf = (info) => `nar/${formatNix32Hash(parseHash(info.narHash)).slice("sha256:".length)}.nar.zst`;
function narinfoText(meta, signatures) {
  const refs = [...meta.references].sort().map((r) => basename(r));
  const lines = [`StorePath: ${meta.store_path}`, `URL: ${meta.url}`, `Compression: ${meta.compression}`, `NarHash: ${meta.nar_hash}`, `NarSize: ${meta.nar_size}`, `References: ${refs.join(" ")}`];
  if (meta.deriver) lines.push(`Deriver: ${basename(meta.deriver)}`);
  for (const s of [...signatures].sort()) lines.push(`Sig: ${s}`);
  if (meta.ca) lines.push(`CA: ${meta.ca}`);
  return `${lines.join("\n")}
`;
}
async function pushToNiks3(infos, opts) {
  const outcome = emptyOutcome();
  const byPath = new Map(infos.map((i) => [i.path, i]));
  const limit = limiter(opts.parallelism);
  const done = /* @__PURE__ */ new Map();
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
        if (outcome.stoppedBy !== void 0) {
          outcome.failed.push({ path: info.path, reason: "not tried: the server refused the token" });
          return false;
        }
        try {
          let fileSize;
          try {
            fileSize = await uploadOne(info, opts);
          } catch (e) {
            if (!(e instanceof Niks3Error && (e.status === 404 || e.status === 403))) throw e;
            fileSize = await uploadOne(info, opts);
          }
          const pushed = { path: info.path, narSize: info.narSize, fileSize };
          outcome.pushed.push(pushed);
          opts.onPushed?.(pushed);
          return true;
        } catch (e) {
          const message = e instanceof Error ? e.message : String(e);
          if (e instanceof Niks3Refused && outcome.stoppedBy === void 0) outcome.stoppedBy = niks3RefusalMessage(e, opts.endpoint);
          else if (e instanceof CacheUnavailableError && outcome.stoppedBy === void 0) outcome.stoppedBy = `the cache was given up on: ${message}`;
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
  const hash = hashPart(info.path);
  const narinfoKey = `${hash}.narinfo`;
  const narKey = narKeyOf(info);
  const refs = [...info.references.map((r) => `${hashPart(r)}.narinfo`), narKey];
  const closure = await opts.api.openClosure(narinfoKey, [
    { key: narinfoKey, type: "narinfo", refs },
    { key: narKey, type: "nar", refs: [], nar_size: info.narSize }
  ]);
  let fileSize = 0;
  const nar = closure.pending_objects[narKey];
  if (nar) fileSize = await uploadNar(info, narKey, nar, opts);
  if (closure.pending_objects[narinfoKey]) {
    const target = closure.pending_objects[narinfoKey];
    if (!target.presigned_url) throw new Niks3Error(`the server gave no upload URL for ${narinfoKey}`, 0);
    const meta = {
      store_path: info.path,
      url: narKey,
      compression: "zstd",
      nar_hash: formatNix32Hash(parseHash(info.narHash)),
      nar_size: info.narSize,
      references: info.references,
      ...info.deriver ? { deriver: info.deriver } : {},
      ...info.ca ? { ca: info.ca } : {}
    };
    const signatures = await opts.api.sign(closure.id, { [narinfoKey]: meta });
    const body = zstdCompressSync(Buffer.from(narinfoText(meta, signatures[narinfoKey] ?? [])));
    await opts.api.put(target.presigned_url, body, { "Content-Type": "text/x-nix-narinfo", "Content-Encoding": "zstd" }, `PUT ${narinfoKey} (presigned)`);
  }
  await opts.api.commit(closure.id);
  return fileSize;
}
async function uploadNar(info, key, target, opts) {
  const spool = join(opts.spoolDir, `niks3-${randomBytes(8).toString("hex")}.spool`);
  try {
    const nar = new Meter();
    await pipeline(narStream(join(opts.realStoreDir, basename(info.path))), nar, compressor("zstd", info.narSize), createWriteStream(spool));
    if (nar.bytes !== info.narSize || !nar.digest().equals(parseHash(info.narHash))) throw new NarMismatch();
    const size = (await stat(spool)).size;
    const handle = await open(spool, "r");
    try {
      const read = async (offset, length) => {
        const buf = Buffer.alloc(length);
        await handle.read(buf, 0, length, offset);
        return buf;
      };
      if (target.presigned_url) {
        await opts.api.put(target.presigned_url, await read(0, size), { "Content-Type": "application/octet-stream" }, `PUT ${key} (presigned)`);
        return size;
      }
      const multipart = target.multipart_info;
      if (!multipart) throw new Niks3Error(`the server gave no upload URL for ${key}`, 0);
      const partSize = opts.partSize ?? PART_SIZE;
      const count = Math.max(1, Math.ceil(size / partSize));
      const urls = [...multipart.part_urls];
      if (urls.length < count) urls.push(...await opts.api.requestParts(key, multipart.upload_id, urls.length + 1, count - urls.length));
      const parts = [];
      for (let i = 0; i < count; i++) {
        const offset = i * partSize;
        const body = await read(offset, Math.min(partSize, size - offset));
        parts.push({ part_number: i + 1, etag: await opts.api.put(urls[i], body, { "Content-Type": "application/octet-stream" }, `PUT ${key} part ${i + 1} (presigned)`) });
      }
      await opts.api.completeMultipart(key, multipart.upload_id, parts);
      return size;
    } finally {
      await handle.close();
    }
  } finally {
    await rm(spool, { force: true });
  }
}

export {
  pushToNiks3
};
