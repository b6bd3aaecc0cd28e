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
} from "./chunk-3HGLEHRV.js";
import "./chunk-Q5DT6Z5U.js";
import "./chunk-R2G23YRC.js";
import "./chunk-24U267C3.js";
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
