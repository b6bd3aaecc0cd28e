import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  binaryCacheBackend
} from "./chunk-J3GG3VPE.js";
import {
  batches,
  hashPart,
  runNix,
  selectPaths,
  uploadPaths,
  withoutCached
} from "./chunk-2FCCNLBV.js";
import {
  host,
  log
} from "./chunk-7IIFHBMN.js";

// src/backends/nix-copy.ts
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
async function pushWithNixCopy(paths, opts) {
  const outcome = { pushed: [], failed: [], vanished: [] };
  if (paths.length === 0) return outcome;
  if (opts.secretKeyText) await signLocally(paths, opts.secretKeyText);
  for (const batch of batches(paths)) {
    const r = await runNix("nix", ["copy", "--no-check-sigs", "--to", opts.uri, ...batch], { allowFailure: true });
    if (r.exitCode === 0) {
      for (const p of batch) outcome.pushed.push({ path: p, narSize: opts.narSizes.get(p) ?? 0, fileSize: 0 });
    } else {
      const reason = `nix copy failed: ${r.stderr.trim().split("\n").slice(-2).join(" ")}`;
      for (const p of batch) outcome.failed.push({ path: p, reason });
    }
  }
  return outcome;
}
async function signLocally(paths, keyText) {
  const dir = await mkdtemp(join(host().tempDir, "nix-buildtime-cache-key-"));
  const keyFile = join(dir, "secret-key");
  try {
    await writeFile(keyFile, keyText, { mode: 384 });
    await chmod(keyFile, 384);
    let command = ["store", "sign"];
    for (const batch of batches(paths)) {
      let r = await runNix("nix", [...command, "--recursive", "--key-file", keyFile, ...batch], { allowFailure: true });
      if (r.exitCode !== 0 && command.length === 2) {
        command = ["sign-paths"];
        r = await runNix("nix", [...command, "--recursive", "--key-file", keyFile, ...batch], { allowFailure: true });
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

// src/push.ts
function selectFromFacts(inputs, facts) {
  return selectPaths({
    newPaths: facts.newPaths,
    closure: facts.closure,
    signatures: new Map([...facts.infos].map(([p, i]) => [p, i.signatures])),
    policy: {
      includeDerivations: inputs.includeDerivations,
      includePreExisting: inputs.pushPreExisting,
      skipSignedBy: inputs.skipSignedBy,
      exclude: inputs.exclude
    }
  });
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
      narSizes
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
  selection = await withoutExisting(selection, backend);
  if (inputs.dryRun || !signer || selection.push.length === 0) return { selection, outcome, mode: inputs.dryRun ? "dry-run" : "push" };
  const infos = selection.push.map((p) => facts.infos.get(p)).filter((i) => i !== void 0);
  const result = await uploadPaths(infos, {
    backend,
    signer,
    compression: inputs.compression,
    parallelism: inputs.parallelism,
    realStoreDir: store.realStoreDir
  });
  return { selection, outcome: result, mode: "push" };
}

export {
  selectFromFacts,
  withoutExisting,
  selectAndPush
};
