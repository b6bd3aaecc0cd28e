#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  parseSecretKey
} from "./chunk-WODUGNK7.js";

// src/agent/protocol.ts
import { appendFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
function recordPublished(file, pushed) {
  const record = { path: pushed.path, narSize: pushed.narSize, fileSize: pushed.fileSize };
  appendFileSync(file, `${JSON.stringify(record)}
`);
}
async function readPublished(file) {
  const seen = /* @__PURE__ */ new Set();
  const published = [];
  for (const line of (await readFile(file, "utf8").catch(() => "")).split("\n")) {
    if (line === "") continue;
    try {
      const r = JSON.parse(line);
      if (!seen.has(r.path)) published.push({ path: r.path, narSize: r.narSize, fileSize: r.fileSize });
      seen.add(r.path);
    } catch {
    }
  }
  return published;
}
function recordStaged(file, nar) {
  appendFileSync(file, `${JSON.stringify({ url: nar.url, fileHash: nar.fileHash, fileSize: nar.fileSize })}
`);
}
async function readStaged(file) {
  const byUrl = /* @__PURE__ */ new Map();
  for (const line of (await readFile(file, "utf8").catch(() => "")).split("\n")) {
    if (line === "") continue;
    try {
      const r = JSON.parse(line);
      if (typeof r.url === "string" && typeof r.fileHash === "string" && r.fileHash !== "" && typeof r.fileSize === "number") {
        byUrl.set(r.url, { url: r.url, fileHash: r.fileHash, fileSize: r.fileSize });
      }
    } catch {
    }
  }
  return [...byUrl.values()];
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
  recordPublished,
  readPublished,
  recordStaged,
  readStaged,
  AGENT_NICE,
  WARNING_PREFIX,
  encodeInputs,
  decodeInputs
};
