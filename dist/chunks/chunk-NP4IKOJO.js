import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  buildClosure,
  diffSnapshots,
  isDerivation,
  loadSnapshot,
  queryPathInfos,
  resolveRoots,
  saveSnapshot,
  takeSnapshot,
  validPaths
} from "./chunk-TA5G7JSG.js";
import {
  S3UriError,
  S3_URI_SYNTAX,
  configurePull,
  locateStore,
  parseS3Uri
} from "./chunk-DVVKVQYF.js";
import {
  selectAndPush
} from "./chunk-2G34EYV6.js";
import {
  WARNING_PREFIX,
  agentFiles,
  encodeInputs
} from "./chunk-CTCB3TTA.js";
import {
  debug,
  error,
  exportVariable,
  getInput,
  getState,
  info,
  notice,
  renderSummary,
  saveState,
  setFailed,
  setOutput,
  setSecret,
  summary,
  warning
} from "./chunk-P2AXIFHS.js";
import {
  FileBackend
} from "./chunk-2FCCNLBV.js";
import {
  host,
  log,
  parseSecretKey
} from "./chunk-7IIFHBMN.js";

// src/action/github-host.ts
import { tmpdir } from "node:os";
var githubHost = {
  tempDir: process.env.RUNNER_TEMP || tmpdir(),
  info: (m) => info(m),
  warning: (m) => warning(m),
  error: (m) => error(m),
  notice: (m) => notice(m),
  debug: (m) => debug(m),
  setSecret: (v) => setSecret(v),
  exportVariable: (n, v) => exportVariable(n, v),
  setOutput: (n, v) => setOutput(n, v),
  saveState: (n, v) => saveState(n, v),
  getState: (n) => getState(n),
  async writeSummary(markdown) {
    if (process.env.GITHUB_STEP_SUMMARY) await summary.addRaw(markdown).write();
    else info(markdown);
  },
  fail: (m) => setFailed(m)
};
var actionInput = (name) => getInput(name);

// src/failure.ts
function reportFailure(e, strict) {
  const message = `nix-buildtime-cache: ${e instanceof Error ? e.message : String(e)}`;
  if (strict) host().fail(message);
  else log.warning(message);
}

// src/inputs.ts
var InputError = class extends Error {
  constructor(input, accepts) {
    super(`Input '${input}': ${accepts}`);
    this.input = input;
  }
  input;
};
var list = (text, sep) => text.split(sep).map((s) => s.trim()).filter((s) => s.length > 0 && !s.startsWith("#"));
function bool(raw, name) {
  const v = raw(name).toLowerCase();
  if (v === "true") return true;
  if (v === "false" || v === "") return false;
  throw new InputError(name, `expected true or false, got '${raw(name)}'`);
}
function parseCache(value) {
  const accepts = "expected github-actions, file:///path, http(s)://\u2026, s3://bucket?\u2026, or a Nix store URI such as ssh-ng://host or local?root=/path";
  if (value === "") throw new InputError("cache", `is required; ${accepts}`);
  if (value === "github-actions") return { kind: "github-actions", url: "github-actions" };
  if (value.startsWith("s3://")) {
    try {
      return { kind: "s3", url: value, s3: parseS3Uri(value) };
    } catch (e) {
      if (e instanceof S3UriError) throw new InputError("cache", `${e.message}; expected ${S3_URI_SYNTAX}`);
      throw e;
    }
  }
  if (value.startsWith("file://")) {
    const url = new URL(value);
    if (url.host !== "" || url.pathname === "/") throw new InputError("cache", `bad file URL; ${accepts}`);
    return { kind: "file", url: `file://${url.pathname}`, dir: decodeURIComponent(url.pathname) };
  }
  if (/^https?:\/\//.test(value)) {
    try {
      new URL(value);
    } catch {
      throw new InputError("cache", `'${value}' is not a valid URL; ${accepts}`);
    }
    return { kind: "http", url: value };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(value) || /^(local|daemon)(\?|$)/.test(value) || value.startsWith("/")) {
    return { kind: "nix-copy", url: value };
  }
  throw new InputError("cache", `'${value}' is not a cache URI; ${accepts}`);
}
function publicKeys(text) {
  const keys = list(text, /\s+/);
  for (const k of keys) {
    const [name, b64] = k.split(":");
    if (!name || !b64 || Buffer.from(b64, "base64").length !== 32) {
      throw new InputError("public-keys", `expected whitespace-separated name:base64 ed25519 public keys, got '${k}'`);
    }
  }
  return keys;
}
function regexes(text) {
  return list(text, /\n/).map((src) => {
    try {
      return new RegExp(src);
    } catch (e) {
      throw new InputError("exclude", `expected JavaScript regular expressions, one per line; '${src}': ${e.message}`);
    }
  });
}
function header(text) {
  if (text === "") return void 0;
  const i = text.indexOf(":");
  const name = i > 0 ? text.slice(0, i).trim() : "";
  if (!/^[A-Za-z0-9-]+$/.test(name)) {
    throw new InputError("auth-header", "expected 'Name: value', for example 'Authorization: Bearer <token>'");
  }
  return { name, value: text.slice(i + 1).trim() };
}
function chooseCompression(input, cache) {
  const fromUri = input === "" && cache.kind === "s3" ? cache.s3.compression : void 0;
  const value = input || fromUri || "zstd";
  if (value === "zstd" || value === "xz" || value === "none") return value;
  if (fromUri !== void 0) {
    throw new InputError("cache", `compression=${fromUri} in the URI: this action writes zstd, xz or none (or set the compression input)`);
  }
  throw new InputError("compression", `expected zstd, xz or none, got '${value}'`);
}
var SIZE_UNITS = { "": 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };
function parseSize(name, text) {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?$/i.exec(text);
  const bytes = m ? Math.floor(Number(m[1]) * (SIZE_UNITS[(m[2] ?? "").toUpperCase()] ?? NaN)) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new InputError(name, `expected a size such as 4G, 500M or 1.5GiB (binary units), got '${text}'`);
  }
  return bytes;
}
function keyPrefix(text) {
  if (text.includes(",") || /\s/.test(text) || text.length > 200) {
    throw new InputError("key-prefix", `expected at most 200 characters without commas or spaces, got '${text}'`);
  }
  return text;
}
function parseInputs(raw) {
  const secretText = raw("secret-key");
  let secretKey;
  if (secretText !== "") {
    try {
      secretKey = parseSecretKey(secretText);
    } catch {
      throw new InputError("secret-key", "expected a Nix signing key name:base64, as `nix-store --generate-binary-cache-key` writes it");
    }
  }
  const cache = parseCache(raw("cache"));
  const compression = chooseCompression(raw("compression"), cache);
  const par = raw("parallelism") || "8";
  const parallelism = Number(par);
  if (!/^\d+$/.test(par) || parallelism < 1 || parallelism > 64) {
    throw new InputError("parallelism", `expected a whole number from 1 to 64, got '${par}'`);
  }
  return {
    cache,
    secretKey,
    secretKeyText: secretKey ? secretText : void 0,
    publicKeys: publicKeys(raw("public-keys")),
    installables: list(raw("installables"), /\n/),
    skipSignedBy: list(raw("skip-signed-by"), /[\s,]+/),
    exclude: regexes(raw("exclude")),
    includeDerivations: bool(raw, "include-derivations"),
    pushPreExisting: bool(raw, "push-pre-existing"),
    dryRun: bool(raw, "dry-run"),
    compression,
    parallelism,
    authHeader: header(raw("auth-header")),
    netrcFile: raw("netrc-file") || void 0,
    pull: raw("pull") === "" ? true : bool(raw, "pull"),
    strict: bool(raw, "strict"),
    keyPrefix: keyPrefix(raw("key-prefix") || "nix-buildtime-cache"),
    maxSize: parseSize("max-size", raw("max-size") || "4G"),
    pushDuringBuild: raw("push-during-build") === "" ? true : bool(raw, "push-during-build")
  };
}
function readInputs(raw) {
  for (const secret of ["secret-key", "auth-header"]) {
    const v = raw(secret);
    if (v) host().setSecret(v);
  }
  const secretText = raw("secret-key");
  if (secretText.includes(":")) host().setSecret(secretText.slice(secretText.indexOf(":") + 1));
  const header2 = raw("auth-header");
  if (header2.includes(":")) host().setSecret(header2.slice(header2.indexOf(":") + 1).trim());
  return parseInputs(raw);
}

// src/job.ts
import { mkdir as mkdir2, rm } from "node:fs/promises";
import { join as join3 } from "node:path";
import { randomBytes as randomBytes2 } from "node:crypto";

// src/collect.ts
async function collectJobFacts(state, store, opts) {
  const before = await loadSnapshot(state.snapshotFile);
  const after = await takeSnapshot(store, before.method);
  let newPaths = diffSnapshots(before.names, after.names).map((n) => `${store.storeDir}/${n}`);
  if (after.method === "dir") newPaths = await validPaths(newPaths);
  log.info(`${newPaths.length} new valid store paths since the main step (of ${after.names.length}).`);
  const roots = opts.installables.length > 0 ? await resolveRoots(opts.installables, store.storeDir) : newPaths.filter(isDerivation);
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

// src/report.ts
import { writeFile } from "node:fs/promises";
import { join } from "node:path";

// src/origins.ts
function classifyOrigins(infos) {
  const built = /* @__PURE__ */ new Set();
  const substituted = /* @__PURE__ */ new Map();
  for (const info2 of infos) {
    if (info2.ultimate) {
      built.add(info2.deriver ?? info2.path);
    } else if (info2.signatures.length > 0) {
      const keys = [...new Set(info2.signatures.map((s) => s.slice(0, s.indexOf(":"))))].sort().join(", ");
      const list2 = substituted.get(keys) ?? [];
      list2.push(info2.path);
      substituted.set(keys, list2);
    }
  }
  return { builtLocally: [...built].sort(), substituted };
}

// src/report.ts
async function report(cache, facts, result, startedAt, duringBuild) {
  const { pushed } = result.outcome;
  const pathsFile = join(host().tempDir, `nix-buildtime-cache-pushed-${process.pid}.txt`);
  await writeFile(pathsFile, pushed.map((p) => `${p.path}
`).join(""));
  const skippedCount = Object.entries(result.selection.skipped).filter(([reason]) => reason !== "pre-existing").reduce((a, [, paths]) => a + paths.length, 0);
  host().setOutput("pushed-count", pushed.length);
  host().setOutput("pushed-bytes", pushed.reduce((a, p) => a + p.fileSize, 0));
  host().setOutput("nar-bytes", pushed.reduce((a, p) => a + p.narSize, 0));
  host().setOutput("skipped-count", skippedCount);
  host().setOutput("paths-file", pathsFile);
  const origins = classifyOrigins(facts.infos.values());
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

// src/agent/control.ts
import { spawn } from "node:child_process";
import { existsSync, openSync, closeSync, readFileSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { dirname, join as join2 } from "node:path";
import { randomBytes } from "node:crypto";
var READY_TIMEOUT_MS = 3e3;
var STOP_TIMEOUT_MS = 15e3;
function agentSkipReason(inputs) {
  if (!inputs.pushDuringBuild) return "push-during-build is false";
  if (inputs.dryRun) return "dry-run";
  if (inputs.cache.kind === "nix-copy") return "`nix copy` stores are pushed in the post step";
  if (inputs.cache.kind !== "github-actions" && !inputs.secretKey) return "no secret-key (pull only)";
  if (inputs.installables.length > 0) return "installables are set: their closure is known only in the post step";
  return void 0;
}
function agentScript() {
  const entry = process.argv[1];
  if (!entry) return void 0;
  const script = join2(dirname(entry), "agent.js");
  return existsSync(script) ? script : void 0;
}
async function launchAgent(opts) {
  const script = agentScript();
  if (!script) return "dist/agent.js was not found next to the entry point";
  const dir = join2(opts.tempDir, "nix-buildtime-cache", `agent-${randomBytes(6).toString("hex")}`);
  await mkdir(dir, { recursive: true });
  const files = agentFiles(dir);
  const config = { dir, tempDir: opts.tempDir, snapshotFile: opts.snapshotFile, store: opts.store, inputs: encodeInputs(opts.inputs) };
  const logFd = openSync(files.log, "a");
  let child;
  try {
    child = spawn(process.execPath, [script], { detached: true, stdio: ["pipe", logFd, logFd], env: process.env });
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
    async ready() {
      const until = Date.now() + READY_TIMEOUT_MS;
      for (; ; ) {
        try {
          return JSON.parse(await readFile(files.ready, "utf8"));
        } catch {
        }
        if (exited) return exited;
        if (Date.now() > until) {
          kill(pid, "SIGKILL");
          return `it was not ready within ${READY_TIMEOUT_MS / 1e3} s`;
        }
        await sleep(5);
      }
    }
  };
}
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
async function stopAgent(agent) {
  const files = agentFiles(agent.dir);
  let lost;
  if (isAgent(agent.pid)) {
    kill(agent.pid, "SIGTERM");
    const until = Date.now() + STOP_TIMEOUT_MS;
    while (isAgent(agent.pid) && Date.now() < until) await sleep(10);
    if (isAgent(agent.pid)) {
      kill(agent.pid, "SIGKILL");
      log.info(`The background agent did not stop within ${STOP_TIMEOUT_MS / 1e3} s; it was killed, and the post step uploads what it had in flight.`);
    }
  } else {
    lost = "the background agent was no longer running at the post step";
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
async function confirmAgent(launched, state) {
  const ready = await launched.ready();
  if (typeof ready === "string") {
    fallBack(ready);
    return;
  }
  saveMainState({ ...state, agent: { pid: ready.pid, dir: launched.dir } });
  log.info(`Background agent ${ready.pid} publishes paths as the build makes them (log: ${launched.dir}/agent.log).`);
}
async function finishAgent(state) {
  if (!state.agent) return void 0;
  try {
    const stopped = await stopAgent(state.agent);
    for (const w of stopped.warnings) log.warning(`Background agent: ${w}`);
    if (stopped.lost) log.info(`${stopped.lost} (killed, or it gave up); the post step pushes everything it had not.`);
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
  const dir = join3(host().tempDir, "nix-buildtime-cache");
  await mkdir2(dir, { recursive: true });
  const snapshotFile = join3(dir, `snapshot-${randomBytes2(6).toString("hex")}`);
  await saveSnapshot(snapshotFile, snapshot);
  const state = { snapshotFile, method: snapshot.method };
  saveMainState(state);
  const source = snapshot.method === "db" ? "Nix database" : "store directory";
  log.info(`Recorded ${snapshot.names.length} store paths (${source}) in ${Date.now() - startedAt} ms.`);
  return state;
}
async function beginJob(inputs) {
  const store = await locateStore();
  const state = await snapshotStore(store);
  const agent = await startAgent(inputs, store, state);
  try {
    if (inputs.cache.kind === "file") await new FileBackend(inputs.cache.dir).prepare(store.storeDir);
    await configurePull(inputs, store);
    if (inputs.cache.kind === "github-actions") {
      const { restoreGithubActionsCache } = await import("./restore-YCEYB2KP.js");
      await restoreGithubActionsCache(inputs, store);
    }
  } finally {
    if (agent) await confirmAgent(agent, state);
  }
}
async function finishJob(inputs) {
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
    let result = gha ? await (await import("./save-GEEHIHTA.js")).saveToGithubActionsCache(inputs, store, facts) : await selectAndPush(inputs, store, facts);
    if (!gha) result = withAgentPublished(result, published);
    const duringBuild = agent ? { kind: gha ? "prepared" : "published", paths: published.length, narBytes: published.reduce((a, p) => a + p.narSize, 0) } : void 0;
    await report(displayUrl(inputs.cache.url), facts, result, startedAt, duringBuild);
    const problems = result.outcome.failed.length;
    if (problems > 0) {
      const first = result.outcome.failed[0];
      reportFailure(new Error(`${problems} path(s) could not be pushed; first: ${first.path}: ${first.reason}`), inputs.strict);
    }
    for (const p of result.outcome.vanished) log.warning(`${p} disappeared before it could be pushed (garbage-collected?).`);
    return { facts, result };
  } catch (e) {
    reportFailure(e, inputs.strict);
    return void 0;
  } finally {
    await rm(state.snapshotFile, { force: true });
  }
}
function displayUrl(url) {
  return url.replace(/\/\/[^/@]*@/, "//").replace(/\?.*$/, "");
}

export {
  githubHost,
  actionInput,
  reportFailure,
  InputError,
  readInputs,
  beginJob,
  finishJob
};
