#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  emptyOutcome
} from "./chunk-UZNHWSQD.js";
import {
  log
} from "./chunk-XPTRIRNR.js";

// src/job/executor-choice.ts
function executorFor(cache) {
  if (cache.kind === "github-actions") return { executor: "github-actions" };
  if (cache.kind === "nix-copy") return { executor: "nix-copy", cache };
  return { executor: "binary-cache", cache };
}
function choosePush(inputs, gha) {
  const target = executorFor(inputs.cache);
  if (target.executor === "github-actions") {
    if (!gha) throw new Error("the GitHub Actions cache needs its conditions to choose a mode");
    return { ...target, ...githubActionsMode(inputs, gha) };
  }
  if (inputs.dryRun) return { ...target, mode: "dry-run" };
  if (target.executor === "binary-cache" && !inputs.secretKey) {
    const note = "No secret-key: this job only pulls from the cache (as on pull requests from forks). Nothing was uploaded.";
    return { ...target, mode: "pull-only", note, announce: { level: "notice", message: note } };
  }
  return { ...target, mode: "push" };
}
function githubActionsMode(inputs, gha) {
  if (gha.refused !== void 0) {
    const note = `The GitHub Actions cache was not usable in this job (${gha.refused}); nothing was saved.`;
    const announce2 = gha.onDemand ? { level: "warning", message: `The GitHub Actions cache refused this job (${gha.refused}): nothing was saved.` } : void 0;
    return { mode: "pull-only", note, announce: announce2 };
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
  const { cacheMode, unavailableReason } = await import("./client-IMC742AA.js");
  return { refused: restored.refused, onDemand: restored.onDemand, cacheMode: cacheMode(env), unavailable: unavailableReason(env) };
}
function agentRole(inputs) {
  const skip = (reason) => ({ role: "skip", reason, tell: inputs.pushDuringBuild && !inputs.dryRun });
  if (!inputs.pushDuringBuild) return skip("push-during-build is false");
  if (inputs.dryRun) return skip("dry-run");
  const target = executorFor(inputs.cache);
  if (target.executor === "nix-copy") return skip("`nix copy` stores are pushed in the post step");
  if (target.executor === "github-actions") return { role: "prepare" };
  if (!inputs.secretKey) return skip("no secret-key (pull only)");
  if (inputs.installables.length > 0) return skip("installables are set: their closure is known only in the post step");
  return { role: "publish", cache: target.cache, compression: inputs.compression };
}

// src/job/planning.ts
function resultOf(plan, mode, outcome = emptyOutcome(), note) {
  return { selection: plan.selection, published: plan.published, outcome, mode, note, infos: plan.infos };
}
function announce(a) {
  if (a) log[a.level](a.message);
}
function reportCompletion(plan) {
  const added = plan.selection.completion ?? [];
  if (added.length > 0) {
    log.info(`Also pushing ${added.length} path(s) from before the job that pushed paths reference and neither this cache nor an upstream serves.`);
  }
  const withheld = plan.selection.skipped["unserved-reference"];
  if (withheld.length > 0) {
    const first = plan.unserved[0];
    log.warning(
      `${withheld.length} path(s) were not pushed because they reference paths that no cache will serve (excluded, or not in the store), so consumers could not substitute them; first: ${first?.referrer} references ${first?.path}.`
    );
  }
}

export {
  executorFor,
  choosePush,
  githubActionsConditions,
  agentRole,
  resultOf,
  announce,
  reportCompletion
};
