import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  restoreGithubActionsCache,
  restoreLayer
} from "./chunk-BWIGJVX5.js";
import "./chunk-HR4TMU77.js";
import "./chunk-P3US556H.js";
import "./chunk-ONBS6DE5.js";
export {
  restoreGithubActionsCache,
  restoreLayer
};
