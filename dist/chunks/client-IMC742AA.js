#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  CLIENT_RETRY,
  CacheEntryError,
  CacheServiceRefused,
  actionsCacheClient,
  cacheMode,
  unavailableReason,
  withinBudget
} from "./chunk-VCSLMCN2.js";
import "./chunk-Q5DT6Z5U.js";
import "./chunk-GJFF52N4.js";
import "./chunk-XPTRIRNR.js";
import "./chunk-WSR6M3NS.js";
export {
  CLIENT_RETRY,
  CacheEntryError,
  CacheServiceRefused,
  actionsCacheClient,
  cacheMode,
  unavailableReason,
  withinBudget
};
