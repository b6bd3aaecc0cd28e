#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  emptyOutcome
} from "./chunk-XK72OWUU.js";
import {
  log
} from "./chunk-LXHOX3IK.js";

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
  resultOf,
  announce,
  reportCompletion
};
