#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  S3Backend,
  describeS3Error
} from "./chunk-D7HE5EIT.js";
import "./chunk-M7ISI6RW.js";
import "./chunk-AKU3OAVM.js";
import "./chunk-SUVJ4ZAQ.js";
import "./chunk-R2G23YRC.js";
import "./chunk-24U267C3.js";
import "./chunk-6KE3EQZP.js";
import "./chunk-WSR6M3NS.js";
export {
  S3Backend,
  describeS3Error
};
