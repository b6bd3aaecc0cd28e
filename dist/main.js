import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  InputError,
  exportVariable,
  info,
  locateStore,
  readInputs,
  reportFailure,
  saveMainState,
  saveSnapshot,
  setFailed,
  takeSnapshot,
  warning
} from "./chunks/chunk-WN6SSQPS.js";

// src/main.ts
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { randomBytes } from "node:crypto";

// src/pull.ts
function substituterUrl(inputs) {
  const { cache } = inputs;
  if (cache.kind === "file" || cache.kind === "http") return cache.url;
  return void 0;
}
function trustedKeys(inputs) {
  const keys = [...inputs.publicKeys];
  if (inputs.secretKey && !keys.includes(inputs.secretKey.publicKey)) keys.push(inputs.secretKey.publicKey);
  return keys;
}
function pullSettings(url, keys) {
  const lines = [`extra-substituters = ${url}`];
  if (keys.length > 0) lines.push(`extra-trusted-public-keys = ${keys.join(" ")}`);
  return lines.join("\n");
}
function appendNixConfig(existing, settings) {
  if (!existing) return settings;
  if (existing.includes(settings)) return existing;
  return `${existing.replace(/\n+$/, "")}
${settings}`;
}
function configurePull(inputs) {
  const url = substituterUrl(inputs);
  if (!inputs.pull || !url) return;
  const keys = trustedKeys(inputs);
  const value = appendNixConfig(process.env.NIX_CONFIG, pullSettings(url, keys));
  exportVariable("NIX_CONFIG", value);
  info(`Later steps substitute from ${url}${keys.length ? ` (trusting ${keys.map((k) => k.split(":")[0]).join(", ")})` : ""}.`);
  if (keys.length === 0) {
    warning("No public-keys or secret-key given: Nix will refuse unsigned paths from the cache unless require-sigs is off.");
  }
}

// src/main.ts
async function snapshotStore() {
  const startedAt = Date.now();
  const store = await locateStore();
  const snapshot = await takeSnapshot(store);
  const dir = join(process.env.RUNNER_TEMP || tmpdir(), "nix-buildtime-cache");
  await mkdir(dir, { recursive: true });
  const snapshotFile = join(dir, `snapshot-${randomBytes(6).toString("hex")}`);
  await saveSnapshot(snapshotFile, snapshot);
  saveMainState({ snapshotFile, method: snapshot.method, startedAt });
  const source = snapshot.method === "db" ? "Nix database" : "store directory";
  info(`Recorded ${snapshot.names.length} store paths (${source}) in ${Date.now() - startedAt} ms.`);
}
async function main() {
  let inputs;
  try {
    inputs = readInputs();
  } catch (e) {
    setFailed(e instanceof InputError ? e.message : String(e));
    return;
  }
  try {
    await snapshotStore();
    configurePull(inputs);
  } catch (e) {
    reportFailure(e, inputs.strict);
  }
}
await main();
