#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  openJob,
  runProcess
} from "./chunk-SQTPPINL.js";
import "./chunk-Q5ALDPOL.js";
import "./chunk-3KWS2PPE.js";
import "./chunk-WODUGNK7.js";
import "./chunk-Z3KDMJWA.js";
import "./chunk-24U267C3.js";
import "./chunk-WSR6M3NS.js";
export {
  openJob,
  runProcess
};
