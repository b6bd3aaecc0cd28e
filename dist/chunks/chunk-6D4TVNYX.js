#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  collectJobFacts,
  selectAndPush
} from "./chunk-JXMKKJKR.js";
import {
  SKIP_REASONS,
  saveSnapshot,
  takeSnapshot
} from "./chunk-QFROVF5J.js";
import {
  AGENT_NICE,
  WARNING_PREFIX,
  agentFiles,
  encodeInputs
} from "./chunk-HCEE444A.js";
import {
  configurePull,
  displayUrl,
  isDeterminateNix,
  locateStore,
  removePullNetrc,
  takeBackDaemonCredentials
} from "./chunk-RGHDVDVD.js";
import {
  FileBackend
} from "./chunk-62EGI3AM.js";
import {
  formatBytes,
  jobBudget
} from "./chunk-AEPLBNQV.js";
import {
  host,
  log
} from "./chunk-QUJN3JQ2.js";

// src/runtime/failure.ts
function reportFailure(e, strict) {
  const message = `nix-buildtime-cache: ${e instanceof Error ? e.message : String(e)}`;
  if (strict) host().fail(message);
  else log.warning(message);
}

// src/job/state.ts
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

// src/job/job.ts
import { existsSync as existsSync2 } from "node:fs";
import { mkdir as mkdir3, rm as rm2 } from "node:fs/promises";

// src/pull/file-alias.ts
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

// src/job/job.ts
import { join as join4 } from "node:path";
import { randomBytes } from "node:crypto";

// src/report/report.ts
import { writeFile } from "node:fs/promises";
import { join as join2 } from "node:path";

// src/report/origins.ts
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

// src/report/summary.ts
var REASON_TEXT = {
  "pre-existing": "in the build closure but already in the store before the job",
  "upstream-signed": "signed by an upstream cache (skip-signed-by), which serves them already",
  "already-cached": "already in this cache",
  excluded: "matched an `exclude` pattern",
  "unserved-reference": "reference a path that no cache serves (excluded, or gone from the store); published, they could not be substituted",
  "outside-closure": "new, but not in the build closure of the job (roots)",
  derivation: ".drv files (set include-derivations to push them)"
};
var LIST_LIMIT = 30;
var code = (s) => `\`${s.replace(/`/g, "'")}\``;
function details(title, items, render = code) {
  if (items.length === 0) return "";
  const shown = items.slice(0, LIST_LIMIT).map((s) => `- ${render(s)}`);
  if (items.length > LIST_LIMIT) shown.push(`- \u2026 and ${items.length - LIST_LIMIT} more`);
  return `<details><summary>${title} (${items.length})</summary>

${shown.join("\n")}

</details>
`;
}
function renderSummary(r) {
  const pushed = r.outcome.pushed;
  const fileBytes = pushed.reduce((a, p) => a + p.fileSize, 0);
  const narBytes = pushed.reduce((a, p) => a + p.narSize, 0);
  const out = ["## Nix build-time cache\n"];
  const verb = r.mode === "push" ? "Pushed" : "Would push";
  const count = r.mode === "push" ? pushed.length : r.selection.push.length;
  const selectedNar = r.selection.push.reduce((a, p) => a + (r.narSizes.get(p) ?? 0), 0);
  const bytes = r.mode === "push" ? `${formatBytes(fileBytes)} compressed, ${formatBytes(narBytes)} NAR` : `${formatBytes(selectedNar)} NAR`;
  out.push(`**${verb} ${count} path${count === 1 ? "" : "s"}** (${bytes}) to ${code(r.cache)} in ${r.seconds.toFixed(1)} s.
`);
  if (r.note) out.push(`> ${r.note}
`);
  if (r.duringBuild && r.duringBuild.paths > 0) {
    const d = r.duringBuild;
    const what = `${d.paths} path${d.paths === 1 ? "" : "s"} (${formatBytes(d.narBytes)} NAR)`;
    out.push(
      d.kind === "published" ? `${what} went up during the build, as they were built; the post step pushed the rest.
` : `${what} were written into the cache layer during the build; the post step packed and saved it.
`
    );
  }
  const completion = r.selection.completion ?? [];
  if (completion.length > 0) {
    out.push(
      `Of these, ${completion.length} ${completion.length === 1 ? "was" : "were"} in the store before the job: pushed as a reference of a pushed path, because neither this cache nor an upstream serves it.
`
    );
    out.push(details("Pushed as a reference of a pushed path", completion));
  }
  const problems = r.outcome.failed.length + r.outcome.vanished.length;
  if (problems > 0) {
    out.push(`**${r.outcome.failed.length} failed, ${r.outcome.vanished.length} vanished before upload.**
`);
    out.push(details("Failed", r.outcome.failed.map((f) => `${f.path}: ${f.reason}`)));
    out.push(details("Vanished (garbage-collected during the job)", r.outcome.vanished));
  }
  out.push("| Not pushed | Paths | NAR size | Why |\n|---|---:|---:|---|");
  for (const reason of SKIP_REASONS) {
    const paths = r.selection.skipped[reason];
    const size = paths.reduce((a, p) => a + (r.narSizes.get(p) ?? 0), 0);
    out.push(`| ${reason} | ${paths.length} | ${size ? formatBytes(size) : "\u2013"} | ${REASON_TEXT[reason]} |`);
  }
  out.push("");
  const listed = r.mode === "push" ? pushed.map((p) => p.path) : r.selection.push;
  const bySize = [...listed].sort((a, b) => (r.narSizes.get(b) ?? 0) - (r.narSizes.get(a) ?? 0));
  out.push(details(r.mode === "push" ? "Pushed, largest first" : "Selected, largest first", bySize, (p) => `${code(p)} ${formatBytes(r.narSizes.get(p) ?? 0)}`));
  out.push("### Why did this build from source?\n");
  out.push(
    `This job built **${r.builtLocally.length}** derivation${r.builtLocally.length === 1 ? "" : "s"} locally and substituted **${[...r.substituted.values()].reduce((a, l) => a + l.length, 0)}** paths.
`
  );
  out.push(details("Built locally", r.builtLocally));
  for (const [key, paths] of [...r.substituted].sort((a, b) => b[1].length - a[1].length)) {
    out.push(details(`Substituted, signed by ${code(key)}`, paths));
  }
  for (const reason of ["excluded", "unserved-reference", "outside-closure"]) {
    out.push(details(`Not pushed: ${reason}`, r.selection.skipped[reason]));
  }
  return out.filter((s) => s !== "").join("\n");
}

// src/report/report.ts
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
  child.on("exit", (code2, signal) => exited = `it exited (${signal ?? code2}) before it was ready`);
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

// src/job/agent-handle.ts
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

// src/plan/result.ts
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

// src/job/job.ts
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
    const { pullFromLocalSubstituter } = await import("./on-demand-2N3L3XZT.js");
    await pullFromLocalSubstituter(inputs, store, url);
    return;
  }
  const { restoreGithubActionsCache } = await import("./restore-PKKTEH42.js");
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
    let result = gha ? await (await import("./save-X7EPIYL7.js")).saveToGithubActionsCache(inputs, store, facts) : await selectAndPush(inputs, store, facts);
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
