#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  collectJobFacts,
  selectAndPush
} from "./chunk-XVDEAYQJ.js";
import {
  saveSnapshot,
  takeSnapshot
} from "./chunk-3FM4T5F6.js";
import {
  AGENT_NICE,
  WARNING_PREFIX,
  agentFiles,
  encodeInputs
} from "./chunk-73EKAW35.js";
import {
  configurePull,
  displayUrl,
  isDeterminateNix,
  locateStore,
  removePullNetrc,
  takeBackDaemonCredentials
} from "./chunk-6ZRCU7K4.js";
import {
  FileBackend,
  renderSummary
} from "./chunk-MOJAZFA2.js";
import {
  jobBudget
} from "./chunk-6EBHABR5.js";
import {
  host,
  log
} from "./chunk-FM7YD635.js";

// src/failure.ts
function reportFailure(e, strict) {
  const message = `nix-buildtime-cache: ${e instanceof Error ? e.message : String(e)}`;
  if (strict) host().fail(message);
  else log.warning(message);
}

// src/state.ts
var KEY = "nix_buildtime_cache";
function saveMainState(state) {
  host().saveState(KEY, JSON.stringify(state));
}
function loadMainState() {
  const raw = host().getState(KEY);
  if (!raw) return void 0;
  try {
    const s = JSON.parse(raw);
    if (typeof s.snapshotFile === "string" && (s.method === "db" || s.method === "dir")) {
      const state = { snapshotFile: s.snapshotFile, method: s.method };
      const a = s.agent;
      if (a && Number.isInteger(a.pid) && a.pid > 0 && typeof a.dir === "string") state.agent = { pid: a.pid, dir: a.dir };
      return state;
    }
  } catch {
  }
  return void 0;
}

// src/job.ts
import { existsSync as existsSync2 } from "node:fs";
import { mkdir as mkdir3, rm as rm2 } from "node:fs/promises";

// src/file-alias.ts
import { createHash } from "node:crypto";
import { mkdir, readlink, symlink } from "node:fs/promises";
import { join } from "node:path";
async function fileCacheReadUrl(cache) {
  if (cache.plain) return cache.url;
  const q = cache.url.indexOf("?");
  const params = q < 0 ? "" : cache.url.slice(q);
  const dir = join(host().tempDir, "nix-buildtime-cache");
  await mkdir(dir, { recursive: true, mode: 448 });
  const link = join(dir, `file-cache-${createHash("sha256").update(cache.dir).digest("hex").slice(0, 16)}`);
  try {
    await symlink(cache.dir, link);
  } catch (e) {
    if (e.code !== "EEXIST" || await readlink(link) !== cache.dir) throw e;
  }
  return `file://${link}${params}`;
}

// src/job.ts
import { join as join4 } from "node:path";
import { randomBytes } from "node:crypto";

// src/report.ts
import { writeFile } from "node:fs/promises";
import { join as join2 } from "node:path";

// src/origins.ts
function classifyOrigins(infos) {
  const built = /* @__PURE__ */ new Set();
  const substituted = /* @__PURE__ */ new Map();
  for (const info of infos) {
    if (info.ultimate) {
      built.add(info.deriver ?? info.path);
    } else if (info.signatures.length > 0) {
      const keys = [...new Set(info.signatures.map((s) => s.slice(0, s.indexOf(":"))))].sort().join(", ");
      const list = substituted.get(keys) ?? [];
      list.push(info.path);
      substituted.set(keys, list);
    }
  }
  return { builtLocally: [...built].sort(), substituted };
}

// src/report.ts
async function report(cache, facts, result, startedAt, duringBuild) {
  const { pushed } = result.outcome;
  const pathsFile = join2(host().tempDir, `nix-buildtime-cache-pushed-${process.pid}.txt`);
  await writeFile(pathsFile, pushed.map((p) => `${p.path}
`).join(""));
  const skippedCount = Object.entries(result.selection.skipped).filter(([reason]) => reason !== "pre-existing").reduce((a, [, paths]) => a + paths.length, 0);
  host().setOutput("pushed-count", pushed.length);
  host().setOutput("pushed-bytes", pushed.reduce((a, p) => a + p.fileSize, 0));
  host().setOutput("nar-bytes", pushed.reduce((a, p) => a + p.narSize, 0));
  host().setOutput("skipped-count", skippedCount);
  host().setOutput("paths-file", pathsFile);
  const fresh = new Set(facts.newPaths);
  const origins = classifyOrigins([...facts.infos.values()].filter((i) => fresh.has(i.path)));
  const markdown = renderSummary({
    cache,
    mode: result.mode,
    note: result.note,
    selection: result.selection,
    outcome: result.outcome,
    narSizes: new Map([...facts.infos].map(([p, i]) => [p, i.narSize])),
    builtLocally: origins.builtLocally,
    substituted: origins.substituted,
    seconds: (Date.now() - startedAt) / 1e3,
    duringBuild
  });
  await host().writeSummary(markdown);
  const verb = result.mode === "push" ? "Pushed" : "Selected";
  const count = result.mode === "push" ? pushed.length : result.selection.push.length;
  log.info(`${verb} ${count} paths to ${cache}; ${skippedCount} new paths not pushed.`);
}

// src/agent/control.ts
import { spawn } from "node:child_process";
import { existsSync, openSync, closeSync, readFileSync } from "node:fs";
import { mkdir as mkdir2, readFile, rm, writeFile as writeFile2 } from "node:fs/promises";
import { dirname, join as join3 } from "node:path";
import { createHash as createHash2 } from "node:crypto";
var READY_WAIT_MS = 50;
var STOP_TIMEOUT_MS = 15e3;
function agentSkipReason(inputs) {
  if (!inputs.pushDuringBuild) return "push-during-build is false";
  if (inputs.dryRun) return "dry-run";
  if (inputs.cache.kind === "nix-copy") return "`nix copy` stores are pushed in the post step";
  if (inputs.cache.kind !== "github-actions" && !inputs.secretKey) return "no secret-key (pull only)";
  if (inputs.installables.length > 0 && inputs.cache.kind !== "github-actions") {
    return "installables are set: their closure is known only in the post step";
  }
  return void 0;
}
function agentScript() {
  const entry = process.argv[1];
  if (!entry) return void 0;
  const script = join3(dirname(entry), "agent.js");
  return existsSync(script) ? script : void 0;
}
async function launchAgent(opts) {
  const script = agentScript();
  if (!script) return "dist/agent.js was not found next to the entry point";
  const runnerJob = process.env.RUNNER_TRACKING_ID || void 0;
  const dir = join3(opts.tempDir, "nix-buildtime-cache", `agent-${createHash2("sha256").update(opts.inputs.cache.url).digest("hex").slice(0, 12)}`);
  await mkdir2(dir, { recursive: true });
  const files = agentFiles(dir);
  const sameJob = runnerJob !== void 0 && (await readJson(files.job))?.runnerJob === runnerJob;
  const running = await readReady(files.ready);
  if (running && isAgent(running.pid)) {
    if (sameJob) return { dir, pid: running.pid, ready: async () => running };
    await endProcess(running.pid);
    log.info(`Stopped background agent ${running.pid}, left by an earlier job that did not push.`);
  }
  await rm(files.ready, { force: true });
  await rm(files.ended, { force: true });
  if (!sameJob) {
    await rm(files.published, { force: true });
    await rm(files.log, { force: true });
    const job = { runnerJob };
    await writeFile2(files.job, JSON.stringify(job));
  }
  const followsScript = runnerJob === void 0;
  const config = {
    dir,
    tempDir: opts.tempDir,
    snapshotFile: opts.snapshotFile,
    store: opts.store,
    inputs: encodeInputs(opts.inputs),
    followsScript
  };
  const logFd = openSync(files.log, "a");
  let child;
  try {
    const env = { MALLOC_ARENA_MAX: "2", MALLOC_MMAP_THRESHOLD_: "131072", ...process.env };
    const nice = ["/usr/bin/nice", "/bin/nice"].find((p) => existsSync(p));
    const node = [process.execPath, "--expose-gc", script];
    const [cmd, args] = nice ? [nice, ["-n", String(AGENT_NICE), ...node]] : [node[0], node.slice(1)];
    child = spawn(cmd, args, { detached: !followsScript, stdio: ["pipe", logFd, logFd], env });
  } finally {
    closeSync(logFd);
  }
  const pid = child.pid;
  if (pid === void 0) return "the agent process could not be started";
  let exited;
  child.on("error", (e) => exited = e.message);
  child.on("exit", (code, signal) => exited = `it exited (${signal ?? code}) before it was ready`);
  child.stdin?.on("error", () => void 0);
  child.stdin?.end(JSON.stringify(config));
  child.unref();
  return {
    dir,
    pid,
    async ready(waitMs) {
      const until = Date.now() + waitMs;
      for (; ; ) {
        const ready = await readReady(files.ready);
        if (ready) return ready;
        if (exited) return exited;
        if (Date.now() >= until) return "starting";
        await sleep(5);
      }
    }
  };
}
async function readJson(file) {
  try {
    return JSON.parse(await readFile(file, "utf8"));
  } catch {
    return void 0;
  }
}
var readReady = (file) => readJson(file);
var sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function kill(pid, signal) {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}
function isAgent(pid) {
  if (!kill(pid, 0)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("agent.js");
  } catch {
    return true;
  }
}
async function endProcess(pid) {
  kill(pid, "SIGTERM");
  const until = Date.now() + STOP_TIMEOUT_MS;
  while (isAgent(pid) && Date.now() < until) await sleep(10);
  if (!isAgent(pid)) return "stopped";
  kill(pid, "SIGKILL");
  return "killed";
}
async function stopAgent(agent) {
  const files = agentFiles(agent.dir);
  let lost;
  if (!await readReady(files.ready)) {
    if (isAgent(agent.pid)) kill(agent.pid, "SIGKILL");
    return { published: [], warnings: [], lost: "the background agent never became ready" };
  }
  if (isAgent(agent.pid)) {
    if (await endProcess(agent.pid) === "killed") {
      log.info(`The background agent did not stop within ${STOP_TIMEOUT_MS / 1e3} s; it was killed, and the post step uploads what it had in flight.`);
    }
    await writeFile2(files.ended, "an earlier post step of this job stopped it").catch(() => void 0);
  } else {
    const ended = (await readFile(files.ended, "utf8").catch(() => "")).trim();
    lost = ended ? `the background agent had stopped: ${ended}` : "the background agent was no longer running at the post step (killed, or it gave up)";
  }
  const logText = await readFile(files.log, "utf8").catch(() => "");
  const warnings = logText.split("\n").filter((l) => l.startsWith(WARNING_PREFIX)).map((l) => l.slice(WARNING_PREFIX.length));
  const seen = /* @__PURE__ */ new Set();
  const published = [];
  for (const line of (await readFile(files.published, "utf8").catch(() => "")).split("\n")) {
    if (line === "") continue;
    try {
      const r = JSON.parse(line);
      if (!seen.has(r.path)) published.push({ path: r.path, narSize: r.narSize, fileSize: r.fileSize });
      seen.add(r.path);
    } catch {
    }
  }
  return { published, warnings, lost };
}

// src/job-agent.ts
async function startAgent(inputs, store, state) {
  const skip = agentSkipReason(inputs);
  if (skip) {
    if (inputs.pushDuringBuild && !inputs.dryRun) log.info(`Everything is pushed in the post step (${skip}).`);
    return void 0;
  }
  try {
    const launched = await launchAgent({ tempDir: host().tempDir, snapshotFile: state.snapshotFile, store, inputs });
    if (typeof launched !== "string") return launched;
    fallBack(launched);
  } catch (e) {
    fallBack(e instanceof Error ? e.message : String(e));
  }
  return void 0;
}
function fallBack(why) {
  log.warning(`The background agent could not start (${why}); everything is pushed in the post step.`);
}
var SUBSTITUTER_WAIT_MS = 5e3;
async function substituterOf(launched) {
  const ready = await launched.ready(SUBSTITUTER_WAIT_MS);
  return typeof ready === "object" ? ready.substituterUrl : void 0;
}
async function confirmAgent(launched, state) {
  const ready = await launched.ready(READY_WAIT_MS);
  if (typeof ready === "string" && ready !== "starting") {
    fallBack(ready);
    return;
  }
  saveMainState({ ...state, agent: { pid: launched.pid, dir: launched.dir } });
  log.info(`Background agent ${launched.pid} publishes paths as the build makes them (log: ${launched.dir}/agent.log).`);
}
async function finishAgent(state) {
  if (!state.agent) return void 0;
  try {
    const stopped = await stopAgent(state.agent);
    for (const w of stopped.warnings) log.info(`Background agent: ${w}`);
    if (stopped.lost) log.info(`${stopped.lost}; the post step pushes everything it had not.`);
    if (stopped.published.length > 0) log.info(`The background agent published ${stopped.published.length} path(s) during the build.`);
    return stopped;
  } catch (e) {
    log.warning(`The background agent could not be stopped cleanly: ${e instanceof Error ? e.message : String(e)}`);
    return void 0;
  }
}

// src/agent/outcome.ts
function withAgentPublished(result, published) {
  if (published.length === 0) return result;
  const byAgent = new Set(published.map((p) => p.path));
  const byPost = new Set(result.outcome.pushed.map((p) => p.path));
  const extra = published.filter((p) => !byPost.has(p.path));
  const selected = new Set(result.selection.push);
  return {
    ...result,
    selection: {
      ...result.selection,
      push: [...extra.map((p) => p.path).filter((p) => !selected.has(p)), ...result.selection.push],
      skipped: { ...result.selection.skipped, "already-cached": result.selection.skipped["already-cached"].filter((p) => !byAgent.has(p)) }
    },
    outcome: { ...result.outcome, pushed: [...extra, ...result.outcome.pushed] }
  };
}

// src/job.ts
async function snapshotStore(store) {
  const startedAt = Date.now();
  const snapshot = await takeSnapshot(store);
  const dir = join4(host().tempDir, "nix-buildtime-cache");
  await mkdir3(dir, { recursive: true });
  const snapshotFile = join4(dir, `snapshot-${randomBytes(6).toString("hex")}`);
  await saveSnapshot(snapshotFile, snapshot);
  const state = { snapshotFile, method: snapshot.method };
  saveMainState(state);
  const source = snapshot.method === "db" ? "Nix database" : "store directory";
  log.info(`Recorded ${snapshot.names.length} store paths (${source}) in ${Date.now() - startedAt} ms.`);
  return state;
}
function warnMissingNetrc(inputs) {
  if (inputs.netrcFile !== void 0 && !existsSync2(inputs.netrcFile)) {
    log.warning(`Input 'netrc-file': ${inputs.netrcFile} does not exist, so requests to the cache carry no netrc credentials.`);
  }
}
async function pullFromGithubActionsCache(inputs, store, agent) {
  const url = agent ? await substituterOf(agent) : void 0;
  if (url) {
    const { pullFromLocalSubstituter } = await import("./on-demand-YYP32DXP.js");
    await pullFromLocalSubstituter(inputs, store, url);
    return;
  }
  const { restoreGithubActionsCache } = await import("./restore-VSAUXUP3.js");
  await restoreGithubActionsCache(inputs, store);
}
async function beginJob(inputs) {
  const store = await locateStore();
  const state = await snapshotStore(store);
  const agent = await startAgent(inputs, store, state);
  try {
    if (inputs.cache.kind === "file") {
      await new FileBackend(inputs.cache.dir).prepare(store.storeDir).catch((e) => log.info(`${e.message}: pulling only.`));
      inputs.cache.url = await fileCacheReadUrl(inputs.cache);
    }
    warnMissingNetrc(inputs);
    await configurePull(inputs, store);
    if (inputs.cache.kind === "github-actions") await pullFromGithubActionsCache(inputs, store, agent);
  } finally {
    if (agent) await confirmAgent(agent, state);
  }
}
async function finishJob(inputs) {
  try {
    return await pushAndReport(inputs);
  } finally {
    await takeBackCredentials();
  }
}
async function takeBackCredentials() {
  await removePullNetrc().catch(() => void 0);
  await takeBackDaemonCredentials(isDeterminateNix).then((did) => did && log.info(`Daemon credentials: ${did}.`)).catch((e) => log.warning(`Could not take the cache's credentials back from the Nix daemon's configuration: ${String(e)}`));
}
async function pushAndReport(inputs) {
  const startedAt = Date.now();
  const state = loadMainState();
  if (!state) {
    log.warning("nix-buildtime-cache: the main step recorded no store snapshot (did it fail?), so nothing is pushed.");
    return void 0;
  }
  try {
    const agent = await finishAgent(state);
    const published = agent?.published ?? [];
    const store = await locateStore();
    const facts = await collectJobFacts(state, store, inputs);
    const gha = inputs.cache.kind === "github-actions";
    let result = gha ? await (await import("./save-6LL36RDY.js")).saveToGithubActionsCache(inputs, store, facts) : await selectAndPush(inputs, store, facts);
    if (!gha) result = withAgentPublished(result, published);
    const duringBuild = agent ? { kind: gha ? "prepared" : "published", paths: published.length, narBytes: published.reduce((a, p) => a + p.narSize, 0) } : void 0;
    await report(displayUrl(inputs.cache.url), facts, result, startedAt, duringBuild);
    const problems = result.outcome.failed.length;
    if (problems > 0) {
      const first = result.outcome.failed[0];
      const stopped = jobBudget().tripped;
      const why = stopped ? `the cache was given up on: ${stopped}` : `first: ${first.path}: ${first.reason}`;
      reportFailure(new Error(`${problems} path(s) could not be pushed; ${why}`), inputs.strict);
    }
    for (const p of result.outcome.vanished) log.warning(`${p} disappeared before it could be pushed (garbage-collected?).`);
    return { facts, result };
  } catch (e) {
    reportFailure(e, inputs.strict);
    return void 0;
  } finally {
    await rm2(state.snapshotFile, { force: true });
  }
}

export {
  reportFailure,
  loadMainState,
  beginJob,
  finishJob
};
