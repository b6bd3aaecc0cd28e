import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  actionInput,
  finishJob,
  githubHost,
  readInputs
} from "./chunks/chunk-IDNZOPX5.js";
import "./chunks/chunk-FGMHRLN2.js";
import {
  setHost
} from "./chunks/chunk-HR4TMU77.js";
import "./chunks/chunk-P3US556H.js";
import "./chunks/chunk-ONBS6DE5.js";

// src/post.ts
async function post() {
  setHost(githubHost);
  let inputs;
  try {
    inputs = readInputs(actionInput);
  } catch {
    return;
  }
  await finishJob(inputs);
}
await post();
