#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);

// src/job/executor-choice.ts
function executorFor(cache) {
  if (cache.kind === "github-actions") return { executor: "github-actions" };
  if (cache.kind === "nix-copy") return { executor: "nix-copy", cache };
  if (cache.kind === "attic") return { executor: "attic", cache };
  if (cache.kind === "cachix") return { executor: "cachix", cache };
  if (cache.kind === "niks3") return { executor: "niks3", cache };
  return { executor: "binary-cache", cache };
}
var SERVER_NAMES = { attic: "Attic", cachix: "Cachix", niks3: "niks3" };
function choosePush(inputs, gha) {
  const target = executorFor(inputs.cache);
  if (target.executor === "github-actions") {
    if (!gha) throw new Error("the GitHub Actions cache needs its conditions to choose a mode");
    return { ...target, ...githubActionsMode(inputs, gha) };
  }
  if (inputs.dryRun) return { ...target, mode: "dry-run" };
  if (target.executor in SERVER_NAMES && !inputs.authToken) {
    const note = `No auth-token: this job only pulls from the ${SERVER_NAMES[target.executor]} cache (as on pull requests from forks). Nothing was uploaded.`;
    return { ...target, mode: "pull-only", note, announce: { level: "notice", message: note } };
  }
  if (target.executor === "binary-cache" && !inputs.secretKey) {
    const note = "No secret-key: this job only pulls from the cache (as on pull requests from forks). Nothing was uploaded.";
    return { ...target, mode: "pull-only", note, announce: { level: "notice", message: note } };
  }
  return { ...target, mode: "push" };
}
function githubActionsMode(inputs, gha) {
  if (gha.refused !== void 0) {
    const note = `The GitHub Actions cache was not usable in this job (${gha.refused}); nothing was saved.`;
    const announce = gha.onDemand ? { level: "warning", message: `The GitHub Actions cache refused this job (${gha.refused}): nothing was saved.` } : void 0;
    return { mode: "pull-only", note, announce };
  }
  if (inputs.dryRun) return { mode: "dry-run" };
  if (!gha.cacheMode.writable) {
    const note = `ACTIONS_CACHE_MODE=${gha.cacheMode.mode} does not permit writes; nothing was saved.`;
    return { mode: "pull-only", note, announce: { level: "info", message: note } };
  }
  if (gha.unavailable) {
    return {
      mode: "pull-only",
      note: `The GitHub Actions cache is not available (${gha.unavailable}); nothing was saved.`,
      announce: { level: "warning", message: `The GitHub Actions cache is not available: ${gha.unavailable}. Nothing was saved.` }
    };
  }
  return { mode: "push" };
}
async function githubActionsConditions(restored, env = process.env) {
  const { cacheMode, unavailableReason } = await import("./client-ZMC5TTIL.js");
  return { refused: restored.refused, onDemand: restored.onDemand, cacheMode: cacheMode(env), unavailable: unavailableReason(env) };
}
function agentRole(inputs) {
  const skip = (reason) => ({ role: "skip", reason, tell: inputs.pushDuringBuild && !inputs.dryRun });
  if (!inputs.pushDuringBuild) return skip("push-during-build is false");
  if (inputs.dryRun) return skip("dry-run");
  const target = executorFor(inputs.cache);
  if (target.executor === "nix-copy") return skip("`nix copy` stores are pushed in the post step");
  if (target.executor === "attic" || target.executor === "cachix" || target.executor === "niks3") {
    if (!inputs.authToken) return skip("no auth-token (pull only)");
    return { role: "publish-server", cache: target.cache };
  }
  if (target.executor === "github-actions") return { role: "prepare" };
  if (!inputs.secretKey) return skip("no secret-key (pull only)");
  return { role: "publish", cache: target.cache, compression: inputs.compression };
}
function pullFront(inputs) {
  if (!inputs.pull || inputs.cache.kind !== "http" && inputs.cache.kind !== "s3") return void 0;
  return { url: inputs.cache.url };
}

export {
  executorFor,
  choosePush,
  githubActionsConditions,
  agentRole,
  pullFront
};
