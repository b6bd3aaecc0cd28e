#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  openJob,
  runProcess
} from "./chunk-2EI5SSKI.js";
import "./chunk-GW53ONQB.js";
import "./chunk-LYRV4XWB.js";
import "./chunk-XPTRIRNR.js";
import "./chunk-WSR6M3NS.js";
export {
  openJob,
  runProcess
};
