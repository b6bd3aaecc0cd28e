#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  pushToCachix
} from "./chunk-KF5AQNZQ.js";
import {
  CachixApi,
  CachixRefused,
  cachixRefusalMessage
} from "./chunk-GP6D5KZ3.js";
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
import "./chunk-JR4ZI3K7.js";
import "./chunk-SGWZFH3B.js";
import "./chunk-WODUGNK7.js";
import "./chunk-Z3KDMJWA.js";
import "./chunk-SUVJ4ZAQ.js";
import "./chunk-R2G23YRC.js";
import {
  host,
  jobBudget
} from "./chunk-24U267C3.js";
import "./chunk-WSR6M3NS.js";

// src/job/cachix-push.ts
async function pushToCachixCache(choice, job) {
  const { inputs, facts } = job;
  const selected = selectFinal(facts, policyOf(inputs));
  if (selected.push.length === 0) return resultOf(planAsSelected(selected, job.published, facts.infos), choice.mode === "dry-run" ? "dry-run" : "push");
  if (choice.mode === "pull-only") {
    announce(choice.announce);
    return resultOf(planAsSelected(selected, job.published, facts.infos), "pull-only", void 0, choice.note);
  }
  const api = new CachixApi({ apiBase: choice.cache.apiBase, cacheName: choice.cache.cacheName, token: inputs.authToken, budget: jobBudget() });
  try {
    return await planAndPush(api, choice, job, selected);
  } catch (e) {
    if (e instanceof CachixRefused) throw new Error(cachixRefusalMessage(e, choice.cache.cacheName), { cause: e });
    throw e;
  }
}
async function planAndPush(api, choice, job, selected) {
  const { inputs, store, facts } = job;
  const cache = await api.cache();
  const input = { facts, policy: policyOf(inputs), published: job.published };
  const plan = await planFinal(
    selected,
    input,
    planIO(
      store.storeDir,
      heldByHash(async (hashes) => {
        const missing = await api.missing(hashes);
        return new Set(hashes.filter((h) => !missing.has(h)));
      })
    )
  );
  reportCompletion(plan);
  if (choice.mode === "dry-run" || plan.selection.push.length === 0) return resultOf(plan, choice.mode);
  const signer = inputs.secretKey && cache.publicSigningKeys.includes(inputs.secretKey.publicKey) ? inputs.secretKey : void 0;
  const outcome = await pushToCachix(infosToPush(plan), {
    api,
    compression: cache.preferredCompressionMethod === "XZ" ? "xz" : "zstd",
    signer,
    parallelism: inputs.parallelism,
    realStoreDir: store.realStoreDir,
    spoolDir: host().tempDir
  });
  return resultOf(plan, "push", outcome);
}
export {
  pushToCachixCache
};
