#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  restoreGithubActionsCache,
  restoreLayer
} from "./chunk-4RJBDKRY.js";
import "./chunk-PO5KLSPC.js";
import "./chunk-HDSIEP5T.js";
import "./chunk-RCHRBDIU.js";
import "./chunk-WSR6M3NS.js";
export {
  restoreGithubActionsCache,
  restoreLayer
};
