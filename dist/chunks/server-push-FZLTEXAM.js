#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  serverSink
} from "./chunk-34U3SAPU.js";
import "./chunk-JX73GPYK.js";
import {
  announce,
  reportCompletion,
  resultOf
} from "./chunk-OIXLTF4U.js";
import {
  heldByHash,
  infosToPush,
  planAsSelected,
  planFinal,
  planIO,
  policyOf,
  selectFinal
} from "./chunk-SWKWKHL2.js";
import "./chunk-XK72OWUU.js";
import "./chunk-IDEMXRFO.js";
import "./chunk-WODUGNK7.js";
import "./chunk-72I3IZBR.js";
import "./chunk-SUVJ4ZAQ.js";
import "./chunk-Z3KDMJWA.js";
import "./chunk-EGCALRY5.js";
import {
  host
} from "./chunk-LXHOX3IK.js";
import "./chunk-WSR6M3NS.js";

// src/job/server-push.ts
async function pushToServerCache(choice, job) {
  const { inputs, facts } = job;
  const selected = selectFinal(facts, policyOf(inputs));
  if (selected.push.length === 0) return resultOf(planAsSelected(selected, job.published, facts.infos), choice.mode === "dry-run" ? "dry-run" : "push");
  if (choice.mode === "pull-only") {
    announce(choice.announce);
    return resultOf(planAsSelected(selected, job.published, facts.infos), "pull-only", void 0, choice.note);
  }
  const sink = serverSink(choice.cache, inputs.authToken, inputs.secretKey, { probe: false });
  try {
    return await planAndPush(sink, choice, job, selected);
  } catch (e) {
    const refusal = sink.refusal(e);
    if (refusal !== void 0) throw new Error(refusal, { cause: e });
    throw e;
  }
}
async function planAndPush(sink, choice, job, selected) {
  const { inputs, store, facts } = job;
  const policy = policyOf(inputs);
  const upstream = (await sink.prepare()).filter((k) => !policy.skipSignedBy.includes(k));
  const withUpstream = { ...policy, skipSignedBy: [...policy.skipSignedBy, ...upstream] };
  const input = { facts, policy: withUpstream, published: job.published };
  const plan = await planFinal(upstream.length > 0 ? selectFinal(facts, withUpstream) : selected, input, planIO(store.storeDir, heldByHash((hashes) => sink.existing(hashes))));
  reportCompletion(plan);
  if (choice.mode === "dry-run" || plan.selection.push.length === 0) return resultOf(plan, choice.mode);
  const outcome = await sink.upload(infosToPush(plan), { parallelism: inputs.parallelism, realStoreDir: store.realStoreDir, spoolDir: host().tempDir });
  return resultOf(plan, "push", outcome);
}
export {
  pushToServerCache
};
