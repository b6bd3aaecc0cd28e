#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  LazyLayers
} from "./chunk-6F4VM75H.js";
import {
  serveLazyLayers
} from "./chunk-YV6L46RA.js";
import {
  RESTORED_STATE_KEY,
  actionsCacheClient,
  cacheMode,
  unavailableReason
} from "./chunk-V2KJ3HTS.js";
import {
  ghaLayout,
  keyScheme
} from "./chunk-HKK77MEJ.js";
import "./chunk-PO5KLSPC.js";
import {
  configurePull
} from "./chunk-MK5BDJX6.js";
import "./chunk-2K3T4GJ5.js";
import "./chunk-GZBSJNQ6.js";
import "./chunk-6EBHABR5.js";
import {
  host
} from "./chunk-FM7YD635.js";
import "./chunk-WSR6M3NS.js";

// src/backends/gha/on-demand.ts
async function serveGithubActionsCache(inputs, store) {
  if (inputs.cache.kind !== "github-actions" || unavailableReason() || !cacheMode().readable) return void 0;
  const layout = ghaLayout(host().tempDir);
  const layers = new LazyLayers({ client: actionsCacheClient(), layout, keys: keyScheme(inputs.keyPrefix), storeDir: store.storeDir });
  const substituter = await serveLazyLayers(layers, layout.binaryCache, inputs.substituterPort);
  return {
    url: substituter.url,
    close: async () => {
      await substituter.close();
      await layers.ready;
    }
  };
}
async function pullFromLocalSubstituter(inputs, store, url) {
  host().saveState(RESTORED_STATE_KEY, ghaLayout(host().tempDir).restoredFile);
  await configurePull(inputs, store, `${url}?trusted=1`);
}
export {
  pullFromLocalSubstituter,
  serveGithubActionsCache
};
