#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  pushToNiks3
} from "./chunk-VJURUO35.js";
import {
  Niks3Api,
  Niks3Refused,
  niks3RefusalMessage
} from "./chunk-N5Q47KWP.js";
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
import "./chunk-Z3KDMJWA.js";
import "./chunk-SUVJ4ZAQ.js";
import "./chunk-R2G23YRC.js";
import {
  host,
  jobBudget
} from "./chunk-24U267C3.js";
import "./chunk-WSR6M3NS.js";

// src/job/niks3-push.ts
async function pushToNiks3Cache(choice, job) {
  const { inputs, facts } = job;
  const selected = selectFinal(facts, policyOf(inputs));
  if (selected.push.length === 0) return resultOf(planAsSelected(selected, job.published, facts.infos), choice.mode === "dry-run" ? "dry-run" : "push");
  if (choice.mode === "pull-only") {
    announce(choice.announce);
    return resultOf(planAsSelected(selected, job.published, facts.infos), "pull-only", void 0, choice.note);
  }
  const api = new Niks3Api({ endpoint: choice.cache.endpoint, token: inputs.authToken, budget: jobBudget() });
  try {
    return await planAndPush(api, choice, job, selected);
  } catch (e) {
    if (e instanceof Niks3Refused) throw new Error(niks3RefusalMessage(e, choice.cache.endpoint), { cause: e });
    throw e;
  }
}
async function planAndPush(api, choice, job, selected) {
  const { inputs, store, facts } = job;
  const input = { facts, policy: policyOf(inputs), published: job.published };
  const plan = await planFinal(
    selected,
    input,
    planIO(
      store.storeDir,
      heldByHash(async (hashes) => {
        const present = await api.present(hashes.map((h) => `${h}.narinfo`));
        return new Set(hashes.filter((h) => present.has(`${h}.narinfo`)));
      })
    )
  );
  reportCompletion(plan);
  if (choice.mode === "dry-run" || plan.selection.push.length === 0) return resultOf(plan, choice.mode);
  const outcome = await pushToNiks3(infosToPush(plan), {
    api,
    endpoint: choice.cache.endpoint,
    parallelism: inputs.parallelism,
    realStoreDir: store.realStoreDir,
    spoolDir: host().tempDir
  });
  return resultOf(plan, "push", outcome);
}
export {
  pushToNiks3Cache
};
