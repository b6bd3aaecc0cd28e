#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  AGENT_NICE,
  WARNING_PREFIX,
  agentFiles,
  decodeInputs
} from "./chunks/chunk-HCEE444A.js";
import "./chunks/chunk-TU6JHRST.js";
import {
  host,
  log,
  setHost
} from "./chunks/chunk-QUJN3JQ2.js";
import "./chunks/chunk-WSR6M3NS.js";

// src/entry/agent.ts
import { rename, writeFile } from "node:fs/promises";
import { getPriority, setPriority } from "node:os";

// src/agent/host.ts
var AgentHost = class {
  constructor(tempDir) {
    this.tempDir = tempDir;
  }
  tempDir;
  secrets = [];
  /** Informational lines carry the time (the agent's latency is read from them); warnings start with their prefix. */
  say(message, prefix) {
    let text = message;
    for (const s of this.secrets) text = text.split(s).join("***");
    process.stderr.write(`${prefix ?? `${(/* @__PURE__ */ new Date()).toISOString()} `}${text}
`);
  }
  info(m) {
    this.say(m);
  }
  warning(m) {
    this.say(m, WARNING_PREFIX);
  }
  error(m) {
    this.say(m, WARNING_PREFIX);
  }
  notice(m) {
    this.say(m);
  }
  debug(m) {
    if (process.env.NIX_BUILDTIME_CACHE_DEBUG) this.say(`debug: ${m}`);
  }
  setSecret(v) {
    if (v !== "") this.secrets.push(v);
  }
  exportVariable() {
  }
  setOutput() {
  }
  saveState() {
  }
  getState() {
    return "";
  }
  async writeSummary() {
  }
  fail(m) {
    this.warning(m);
  }
};

// src/agent/substituter.ts
async function serveSubstituter(inputs, store) {
  if (inputs.cache.kind !== "github-actions") return void 0;
  try {
    const { serveGithubActionsCache } = await import("./chunks/on-demand-2N3L3XZT.js");
    return await serveGithubActionsCache(inputs, store);
  } catch (e) {
    log.warning(`The GitHub Actions cache could not be served on demand (${e instanceof Error ? e.message : String(e)}); the main step restores it instead.`);
    return void 0;
  }
}

// src/entry/agent.ts
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
  try {
    if (getPriority() < AGENT_NICE) setPriority(AGENT_NICE);
  } catch {
  }
  const config = JSON.parse(await readStdin());
  setHost(new AgentHost(config.tempDir));
  const inputs = decodeInputs(config.inputs);
  for (const s of [inputs.secretKeyText, inputs.secretKeyText?.slice(inputs.secretKeyText.indexOf(":") + 1), inputs.authHeader?.value]) {
    if (s) host().setSecret(s);
  }
  const files = agentFiles(config.dir);
  const substituter = await serveSubstituter(inputs, config.store);
  const ready = { pid: process.pid };
  if (substituter) ready.substituterUrl = substituter.url;
  await writeFile(`${files.ready}.tmp`, JSON.stringify(ready));
  await rename(`${files.ready}.tmp`, files.ready);
  log.info(`agent ${process.pid} ready`);
  try {
    const { runAgent } = await import("./chunks/run-O6RAB6GX.js");
    await runAgent(config, inputs, { stopRequested, pause });
  } catch (e) {
    if (!substituter) throw e;
    log.warning(`Publishing during the build stopped: ${e instanceof Error ? e.message : String(e)}; the post step pushes the rest.`);
  }
  while (substituter && !stopRequested()) await pause(6e4);
  await substituter?.close();
  log.info("agent stopped");
}
main().then(
  () => process.exit(0),
  (e) => {
    log.warning(`The background agent stopped: ${e instanceof Error ? e.message : String(e)}; the post step pushes the rest.`);
    process.exit(0);
  }
);
