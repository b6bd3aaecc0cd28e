#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  CachixApi
} from "./chunk-GP6D5KZ3.js";
import "./chunk-R2G23YRC.js";
import {
  jobBudget,
  log
} from "./chunk-24U267C3.js";
import "./chunk-WSR6M3NS.js";

// src/job/cachix-pull.ts
async function cachixSubstituter(cache, token) {
  const api = new CachixApi({ apiBase: cache.apiBase, cacheName: cache.cacheName, token, budget: jobBudget() });
  try {
    const info = await api.cache();
    const credentials = token && !info.isPublic ? { machine: new URL(info.uri).hostname, login: "", password: token } : void 0;
    return { url: info.uri, keys: info.publicSigningKeys, credentials };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    log.warning(`Could not read Cachix cache ${cache.cacheName} (${why}): later steps do not substitute from it.${token ? "" : " A private cache needs the auth-token input."}`);
    return void 0;
  }
}
export {
  cachixSubstituter
};
