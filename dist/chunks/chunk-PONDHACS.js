#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  AtticRefused,
  refusalMessage
} from "./chunk-IRIMODWJ.js";
import {
  emptyOutcome,
  hashPart,
  narStream
} from "./chunk-SGWZFH3B.js";
import {
  limiter
} from "./chunk-SUVJ4ZAQ.js";
import {
  CacheUnavailableError
} from "./chunk-24U267C3.js";

// src/executors/attic/push.ts
import { basename, join } from "node:path";
function uploadInfo(info, cacheName) {
  return {
    cache: cacheName,
    store_path_hash: hashPart(info.path),
    store_path: info.path,
    references: info.references.map((r) => basename(r)),
    // The Attic client sends neither (client/src/push.rs): the server does not use them.
    system: null,
    deriver: null,
    sigs: info.signatures,
    ca: info.ca ?? null,
    nar_hash: info.narHash,
    nar_size: info.narSize
  };
}
async function pushToAttic(infos, opts) {
  const outcome = emptyOutcome();
  const byPath = new Map(infos.map((i) => [i.path, i]));
  const limit = limiter(opts.parallelism);
  const done = /* @__PURE__ */ new Map();
  let refused;
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
        if (refused !== void 0) {
          outcome.failed.push({ path: info.path, reason: `not tried: ${refused}` });
          return false;
        }
        try {
          await opts.api.uploadPath(uploadInfo(info, opts.api.cacheName), () => narStream(join(opts.realStoreDir, basename(info.path))));
          const pushed = { path: info.path, narSize: info.narSize, fileSize: info.narSize };
          outcome.pushed.push(pushed);
          opts.onPushed?.(pushed);
          return true;
        } catch (e) {
          const message = e instanceof Error ? e.message : String(e);
          if (e instanceof AtticRefused && refused === void 0) {
            refused = `the Attic server refused the auth-token (${message})`;
            outcome.stoppedBy = refusalMessage(e, opts.api.cacheName);
          } else if (e instanceof CacheUnavailableError && refused === void 0) refused = e.message;
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

export {
  pushToAttic
};
