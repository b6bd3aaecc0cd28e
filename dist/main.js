import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  InputError,
  readInputs,
  reportFailure,
  saveMainState,
  saveSnapshot,
  takeSnapshot
} from "./chunks/chunk-BRT6MHLL.js";
import {
  configurePull
} from "./chunks/chunk-XQ7SP3Z6.js";
import {
  locateStore
} from "./chunks/chunk-RFJ3W7PA.js";
import {
  FileBackend,
  info,
  setFailed
} from "./chunks/chunk-S26WMPPD.js";
import "./chunks/chunk-7SMIPMXJ.js";
import "./chunks/chunk-ONBS6DE5.js";

// src/main.ts
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { randomBytes } from "node:crypto";
async function snapshotStore(store) {
  const startedAt = Date.now();
  const snapshot = await takeSnapshot(store);
  const dir = join(process.env.RUNNER_TEMP || tmpdir(), "nix-buildtime-cache");
  await mkdir(dir, { recursive: true });
  const snapshotFile = join(dir, `snapshot-${randomBytes(6).toString("hex")}`);
  await saveSnapshot(snapshotFile, snapshot);
  saveMainState({ snapshotFile, method: snapshot.method });
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
    const store = await locateStore();
    await snapshotStore(store);
    if (inputs.cache.kind === "file") await new FileBackend(inputs.cache.dir).prepare(store.storeDir);
    await configurePull(inputs, store);
    if (inputs.cache.kind === "github-actions") {
      const { restoreGithubActionsCache } = await import("./chunks/restore-AFQRF57G.js");
      await restoreGithubActionsCache(inputs, store);
    }
  } catch (e) {
    reportFailure(e, inputs.strict);
  }
}
await main();
