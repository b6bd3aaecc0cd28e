#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  AtticApi
} from "./chunk-IRIMODWJ.js";
import "./chunk-R2G23YRC.js";
import {
  jobBudget,
  log
} from "./chunk-24U267C3.js";
import "./chunk-WSR6M3NS.js";

// src/job/attic-pull.ts
async function atticSubstituter(cache, token) {
  const api = new AtticApi({ endpoint: cache.endpoint, cacheName: cache.cacheName, token, budget: jobBudget() });
  try {
    const config = await api.cacheConfig();
    const base = config.substituter_endpoint ?? cache.endpoint;
    const url = `${base.endsWith("/") ? base : `${base}/`}${cache.cacheName}`;
    const keys = config.public_key ? [config.public_key] : [];
    const credentials = token && config.is_public === false ? { machine: new URL(url).hostname, password: token } : void 0;
    return { url, keys, credentials };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    log.warning(`Could not read the config of Attic cache ${cache.cacheName} (${why}): later steps do not substitute from it.${token ? "" : " A private cache needs the auth-token input."}`);
    return void 0;
  }
}
export {
  atticSubstituter
};
