#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  recordLayer,
  restoreGithubActionsCache,
  restoreLayer
} from "./chunk-GQO6EDDJ.js";
import "./chunk-VCSLMCN2.js";
import "./chunk-QDSASVNL.js";
import "./chunk-Q5DT6Z5U.js";
import "./chunk-UZNHWSQD.js";
import "./chunk-LYRV4XWB.js";
import "./chunk-MP4OTUHC.js";
import "./chunk-GJFF52N4.js";
import "./chunk-XPTRIRNR.js";
import "./chunk-WSR6M3NS.js";
export {
  recordLayer,
  restoreGithubActionsCache,
  restoreLayer
};
