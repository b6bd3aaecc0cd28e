#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  AtticApi,
  CachixApi,
  Niks3Api
} from "./chunk-JX73GPYK.js";
import "./chunk-SUVJ4ZAQ.js";
import "./chunk-EGCALRY5.js";
import {
  jobBudget,
  log
} from "./chunk-LXHOX3IK.js";
import "./chunk-WSR6M3NS.js";

// src/job/server-pull.ts
async function serverSubstituter(cache, token) {
  const reading = cache.kind === "attic" ? attic(cache, token) : cache.kind === "cachix" ? cachix(cache, token) : niks3(cache, token);
  try {
    return await reading.read();
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    log.warning(`Could not read ${reading.what} (${why}): later steps do not substitute from it.${reading.mayNeedToken && !token ? " A private cache needs the auth-token input." : ""}`);
    return void 0;
  }
}
function attic(cache, token) {
  const api = new AtticApi({ endpoint: cache.endpoint, cacheName: cache.cacheName, token, budget: jobBudget() });
  return {
    what: `the config of Attic cache ${cache.cacheName}`,
    mayNeedToken: true,
    read: async () => {
      const config = await api.cacheConfig();
      const base = config.substituter_endpoint ?? cache.endpoint;
      const url = `${base.endsWith("/") ? base : `${base}/`}${cache.cacheName}`;
      const keys = config.public_key ? [config.public_key] : [];
      const credentials = token && config.is_public === false ? { machine: new URL(url).hostname, password: token } : void 0;
      return { url, keys, credentials };
    }
  };
}
function cachix(cache, token) {
  const api = new CachixApi({ apiBase: cache.apiBase, cacheName: cache.cacheName, token, budget: jobBudget() });
  return {
    what: `Cachix cache ${cache.cacheName}`,
    mayNeedToken: true,
    read: async () => {
      const info = await api.cache();
      const credentials = token && !info.isPublic ? { machine: new URL(info.uri).hostname, login: "", password: token } : void 0;
      return { url: info.uri, keys: info.publicSigningKeys, credentials };
    }
  };
}
function niks3(cache, token) {
  const api = new Niks3Api({ endpoint: cache.endpoint, token, budget: jobBudget() });
  return {
    what: `the cache config of the niks3 server ${cache.endpoint}`,
    // The config needs no token.
    mayNeedToken: false,
    read: async () => {
      const config = await api.cacheConfig();
      if (!config.substituter_url) {
        log.warning(`The niks3 server ${cache.endpoint} names no substituter (it runs without --cache-url): later steps do not substitute from it.`);
        return void 0;
      }
      const sameHost = new URL(config.substituter_url).host === new URL(cache.endpoint).host;
      const credentials = token && sameHost ? { machine: new URL(config.substituter_url).hostname, password: token } : void 0;
      return { url: config.substituter_url.replace(/\/+$/, ""), keys: config.public_keys ?? [], credentials };
    }
  };
}
export {
  serverSubstituter
};
