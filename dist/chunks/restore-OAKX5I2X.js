#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  recordLayer,
  restoreGithubActionsCache,
  restoreLayer
} from "./chunk-GI4ABRNW.js";
import "./chunk-HYNQULQH.js";
import "./chunk-3HGLEHRV.js";
import "./chunk-X7FR3O4X.js";
import "./chunk-LYDSLQSI.js";
import "./chunk-Q5DT6Z5U.js";
import "./chunk-JR4ZI3K7.js";
import "./chunk-SGWZFH3B.js";
import "./chunk-3KWS2PPE.js";
import "./chunk-WODUGNK7.js";
import "./chunk-Z3KDMJWA.js";
import "./chunk-AKU3OAVM.js";
import "./chunk-SUVJ4ZAQ.js";
import "./chunk-R2G23YRC.js";
import "./chunk-24U267C3.js";
import "./chunk-WSR6M3NS.js";
export {
  recordLayer,
  restoreGithubActionsCache,
  restoreLayer
};
