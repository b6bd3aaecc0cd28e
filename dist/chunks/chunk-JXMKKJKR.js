#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  binaryCacheBackend,
  buildClosure,
  completeClosure,
  drvArgumentIsLiteral,
  isDerivation,
  loadSnapshot,
  queryPathInfos,
  resolveRoots,
  selectPaths,
  storeChanges,
  validPaths,
  withoutCached
} from "./chunk-QFROVF5J.js";
import {
  NixCommandError,
  batches,
  hashPart,
  runNix,
  uploadPaths
} from "./chunk-62EGI3AM.js";
import {
  jobBudget,
  seconds,
  timings,
  withRetry
} from "./chunk-AEPLBNQV.js";
import {
  host,
  log
} from "./chunk-QUJN3JQ2.js";

// src/executors/nix-copy.ts
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
async function pushWithNixCopy(paths, opts) {
  const outcome = { pushed: [], failed: [], vanished: [] };
  if (paths.length === 0) return outcome;
  const drvs = paths.filter(isDerivation);
  const drvFlag = drvs.length > 0 && !await drvArgumentIsLiteral(drvs[0], opts.storeDir) ? ["--derivation"] : [];
  const groups = [
    [paths.filter((p) => !isDerivation(p)), []],
    [drvs, drvFlag]
  ];
  if (opts.secretKeyText) for (const [group, flags] of groups) await signLocally(group, opts.secretKeyText, flags);
  const env = { ...process.env, ...sshBounds(opts.uri, process.env) };
  const work = groups.flatMap(([group, flags]) => batches(group).map((b) => [b, flags]));
  for (const [i, [batch, flags]] of work.entries()) {
    const failure = await copyBatch(batch, flags, opts.uri, env);
    if (failure === void 0) {
      for (const p of batch) outcome.pushed.push({ path: p, narSize: opts.narSizes.get(p) ?? 0, fileSize: 0 });
      continue;
    }
    for (const p of batch) outcome.failed.push({ path: p, reason: failure.reason });
    if (failure.unreachable) {
      for (const [rest] of work.slice(i + 1)) for (const p of rest) outcome.failed.push({ path: p, reason: `not tried: ${failure.reason}` });
      break;
    }
  }
  return outcome;
}
var UNREACHABLE = /ssh: connect to host|Connection timed out|Connection refused|Connection reset|Connection closed|timed out during banner exchange|Timeout, server .* not responding|Broken pipe|Could not resolve hostname|No route to host|Network is unreachable|failed to start SSH connection|cannot connect to|unexpected end-of-file/i;
var Unreachable = class extends Error {
};
async function copyBatch(batch, flags, uri, env) {
  const budget = jobBudget();
  if (budget.tripped) return { reason: `the store was given up on: ${budget.tripped}`, unreachable: true };
  try {
    await withRetry(
      async () => {
        const started = Date.now();
        const r = await runNix("nix", ["copy", ...flags, "--no-check-sigs", "--to", uri, ...batch], { allowFailure: true, env });
        if (r.exitCode === 0) return;
        const reason = `nix copy failed: ${r.stderr.trim().split("\n").slice(-2).join(" ")}`;
        if (!UNREACHABLE.test(r.stderr)) throw new Error(reason);
        budget.attemptFailed(started, reason);
        throw new Unreachable(reason);
      },
      {
        isRetryable: (e) => e instanceof Unreachable && !budget.tripped,
        remainingMs: () => budget.remainingMs(),
        onRetry: (e, attempt, delay) => log.info(`${e.message}; trying again in ${seconds(delay)} (attempt ${attempt + 1}).`)
      }
    );
    budget.succeeded("nix copy");
    return void 0;
  } catch (e) {
    const reason = e.message;
    if (!(e instanceof Unreachable)) return { reason, unreachable: false };
    budget.requestFailed("connection", reason, "nix copy");
    return { reason, unreachable: true };
  }
}
function sshBounds(uri, env, t = timings(env)) {
  if (!/^ssh(-ng)?:\/\//.test(uri)) return void 0;
  const connect = Math.max(1, Math.ceil(t.connectMs / 1e3));
  const alive = Math.max(1, Math.ceil(t.idleMs / 3e3));
  const ours = `-o ConnectTimeout=${connect} -o ServerAliveInterval=${alive} -o ServerAliveCountMax=3`;
  const theirs = env.NIX_SSHOPTS?.trim();
  return { NIX_SSHOPTS: theirs ? `${theirs} ${ours}` : ours };
}
async function signLocally(paths, keyText, flags) {
  if (paths.length === 0) return;
  const dir = await mkdtemp(join(host().tempDir, "nix-buildtime-cache-key-"));
  const keyFile = join(dir, "secret-key");
  try {
    await writeFile(keyFile, keyText, { mode: 384 });
    await chmod(keyFile, 384);
    let command = ["store", "sign"];
    for (const batch of batches(paths)) {
      let r = await runNix("nix", [...command, ...flags, "--recursive", "--key-file", keyFile, ...batch], { allowFailure: true });
      if (r.exitCode !== 0 && command.length === 2) {
        command = ["sign-paths"];
        r = await runNix("nix", [...command, ...flags, "--recursive", "--key-file", keyFile, ...batch], { allowFailure: true });
      }
      if (r.exitCode !== 0) {
        log.warning(`Could not sign paths locally (${r.stderr.trim().split("\n").pop()}); they are copied unsigned.`);
        return;
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// src/job/collect.ts
function whyFailed(e) {
  if (e instanceof NixCommandError) {
    const lines = e.result.stderr.split("\n").map((l) => l.trim());
    const error = lines.find((l) => l.startsWith("error:")) ?? lines.filter((l) => l !== "").at(-1);
    if (error) return error.replace(/^error:\s*/, "");
  }
  return (e instanceof Error ? e.message : String(e)).split("\n").find((l) => l.trim() !== "")?.trim() ?? "failed";
}
async function resolveEachRoot(installables, storeDir) {
  const roots = [];
  const bad = [];
  for (const item of installables) {
    try {
      const resolved = await resolveRoots([item], storeDir);
      const valid = await validPaths(resolved);
      if (valid.length === 0) throw new Error("not a valid path in this store");
      roots.push(...valid);
    } catch (e) {
      bad.push(`'${item}' (${whyFailed(e)})`);
    }
  }
  if (bad.length > 0) {
    const rest = roots.length > 0 ? "the other installables still define what is pushed" : "so nothing defines what is pushed";
    log.warning(`Input 'installables': could not resolve ${bad.join(", ")}; ${rest}.`);
  }
  return roots;
}
async function collectJobFacts(state, store, opts) {
  const before = await loadSnapshot(state.snapshotFile);
  const { newPaths, methods, total } = await storeChanges(before, store);
  log.info(`${newPaths.length} new valid store paths since the main step (of ${total}; snapshots: ${methods}).`);
  const roots = opts.installables.length > 0 ? await resolveEachRoot(opts.installables, store.storeDir) : newPaths.filter(isDerivation);
  const closure = roots.length > 0 ? await buildClosure(roots) : /* @__PURE__ */ new Set();
  log.info(`Build closure of ${roots.length} root(s): ${closure.size} paths.`);
  const fresh = new Set(newPaths);
  const wanted = newPaths.filter((p) => !isDerivation(p) || opts.includeDerivations && closure.has(p));
  if (opts.pushPreExisting) {
    for (const p of closure) if (!fresh.has(p) && (!isDerivation(p) || opts.includeDerivations)) wanted.push(p);
  }
  const infos = wanted.length > 0 ? await queryPathInfos(wanted, store.storeDir) : /* @__PURE__ */ new Map();
  return { newPaths, closure, infos };
}
async function collectReferenceFacts(facts, paths, storeDir) {
  const found = await queryPathInfos(paths, storeDir);
  for (const [p, info] of found) facts.infos.set(p, info);
  return new Set(paths.filter((p) => !found.has(p)));
}

// src/job/push.ts
function policyOf(inputs) {
  return {
    includeDerivations: inputs.includeDerivations,
    includePreExisting: inputs.pushPreExisting,
    skipSignedBy: inputs.skipSignedBy,
    exclude: inputs.exclude
  };
}
function selectFromFacts(inputs, facts) {
  return selectPaths({
    newPaths: facts.newPaths,
    closure: facts.closure,
    signatures: new Map([...facts.infos].map(([p, i]) => [p, i.signatures])),
    policy: policyOf(inputs)
  });
}
async function planPush(inputs, facts, storeDir, backend, selected = selectFromFacts(inputs, facts)) {
  const selection = await withoutExisting(selected, backend);
  const missing = /* @__PURE__ */ new Set();
  const cached = /* @__PURE__ */ new Map();
  for (; ; ) {
    const c = completeClosure(selection, { infos: facts.infos, missing, cached }, policyOf(inputs));
    if (c.lookups.infos.length > 0) {
      for (const p of await collectReferenceFacts(facts, c.lookups.infos, storeDir)) missing.add(p);
    } else if (c.lookups.cache.length > 0) {
      const present = await backend.existing(c.lookups.cache.map(hashPart));
      for (const p of c.lookups.cache) cached.set(p, present.has(hashPart(p)));
    } else {
      reportCompletion(c.selection, c.unserved);
      return c.selection;
    }
  }
}
function reportCompletion(selection, unserved) {
  const added = selection.completion ?? [];
  if (added.length > 0) {
    log.info(`Also pushing ${added.length} path(s) from before the job that pushed paths reference and neither this cache nor an upstream serves.`);
  }
  const withheld = selection.skipped["unserved-reference"];
  if (withheld.length > 0) {
    const first = unserved[0];
    log.warning(
      `${withheld.length} path(s) were not pushed because they reference paths that no cache will serve (excluded, or not in the store), so consumers could not substitute them; first: ${first?.referrer} references ${first?.path}.`
    );
  }
}
async function withoutExisting(selection, backend) {
  if (selection.push.length === 0) return selection;
  const present = await backend.existing(selection.push.map(hashPart));
  return withoutCached(selection, new Set(selection.push.filter((p) => present.has(hashPart(p)))));
}
async function selectAndPush(inputs, store, facts) {
  let selection = selectFromFacts(inputs, facts);
  const outcome = { pushed: [], failed: [], vanished: [] };
  const backend = await binaryCacheBackend(inputs);
  if (!backend) {
    if (inputs.dryRun) return { selection, outcome, mode: "dry-run" };
    const narSizes = new Map([...facts.infos].map(([p, i]) => [p, i.narSize]));
    const copied = await pushWithNixCopy(selection.push, {
      uri: inputs.cache.url,
      secretKeyText: inputs.secretKeyText,
      narSizes,
      storeDir: store.storeDir
    });
    return { selection, outcome: copied, mode: "push" };
  }
  if (selection.push.length === 0) return { selection, outcome, mode: inputs.dryRun ? "dry-run" : "push" };
  const signer = inputs.secretKey;
  if (!inputs.dryRun && !signer) {
    const note = "No secret-key: this job only pulls from the cache (as on pull requests from forks). Nothing was uploaded.";
    log.notice(note);
    return { selection, outcome, mode: "pull-only", note };
  }
  if (!inputs.dryRun) await backend.prepare(store.storeDir);
  selection = await planPush(inputs, facts, store.storeDir, backend, selection);
  if (inputs.dryRun || !signer || selection.push.length === 0) return { selection, outcome, mode: inputs.dryRun ? "dry-run" : "push" };
  const infos = selection.push.map((p) => facts.infos.get(p)).filter((i) => i !== void 0);
  const sweeping = backend.sweepLeftovers?.();
  const result = await uploadPaths(infos, {
    backend,
    signer,
    compression: inputs.compression,
    parallelism: inputs.parallelism,
    realStoreDir: store.realStoreDir
  });
  const swept = await sweeping;
  if (swept) log.info(`Removed ${swept} temporary file(s) that interrupted uploads had left in the cache.`);
  return { selection, outcome: result, mode: "push" };
}

export {
  collectJobFacts,
  planPush,
  selectAndPush
};
