#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  S3Backend,
  describeS3Error
} from "./chunk-3AVJ4UYM.js";
import "./chunk-MR5IPH4H.js";
import "./chunk-WPHW6MTC.js";
import "./chunk-72I3IZBR.js";
import "./chunk-SUVJ4ZAQ.js";
import "./chunk-AJY2XOBS.js";
import "./chunk-Z3KDMJWA.js";
import "./chunk-EGCALRY5.js";
import "./chunk-LXHOX3IK.js";
import "./chunk-6KE3EQZP.js";
import "./chunk-WSR6M3NS.js";
export {
  S3Backend,
  describeS3Error
};
