import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  InputError,
  actionInput,
  beginJob,
  githubHost,
  readInputs,
  reportFailure
} from "./chunks/chunk-IDNZOPX5.js";
import "./chunks/chunk-FGMHRLN2.js";
import {
  host,
  setHost
} from "./chunks/chunk-HR4TMU77.js";
import "./chunks/chunk-P3US556H.js";
import "./chunks/chunk-ONBS6DE5.js";

// src/main.ts
async function main() {
  setHost(githubHost);
  let inputs;
  try {
    inputs = readInputs(actionInput);
  } catch (e) {
    host().fail(e instanceof InputError ? e.message : String(e));
    return;
  }
  try {
    await beginJob(inputs);
  } catch (e) {
    reportFailure(e, inputs.strict);
  }
}
await main();
