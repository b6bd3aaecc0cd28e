import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  agentFiles,
  decodeInputs
} from "./chunks/chunk-CTCB3TTA.js";
import {
  host,
  log
} from "./chunks/chunk-7IIFHBMN.js";
import "./chunks/chunk-ONBS6DE5.js";

// src/agent/main.ts
import { rename, writeFile } from "node:fs/promises";
import { setPriority } from "node:os";

// src/agent/substituter.ts
async function serveSubstituter(inputs, store, tempDir) {
  void inputs;
  void store;
  void tempDir;
  return void 0;
}

// src/agent/main.ts
async function readStdin() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return Buffer.concat(chunks).toString("utf8");
}
var stopping = false;
var wake;
var stopRequested = () => stopping;
process.on("SIGTERM", () => {
  stopping = true;
  wake?.();
});
function pause(ms) {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    wake = () => {
      clearTimeout(t);
      resolve();
    };
  });
}
async function main() {
  const config = JSON.parse(await readStdin());
  const inputs = decodeInputs(config.inputs);
  for (const s of [inputs.secretKeyText, inputs.secretKeyText?.slice(inputs.secretKeyText.indexOf(":") + 1), inputs.authHeader?.value]) {
    if (s) host().setSecret(s);
  }
  try {
    setPriority(10);
  } catch {
  }
  const files = agentFiles(config.dir);
  const substituter = await serveSubstituter(inputs, config.store, config.tempDir);
  const ready = { pid: process.pid };
  if (substituter) ready.substituterUrl = substituter.url;
  await writeFile(`${files.ready}.tmp`, JSON.stringify(ready));
  await rename(`${files.ready}.tmp`, files.ready);
  log.info(`agent ${process.pid} ready`);
  try {
    const { runAgent } = await import("./chunks/run-R6HZKLVS.js");
    await runAgent(config, inputs, { stopRequested, pause });
  } finally {
    await substituter?.close();
  }
  log.info("agent stopped");
}
main().then(
  () => process.exit(0),
  (e) => {
    log.warning(`The background agent stopped: ${e instanceof Error ? e.message : String(e)}; the post step pushes the rest.`);
    process.exit(0);
  }
);
export {
  pause
};
