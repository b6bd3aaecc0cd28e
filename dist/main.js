#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  actionInput,
  githubHost
} from "./chunks/chunk-M7EUOB5J.js";
import {
  beginJob,
  reportFailure
} from "./chunks/chunk-6D4TVNYX.js";
import {
  InputError,
  readInputs
} from "./chunks/chunk-I7ATNJIE.js";
import "./chunks/chunk-JXMKKJKR.js";
import "./chunks/chunk-QFROVF5J.js";
import "./chunks/chunk-HCEE444A.js";
import "./chunks/chunk-PO5KLSPC.js";
import "./chunks/chunk-RGHDVDVD.js";
import "./chunks/chunk-62EGI3AM.js";
import "./chunks/chunk-TU6JHRST.js";
import {
  finishBudget
} from "./chunks/chunk-AEPLBNQV.js";
import {
  host,
  setHost
} from "./chunks/chunk-QUJN3JQ2.js";
import "./chunks/chunk-WSR6M3NS.js";

// src/entry/action-main.ts
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
