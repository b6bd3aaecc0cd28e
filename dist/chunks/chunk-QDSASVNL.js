#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  jobDir
} from "./chunk-LYRV4XWB.js";

// src/executors/gha/layout.ts
import { createHash } from "node:crypto";
import { join } from "node:path";
function ghaLayout(runnerTemp) {
  const root = jobDir(runnerTemp).gha;
  return {
    root,
    manifestFile: join(root, "manifest.json"),
    slotDir: (slot) => join(root, `layer-${slot}`),
    binaryCache: join(root, "binary-cache"),
    restoredFile: join(root, "restored.json"),
    prepared: join(root, "prepared")
  };
}
function refTag(ref) {
  return `r${createHash("sha256").update(ref).digest("hex").slice(0, 10)}`;
}
function keyScheme(prefix, env = process.env) {
  const os = (env.RUNNER_OS || process.platform).toLowerCase();
  const arch = (env.RUNNER_ARCH || process.arch).toLowerCase();
  const runId = env.GITHUB_RUN_ID || "0";
  const attempt = env.GITHUB_RUN_ATTEMPT || "1";
  const manifestPrefix = `${prefix}-manifest-${os}-${arch}-`;
  const own = refTag(env.GITHUB_REF || "unknown");
  const base = env.GITHUB_BASE_REF ? `${manifestPrefix}${refTag(`refs/heads/${env.GITHUB_BASE_REF}`)}-` : void 0;
  const scheme = {
    manifestPrefix,
    manifestKey: (at) => `${manifestPrefix}${own}-${runId}-${attempt}-${at}`,
    layerKey: (hash) => `${prefix}-layer-${os}-${arch}-${hash}`
  };
  if (base) scheme.baseManifestPrefix = base;
  return scheme;
}

export {
  ghaLayout,
  keyScheme
};
