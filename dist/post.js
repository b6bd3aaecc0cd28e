#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  actionInput,
  githubHost
} from "./chunks/chunk-4Q2Y7PVG.js";
import {
  finishJob,
  readInputs
} from "./chunks/chunk-JXHVDG4M.js";
import "./chunks/chunk-XQI4VNZ6.js";
import "./chunks/chunk-PK56DQ3U.js";
import "./chunks/chunk-ZFF3PL3L.js";
import {
  setHost
} from "./chunks/chunk-LYX5VPN6.js";
import "./chunks/chunk-FVMWZM37.js";
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
