#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  restoreGithubActionsCache,
  restoreLayer
} from "./chunk-3ZPKQN4D.js";
import "./chunk-HKK77MEJ.js";
import "./chunk-PO5KLSPC.js";
import "./chunk-SOKOR6ZW.js";
import "./chunk-OFRQVIR5.js";
import "./chunk-GZBSJNQ6.js";
import "./chunk-6EBHABR5.js";
import "./chunk-FM7YD635.js";
import "./chunk-WSR6M3NS.js";
export {
  restoreGithubActionsCache,
  restoreLayer
};
