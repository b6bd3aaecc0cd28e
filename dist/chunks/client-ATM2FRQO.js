#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  CLIENT_RETRY,
  CacheEntryError,
  CacheServiceRefused,
  CacheTransferStalled,
  actionsCacheClient,
  cacheMode,
  unavailableReason,
  withinBudget
} from "./chunk-Q5NXHJRI.js";
import "./chunk-Q5DT6Z5U.js";
import "./chunk-EXJRYZJU.js";
import "./chunk-RBL4TPKM.js";
import "./chunk-WSR6M3NS.js";
export {
  CLIENT_RETRY,
  CacheEntryError,
  CacheServiceRefused,
  CacheTransferStalled,
  actionsCacheClient,
  cacheMode,
  unavailableReason,
  withinBudget
};
