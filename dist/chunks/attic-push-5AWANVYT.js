#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  pushToAttic
} from "./chunk-PONDHACS.js";
import {
  AtticApi,
  AtticRefused,
  refusalMessage
} from "./chunk-IRIMODWJ.js";
import {
  announce,
  reportCompletion,
  resultOf
} from "./chunk-VBOFLXGS.js";
import {
  heldByHash,
  infosToPush,
  planAsSelected,
  planFinal,
  planIO,
  policyOf,
  selectFinal
} from "./chunk-5ILJGSWS.js";
import "./chunk-SGWZFH3B.js";
import "./chunk-Z3KDMJWA.js";
import "./chunk-SUVJ4ZAQ.js";
import "./chunk-R2G23YRC.js";
import {
  jobBudget
} from "./chunk-24U267C3.js";
import "./chunk-WSR6M3NS.js";

// src/job/attic-push.ts
async function pushToAtticCache(choice, job) {
  const { inputs, facts } = job;
  const selected = selectFinal(facts, policyOf(inputs));
  if (selected.push.length === 0) return resultOf(planAsSelected(selected, job.published, facts.infos), choice.mode === "dry-run" ? "dry-run" : "push");
  if (choice.mode === "pull-only") {
    announce(choice.announce);
    return resultOf(planAsSelected(selected, job.published, facts.infos), "pull-only", void 0, choice.note);
  }
  const api = new AtticApi({ endpoint: choice.cache.endpoint, cacheName: choice.cache.cacheName, token: inputs.authToken, budget: jobBudget() });
  try {
    return await planAndPush(api, choice, job, selected);
  } catch (e) {
    if (e instanceof AtticRefused) throw new Error(refusalMessage(e, choice.cache.cacheName), { cause: e });
    throw e;
  }
}
async function planAndPush(api, choice, job, selected) {
  const { inputs, store, facts } = job;
  const policy = policyOf(inputs);
  const config = await api.cacheConfig();
  const upstream = (config.upstream_cache_key_names ?? []).filter((k) => !policy.skipSignedBy.includes(k));
  const withUpstream = { ...policy, skipSignedBy: [...policy.skipSignedBy, ...upstream] };
  const input = { facts, policy: withUpstream, published: job.published };
  const plan = await planFinal(
    upstream.length > 0 ? selectFinal(facts, withUpstream) : selected,
    input,
    planIO(
      store.storeDir,
      heldByHash(async (hashes) => {
        const missing = await api.missingPaths(hashes);
        return new Set(hashes.filter((h) => !missing.has(h)));
      })
    )
  );
  reportCompletion(plan);
  if (choice.mode === "dry-run" || plan.selection.push.length === 0) return resultOf(plan, choice.mode);
  const outcome = await pushToAttic(infosToPush(plan), {
    api,
    parallelism: inputs.parallelism,
    realStoreDir: store.realStoreDir
  });
  return resultOf(plan, "push", outcome);
}
export {
  pushToAtticCache
};
