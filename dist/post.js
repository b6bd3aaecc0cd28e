import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  actionInput,
  finishJob,
  githubHost,
  readInputs
} from "./chunks/chunk-TMWCI232.js";
import "./chunks/chunk-RENEOGOX.js";
import "./chunks/chunk-LOYS5STL.js";
import {
  setHost
} from "./chunks/chunk-VVRQV2PF.js";
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
