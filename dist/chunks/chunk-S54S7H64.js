#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  host
} from "./chunk-LXHOX3IK.js";

// src/runtime/job-dir.ts
import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
var hash = (text, length) => createHash("sha256").update(text).digest("hex").slice(0, length);
var unique = () => randomBytes(6).toString("hex");
function jobDir(tempDir = host().tempDir) {
  const root = join(tempDir, "nix-buildtime-cache");
  return {
    root,
    budget: join(root, "budget.json"),
    newSnapshot: () => join(root, `snapshot-${unique()}`),
    pullNetrc: join(root, "netrc"),
    fileCacheAlias: (cacheDir) => join(root, `file-cache-${hash(cacheDir, 16)}`),
    agent: (cacheUrl) => join(root, `agent-${hash(cacheUrl, 12)}`),
    gha: join(root, "gha"),
    substituterKey: join(root, "substituter-key")
  };
}
function agentFiles(dir) {
  return {
    log: join(dir, "agent.log"),
    ready: join(dir, "ready.json"),
    published: join(dir, "published.jsonl"),
    staged: join(dir, "staged.jsonl"),
    job: join(dir, "job.json"),
    ended: join(dir, "ended.txt")
  };
}

export {
  jobDir,
  agentFiles
};
