#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  restoreGithubActionsCache,
  restoreLayer
} from "./chunk-4R3S2UNJ.js";
import "./chunk-HKK77MEJ.js";
import "./chunk-PO5KLSPC.js";
import "./chunk-FDHWGJPV.js";
import "./chunk-ZJ5KVJ64.js";
import "./chunk-GZBSJNQ6.js";
import "./chunk-6EBHABR5.js";
import "./chunk-FM7YD635.js";
import "./chunk-WSR6M3NS.js";
export {
  restoreGithubActionsCache,
  restoreLayer
};
