#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  recordLayer,
  restoreGithubActionsCache,
  restoreLayer
} from "./chunk-SKDHA7IU.js";
import "./chunk-W3GBQVQF.js";
import "./chunk-PO5KLSPC.js";
import "./chunk-RGHDVDVD.js";
import "./chunk-62EGI3AM.js";
import "./chunk-TU6JHRST.js";
import "./chunk-AEPLBNQV.js";
import "./chunk-QUJN3JQ2.js";
import "./chunk-WSR6M3NS.js";
export {
  recordLayer,
  restoreGithubActionsCache,
  restoreLayer
};
