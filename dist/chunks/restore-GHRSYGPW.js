#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  recordLayer,
  restoreGithubActionsCache,
  restoreLayer
} from "./chunk-SHD2LOKY.js";
import "./chunk-L4FJVMRZ.js";
import "./chunk-I2MKXC5P.js";
import "./chunk-QKB2IMY3.js";
import "./chunk-Q5DT6Z5U.js";
import "./chunk-ZDZD7BZ6.js";
import "./chunk-XK72OWUU.js";
import "./chunk-S54S7H64.js";
import "./chunk-WODUGNK7.js";
import "./chunk-WPHW6MTC.js";
import "./chunk-72I3IZBR.js";
import "./chunk-SUVJ4ZAQ.js";
import "./chunk-Z3KDMJWA.js";
import "./chunk-EGCALRY5.js";
import "./chunk-LXHOX3IK.js";
import "./chunk-WSR6M3NS.js";
export {
  recordLayer,
  restoreGithubActionsCache,
  restoreLayer
};
