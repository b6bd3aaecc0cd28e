#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  actionInput,
  githubHost
} from "./chunks/chunk-DFIN2ANV.js";
import {
  beginJob,
  reportFailure
} from "./chunks/chunk-T7ZZ6CXW.js";
import {
  InputError,
  readInputs
} from "./chunks/chunk-QP4D7KTI.js";
import "./chunks/chunk-XVDEAYQJ.js";
import "./chunks/chunk-3FM4T5F6.js";
import "./chunks/chunk-73EKAW35.js";
import "./chunks/chunk-PO5KLSPC.js";
import "./chunks/chunk-6ZRCU7K4.js";
import "./chunks/chunk-MOJAZFA2.js";
import "./chunks/chunk-GZBSJNQ6.js";
import {
  finishBudget
} from "./chunks/chunk-6EBHABR5.js";
import {
  host,
  setHost
} from "./chunks/chunk-FM7YD635.js";
import "./chunks/chunk-WSR6M3NS.js";

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
finishBudget();
