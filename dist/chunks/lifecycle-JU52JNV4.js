#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  openJob,
  runProcess
} from "./chunk-TBXICSS6.js";
import "./chunk-DDPCELID.js";
import "./chunk-S54S7H64.js";
import "./chunk-WODUGNK7.js";
import "./chunk-Z3KDMJWA.js";
import "./chunk-LXHOX3IK.js";
import "./chunk-WSR6M3NS.js";
export {
  openJob,
  runProcess
};
