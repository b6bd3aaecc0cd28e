#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  openJob,
  runProcess
} from "./chunk-RFSXYZAW.js";
import "./chunk-NG6KIHJA.js";
import "./chunk-JWQLIVU5.js";
import "./chunk-WODUGNK7.js";
import "./chunk-Z3KDMJWA.js";
import "./chunk-RBL4TPKM.js";
import "./chunk-WSR6M3NS.js";
export {
  openJob,
  runProcess
};
