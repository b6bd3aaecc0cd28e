#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  actionInput,
  githubHost
} from "./chunks/chunk-DFIN2ANV.js";
import {
  InputError,
  beginJob,
  readInputs,
  reportFailure
} from "./chunks/chunk-H7R2UR77.js";
import "./chunks/chunk-32UA5WAL.js";
import "./chunks/chunk-PO5KLSPC.js";
import "./chunks/chunk-HDSIEP5T.js";
import {
  finishBudget,
  host,
  setHost
} from "./chunks/chunk-RCHRBDIU.js";
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
