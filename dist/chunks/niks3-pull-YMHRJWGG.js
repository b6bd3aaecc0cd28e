#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  Niks3Api
} from "./chunk-N5Q47KWP.js";
import "./chunk-SUVJ4ZAQ.js";
import "./chunk-R2G23YRC.js";
import {
  jobBudget,
  log
} from "./chunk-24U267C3.js";
import "./chunk-WSR6M3NS.js";

// src/job/niks3-pull.ts
async function niks3Substituter(cache, token) {
  const api = new Niks3Api({ endpoint: cache.endpoint, token, budget: jobBudget() });
  try {
    const config = await api.cacheConfig();
    if (!config.substituter_url) {
      log.warning(`The niks3 server ${cache.endpoint} names no substituter (it runs without --cache-url): later steps do not substitute from it.`);
      return void 0;
    }
    const sameHost = new URL(config.substituter_url).host === new URL(cache.endpoint).host;
    const credentials = token && sameHost ? { machine: new URL(config.substituter_url).hostname, password: token } : void 0;
    return { url: config.substituter_url.replace(/\/+$/, ""), keys: config.public_keys ?? [], credentials };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    log.warning(`Could not read the cache config of the niks3 server ${cache.endpoint} (${why}): later steps do not substitute from it.`);
    return void 0;
  }
}
export {
  niks3Substituter
};
