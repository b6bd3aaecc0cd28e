#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  recordLayer,
  restoreGithubActionsCache,
  restoreLayer
} from "./chunk-7QTJHKNV.js";
import "./chunk-Q5NXHJRI.js";
import "./chunk-4XKVQJST.js";
import "./chunk-HT6RKKWU.js";
import "./chunk-Q5DT6Z5U.js";
import "./chunk-MQDBRMBZ.js";
import "./chunk-XK72OWUU.js";
import "./chunk-JWQLIVU5.js";
import "./chunk-WODUGNK7.js";
import "./chunk-WPHW6MTC.js";
import "./chunk-72I3IZBR.js";
import "./chunk-SUVJ4ZAQ.js";
import "./chunk-Z3KDMJWA.js";
import "./chunk-EXJRYZJU.js";
import "./chunk-RBL4TPKM.js";
import "./chunk-WSR6M3NS.js";
export {
  recordLayer,
  restoreGithubActionsCache,
  restoreLayer
};
