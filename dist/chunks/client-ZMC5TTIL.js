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
} from "./chunk-L4FJVMRZ.js";
import "./chunk-Q5DT6Z5U.js";
import "./chunk-EGCALRY5.js";
import "./chunk-LXHOX3IK.js";
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
