#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  limiter
} from "./chunk-SUVJ4ZAQ.js";
import {
  CacheUnavailableError
} from "./chunk-LXHOX3IK.js";

// src/executors/binary-cache/probe.ts
async function probeEach(hashes, p) {
  const limit = limiter(Math.max(1, p.concurrency));
  const failures = [];
  const present = await Promise.all(
    hashes.map(
      (hash) => limit(async () => {
        try {
          const answer = await p.probe(hash);
          if (typeof answer === "boolean") return answer;
          failures.push(answer.failed);
        } catch (e) {
          if (e instanceof CacheUnavailableError) throw e;
          failures.push(p.describe(hash, e));
        }
        return false;
      })
    )
  );
  if (failures.length > 0) {
    const more = failures.length > 1 ? ` (and ${failures.length - 1} more)` : "";
    p.warn(`${failures[0]}${more}; assuming ${failures.length === 1 ? "it is" : "they are"} not cached`);
  }
  return new Set(hashes.filter((_, i) => present[i]));
}

export {
  probeEach
};
