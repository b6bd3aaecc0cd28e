#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  AtticApi,
  AtticRefused,
  CachixApi,
  CachixRefused,
  Niks3Api,
  Niks3Error,
  Niks3Refused,
  cachixRefusalMessage,
  niks3RefusalMessage,
  refusalMessage
} from "./chunk-JX73GPYK.js";
import {
  emptyOutcome,
  hashPart
} from "./chunk-XK72OWUU.js";
import {
  fingerprint
} from "./chunk-WODUGNK7.js";
import {
  Meter,
  compressor,
  narStream
} from "./chunk-72I3IZBR.js";
import {
  limiter
} from "./chunk-SUVJ4ZAQ.js";
import {
  formatNix32Hash,
  parseHash
} from "./chunk-Z3KDMJWA.js";
import {
  CacheUnavailableError,
  jobBudget
} from "./chunk-LXHOX3IK.js";

// src/executors/attic/push.ts
import { basename as basename2, join as join2 } from "node:path";

// src/executors/server-push.ts
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { open, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { pipeline } from "node:stream/promises";
async function pushInReferenceOrder(infos, opts) {
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
          const fileSize = await opts.upload(info);
          const pushed = { path: info.path, narSize: info.narSize, fileSize };
          outcome.pushed.push(pushed);
          opts.onPushed?.(pushed);
          return true;
        } catch (e) {
          const message = e instanceof Error ? e.message : String(e);
          const stop = stopped === void 0 ? opts.stopsOn(e, message) : void 0;
          if (stop) {
            stopped = stop.notTried;
            if (stop.stoppedBy !== void 0) outcome.stoppedBy = stop.stoppedBy;
          }
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
var NarMismatch = class extends Error {
  constructor() {
    super("its contents do not match the hash Nix recorded (store corruption?)");
  }
};
async function withSpooledNar(info, opts, use) {
  const spool = join(opts.spoolDir, `${opts.prefix}-${randomBytes(8).toString("hex")}.spool`);
  try {
    const nar = new Meter();
    const fileHash = createHash("sha256");
    let size = 0;
    const tap = async function* (source) {
      for await (const chunk of source) {
        fileHash.update(chunk);
        size += chunk.length;
        yield chunk;
      }
    };
    await pipeline(narStream(join(opts.realStoreDir, basename(info.path))), nar, compressor(opts.compression, info.narSize), tap, createWriteStream(spool));
    if (nar.bytes !== info.narSize || !nar.digest().equals(parseHash(info.narHash))) throw new NarMismatch();
    const handle = await open(spool, "r");
    try {
      const read = async (offset, length) => {
        const buf = Buffer.alloc(length);
        await handle.read(buf, 0, length, offset);
        return buf;
      };
      return await use({ size, sha256Hex: fileHash.digest("hex"), read });
    } finally {
      await handle.close();
    }
  } finally {
    await rm(spool, { force: true });
  }
}

// src/executors/attic/push.ts
function uploadInfo(info, cacheName) {
  return {
    cache: cacheName,
    store_path_hash: hashPart(info.path),
    store_path: info.path,
    references: info.references.map((r) => basename2(r)),
    // The Attic client sends neither (client/src/push.rs): the server does not use them.
    system: null,
    deriver: null,
    sigs: info.signatures,
    ca: info.ca ?? null,
    nar_hash: info.narHash,
    nar_size: info.narSize
  };
}
function pushToAttic(infos, opts) {
  return pushInReferenceOrder(infos, {
    parallelism: opts.parallelism,
    onPushed: opts.onPushed,
    upload: async (info) => {
      await opts.api.uploadPath(uploadInfo(info, opts.api.cacheName), () => narStream(join2(opts.realStoreDir, basename2(info.path))));
      return info.narSize;
    },
    stopsOn: (e, message) => {
      if (e instanceof AtticRefused) return { notTried: `the Attic server refused the auth-token (${message})`, stoppedBy: refusalMessage(e, opts.api.cacheName) };
      if (e instanceof CacheUnavailableError) return { notTried: message };
      return void 0;
    }
  });
}

// src/executors/cachix/push.ts
import { createHash as createHash2 } from "node:crypto";
import { basename as basename3 } from "node:path";
var DEFAULT_PART_SIZE = 32 << 20;
function narInfoCreate(info, file, signer) {
  const name = basename3(info.path);
  const sig = signer?.sign(fingerprint(info.path, info.narHash, info.narSize, info.references));
  return {
    cStoreHash: hashPart(info.path),
    cStoreSuffix: name.slice(33),
    cNarHash: formatNix32Hash(parseHash(info.narHash)),
    cNarSize: info.narSize,
    cFileHash: file.hashHex,
    cFileSize: file.size,
    cReferences: info.references.map((r) => basename3(r)),
    cDeriver: info.deriver ? basename3(info.deriver) : "unknown-deriver",
    cSig: sig === void 0 ? null : sig.slice(sig.indexOf(":") + 1)
  };
}
function pushToCachix(infos, opts) {
  return pushInReferenceOrder(infos, {
    parallelism: opts.parallelism,
    onPushed: opts.onPushed,
    upload: (info) => uploadOne(info, opts),
    stopsOn: (e, message) => {
      if (e instanceof CachixRefused) return { notTried: `Cachix refused the auth-token (${message})`, stoppedBy: cachixRefusalMessage(e, opts.api.cacheName) };
      if (e instanceof CacheUnavailableError) return { notTried: message };
      return void 0;
    }
  });
}
function uploadOne(info, opts) {
  return withSpooledNar(info, { ...opts, prefix: "cachix" }, async (file) => {
    const { narId, uploadId } = await opts.api.startUpload(opts.compression === "xz" ? "xz" : "zst");
    try {
      const parts = [];
      const partSize = opts.partSize ?? DEFAULT_PART_SIZE;
      for (let offset = 0, partNumber = 1; offset < file.size || partNumber === 1; offset += partSize, partNumber++) {
        const part = await file.read(offset, Math.min(partSize, file.size - offset));
        const md5 = createHash2("md5").update(part).digest("base64");
        const url = await opts.api.partUrl(narId, uploadId, partNumber, md5);
        parts.push({ partNumber, eTag: await opts.api.putPart(url, part, md5, partNumber) });
      }
      await opts.api.complete(narId, uploadId, parts, narInfoCreate(info, { hashHex: file.sha256Hex, size: file.size }, opts.signer));
    } catch (e) {
      await opts.api.abort(narId, uploadId).catch(() => void 0);
      throw e;
    }
    return file.size;
  });
}

// src/executors/niks3/push.ts
import { basename as basename4 } from "node:path";
import { zstdCompressSync } from "node:zlib";
var PART_SIZE = 10 << 20;
var narKeyOf = (info) => `nar/${formatNix32Hash(parseHash(info.narHash)).slice("sha256:".length)}.nar.zst`;
function narinfoText(meta, signatures) {
  const refs = [...meta.references].sort().map((r) => basename4(r));
  const lines = [`StorePath: ${meta.store_path}`, `URL: ${meta.url}`, `Compression: ${meta.compression}`, `NarHash: ${meta.nar_hash}`, `NarSize: ${meta.nar_size}`, `References: ${refs.join(" ")}`];
  if (meta.deriver) lines.push(`Deriver: ${basename4(meta.deriver)}`);
  for (const s of [...signatures].sort()) lines.push(`Sig: ${s}`);
  if (meta.ca) lines.push(`CA: ${meta.ca}`);
  return `${lines.join("\n")}
`;
}
function pushToNiks3(infos, opts) {
  return pushInReferenceOrder(infos, {
    parallelism: opts.parallelism,
    onPushed: opts.onPushed,
    upload: async (info) => {
      try {
        return await uploadOne2(info, opts);
      } catch (e) {
        if (!(e instanceof Niks3Error && (e.status === 404 || e.status === 403))) throw e;
        return uploadOne2(info, opts);
      }
    },
    stopsOn: (e, message) => {
      if (e instanceof Niks3Refused) return { notTried: "the server refused the token", stoppedBy: niks3RefusalMessage(e, opts.endpoint) };
      if (e instanceof CacheUnavailableError) return { notTried: "the server refused the token", stoppedBy: `the cache was given up on: ${message}` };
      return void 0;
    }
  });
}
async function uploadOne2(info, opts) {
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
function uploadNar(info, key, target, opts) {
  return withSpooledNar(info, { ...opts, prefix: "niks3", compression: "zstd" }, async (file) => {
    if (target.presigned_url) {
      await opts.api.put(target.presigned_url, await file.read(0, file.size), { "Content-Type": "application/octet-stream" }, `PUT ${key} (presigned)`);
      return file.size;
    }
    const multipart = target.multipart_info;
    if (!multipart) throw new Niks3Error(`the server gave no upload URL for ${key}`, 0);
    const partSize = opts.partSize ?? PART_SIZE;
    const count = Math.max(1, Math.ceil(file.size / partSize));
    const urls = [...multipart.part_urls];
    if (urls.length < count) urls.push(...await opts.api.requestParts(key, multipart.upload_id, urls.length + 1, count - urls.length));
    const parts = [];
    for (let i = 0; i < count; i++) {
      const offset = i * partSize;
      const body = await file.read(offset, Math.min(partSize, file.size - offset));
      parts.push({ part_number: i + 1, etag: await opts.api.put(urls[i], body, { "Content-Type": "application/octet-stream" }, `PUT ${key} part ${i + 1} (presigned)`) });
    }
    await opts.api.completeMultipart(key, multipart.upload_id, parts);
    return file.size;
  });
}

// src/executors/server-sink.ts
function serverSink(cache, token, signer, opts = {}) {
  const budget = jobBudget();
  if (cache.kind === "attic") {
    const api2 = new AtticApi({ endpoint: cache.endpoint, cacheName: cache.cacheName, token, budget });
    return {
      displayUrl: cache.url,
      prepare: async () => (await api2.cacheConfig()).upstream_cache_key_names ?? [],
      existing: async (hashes) => {
        const missing = await api2.missingPaths(hashes);
        return new Set(hashes.filter((h) => !missing.has(h)));
      },
      upload: (infos, o) => pushToAttic(infos, { api: api2, parallelism: o.parallelism, realStoreDir: o.realStoreDir, onPushed: o.onPushed }),
      refusal: (e) => e instanceof AtticRefused ? refusalMessage(e, cache.cacheName) : void 0
    };
  }
  if (cache.kind === "cachix") {
    const api2 = new CachixApi({ apiBase: cache.apiBase, cacheName: cache.cacheName, token, budget });
    let compression = "zstd";
    let selfSigned = false;
    return {
      displayUrl: cache.url,
      prepare: async () => {
        const c = await api2.cache();
        compression = c.preferredCompressionMethod === "XZ" ? "xz" : "zstd";
        selfSigned = signer !== void 0 && c.publicSigningKeys.includes(signer.publicKey);
        return [];
      },
      existing: async (hashes) => {
        const missing = await api2.missing(hashes);
        return new Set(hashes.filter((h) => !missing.has(h)));
      },
      // A self-signed cache takes the client's signature; signing a managed one's paths would only add a
      // signature nobody trusts, so the key is used only when the cache lists its public half.
      upload: (infos, o) => pushToCachix(infos, { api: api2, compression, signer: selfSigned ? signer : void 0, ...o }),
      refusal: (e) => e instanceof CachixRefused ? cachixRefusalMessage(e, cache.cacheName) : void 0
    };
  }
  const api = new Niks3Api({ endpoint: cache.endpoint, token, budget });
  return {
    displayUrl: cache.url,
    prepare: async () => {
      if (opts.probe !== false) await api.cacheConfig();
      return [];
    },
    existing: async (hashes) => {
      const present = await api.present(hashes.map((h) => `${h}.narinfo`));
      return new Set(hashes.filter((h) => present.has(`${h}.narinfo`)));
    },
    upload: (infos, o) => pushToNiks3(infos, { api, endpoint: cache.endpoint, ...o }),
    refusal: (e) => e instanceof Niks3Refused ? niks3RefusalMessage(e, cache.endpoint) : void 0
  };
}

export {
  serverSink
};
