#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  AGENT_NICE,
  WARNING_PREFIX,
  decodeInputs
} from "./chunks/chunk-5QZJIT2Z.js";
import {
  openJob,
  runProcess
} from "./chunks/chunk-SQTPPINL.js";
import "./chunks/chunk-Q5ALDPOL.js";
import {
  agentFiles
} from "./chunks/chunk-3KWS2PPE.js";
import "./chunks/chunk-WODUGNK7.js";
import "./chunks/chunk-Z3KDMJWA.js";
import {
  StderrHost,
  log
} from "./chunks/chunk-24U267C3.js";
import "./chunks/chunk-WSR6M3NS.js";

// src/agent/main.ts
import { rename, writeFile } from "node:fs/promises";
import { getPriority, setPriority } from "node:os";

// src/agent/host.ts
var AgentHost = class extends StderrHost {
  /** Informational lines carry the time (the agent's latency is read from them); warnings start with their prefix. */
  line(message, prefix) {
    this.say(prefix ?? `${(/* @__PURE__ */ new Date()).toISOString()} `, message);
  }
  info(m) {
    this.line(m);
  }
  warning(m) {
    this.line(m, WARNING_PREFIX);
  }
  error(m) {
    this.line(m, WARNING_PREFIX);
  }
  notice(m) {
    this.line(m);
  }
  debug(m) {
    if (process.env.NIX_BUILDTIME_CACHE_DEBUG) this.line(`debug: ${m}`);
  }
  exportVariable(_name, _value) {
  }
  setOutput(_name, _value) {
  }
  saveState(_name, _value) {
  }
  getState(_name) {
    return "";
  }
  async writeSummary(_markdown) {
  }
  fail(m) {
    this.warning(m);
  }
};

// src/agent/substituter.ts
async function serveSubstituter(inputs, store) {
  try {
    const { serveGithubActionsCache } = await import("./chunks/on-demand-YBGMADIO.js");
    return await serveGithubActionsCache({ keyPrefix: inputs.keyPrefix, port: inputs.substituterPort }, store);
  } catch (e) {
    log.warning(`The GitHub Actions cache could not be served on demand (${e instanceof Error ? e.message : String(e)}); the main step restores it instead.`);
    return void 0;
  }
}

// src/agent/main.ts
async function agentProcess(openJob2) {
  const control = stopControl();
  try {
    if (getPriority() < AGENT_NICE) setPriority(AGENT_NICE);
  } catch {
  }
  const config = JSON.parse(await readStdin());
  const inputs = openJob2(new AgentHost(config.tempDir), decodeInputs(config.inputs));
  const files = agentFiles(config.dir);
  const substituter = config.destination.role === "prepare" ? await serveSubstituter(inputs, config.store) : void 0;
  const ready = { pid: process.pid };
  if (substituter) ready.substituterUrl = substituter.url;
  await writeFile(`${files.ready}.tmp`, JSON.stringify(ready));
  await rename(`${files.ready}.tmp`, files.ready);
  log.info(`agent ${process.pid} ready`);
  try {
    const { runAgent } = await import("./chunks/run-T2T2JNTN.js");
    await runAgent(config, inputs, control);
  } catch (e) {
    if (!substituter) throw e;
    log.warning(`Publishing during the build stopped: ${e instanceof Error ? e.message : String(e)}; the post step pushes the rest.`);
  }
  while (substituter && !control.stopRequested()) await control.pause(6e4);
  await substituter?.close();
  log.info("agent stopped");
}
async function readStdin() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return Buffer.concat(chunks).toString("utf8");
}
function stopControl() {
  let stopping = false;
  let wake;
  process.on("SIGTERM", () => {
    stopping = true;
    wake?.();
  });
  return {
    stopRequested: () => stopping,
    pause: (ms) => new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    })
  };
}

// src/entry/agent.ts
await runProcess("agent", () => agentProcess(openJob));
