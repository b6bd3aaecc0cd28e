import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  InputError,
  actionInput,
  githubHost,
  readInputs,
  reportFailure,
  saveMainState,
  saveSnapshot,
  takeSnapshot
} from "./chunks/chunk-FURVWAQY.js";
import {
  configurePull
} from "./chunks/chunk-ZONINAYB.js";
import {
  locateStore
} from "./chunks/chunk-FFCSESDO.js";
import {
  FileBackend,
  host,
  log,
  setHost
} from "./chunks/chunk-7IJB57PC.js";
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
  log.info(`Recorded ${snapshot.names.length} store paths (${source}) in ${Date.now() - startedAt} ms.`);
}
async function main() {
  setHost(githubHost);
  let inputs;
  try {
    inputs = readInputs(actionInput);
  } catch (e) {
    host().fail(e instanceof InputError ? e.message : String(e));
    return;
  }
  try {
    const store = await locateStore();
    await snapshotStore(store);
    if (inputs.cache.kind === "file") await new FileBackend(inputs.cache.dir).prepare(store.storeDir);
    await configurePull(inputs, store);
    if (inputs.cache.kind === "github-actions") {
      const { restoreGithubActionsCache } = await import("./chunks/restore-PXYJGIRO.js");
      await restoreGithubActionsCache(inputs, store);
    }
  } catch (e) {
    reportFailure(e, inputs.strict);
  }
}
await main();
