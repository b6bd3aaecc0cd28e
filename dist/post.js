#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  actionInput,
  githubHost
} from "./chunks/chunk-DFIN2ANV.js";
import {
  finishJob,
  readInputs
} from "./chunks/chunk-H7R2UR77.js";
import "./chunks/chunk-32UA5WAL.js";
import "./chunks/chunk-PO5KLSPC.js";
import "./chunks/chunk-HDSIEP5T.js";
import {
  finishBudget,
  setHost
} from "./chunks/chunk-RCHRBDIU.js";
import "./chunks/chunk-WSR6M3NS.js";

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
finishBudget();
