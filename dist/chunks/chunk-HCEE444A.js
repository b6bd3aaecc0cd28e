#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  parseSecretKey
} from "./chunk-TU6JHRST.js";

// src/agent/protocol.ts
import { join } from "node:path";
function agentFiles(dir) {
  return {
    log: join(dir, "agent.log"),
    ready: join(dir, "ready.json"),
    published: join(dir, "published.jsonl"),
    job: join(dir, "job.json"),
    ended: join(dir, "ended.txt")
  };
}
var AGENT_NICE = 10;
var WARNING_PREFIX = "warning: ";
function encodeInputs(inputs) {
  return JSON.stringify({ ...inputs, secretKey: void 0, exclude: inputs.exclude.map((r) => ({ source: r.source, flags: r.flags })) });
}
function decodeInputs(text) {
  const raw = JSON.parse(text);
  return {
    ...raw,
    exclude: raw.exclude.map((r) => new RegExp(r.source, r.flags)),
    secretKey: raw.secretKeyText ? parseSecretKey(raw.secretKeyText) : void 0
  };
}

export {
  agentFiles,
  AGENT_NICE,
  WARNING_PREFIX,
  encodeInputs,
  decodeInputs
};
