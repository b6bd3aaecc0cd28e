#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  agentRole,
  choosePush,
  executorFor,
  pullFront
} from "./chunk-GTGXA4Q6.js";
import {
  announce,
  reportCompletion,
  resultOf
} from "./chunk-OIXLTF4U.js";
import {
  removeJobServingKey
} from "./chunk-QKB2IMY3.js";
import {
  RECORD_PREFIX,
  RecordError,
  binaryCacheBackend,
  jobOfKey,
  loadSnapshot,
  parseRecordPart,
  recordContext,
  recordIdFor,
  saveSnapshot,
  storeChanges,
  takeSnapshot,
  validPaths,
  writeRecordPart
} from "./chunk-DZZ52KV5.js";
import {
  SKIP_REASONS,
  buildClosure,
  drvArgumentIsLiteral,
  heldByHash,
  infosToPush,
  isDerivation,
  isNix23,
  nixVersion,
  planAsSelected,
  planFinal,
  planIO,
  policyOf,
  queryPathInfos,
  resolveRoots,
  selectFinal
} from "./chunk-SWKWKHL2.js";
import {
  FileBackend,
  parseNarInfo,
  uploadPaths
} from "./chunk-ZDZD7BZ6.js";
import {
  emptyOutcome,
  pushedByJob,
  selectedByJob
} from "./chunk-XK72OWUU.js";
import {
  daemonConfig,
  locateStore,
  nixConfig
} from "./chunk-UTKKREKS.js";
import {
  reportFailure
} from "./chunk-TBXICSS6.js";
import {
  InputError,
  bucketHttpUrl,
  displayUrl,
  parseSize,
  urlCredentials,
  withoutCredentials
} from "./chunk-DDPCELID.js";
import {
  AGENT_NICE,
  WARNING_PREFIX,
  credentialsFor,
  encodeInputs,
  loadNetrc,
  netrcPath,
  parseNetrc,
  readPublished,
  readStaged,
  scriptAncestors
} from "./chunk-AOV4FCBB.js";
import {
  NixCommandError,
  batches,
  execCapture,
  nixEnv,
  runNix
} from "./chunk-IDEMXRFO.js";
import {
  agentFiles,
  jobDir
} from "./chunk-S54S7H64.js";
import {
  AnotherGcDeleting,
  DELETE_BATCH
} from "./chunk-NYSGCFNQ.js";
import {
  reuseFrames
} from "./chunk-72I3IZBR.js";
import {
  RequestGuard,
  RequestTimeout,
  RetryableHttpError
} from "./chunk-EGCALRY5.js";
import {
  CacheUnavailableError,
  formatBytes,
  host,
  jobBudget,
  log,
  seconds,
  timings
} from "./chunk-LXHOX3IK.js";

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
import { existsSync as existsSync3 } from "node:fs";
import { mkdir as mkdir5, rm as rm5 } from "node:fs/promises";

// src/pull/file-alias.ts
import { mkdir, readlink, symlink } from "node:fs/promises";
async function fileCacheReadUrl(cache) {
  if (cache.plain) return cache.url;
  const q = cache.url.indexOf("?");
  const params = q < 0 ? "" : cache.url.slice(q);
  const dir = jobDir();
  await mkdir(dir.root, { recursive: true, mode: 448 });
  const link = dir.fileCacheAlias(cache.dir);
  try {
    await symlink(cache.dir, link);
  } catch (e) {
    if (e.code !== "EEXIST" || await readlink(link) !== cache.dir) throw e;
  }
  return `file://${link}${params}`;
}

// src/job/collect.ts
function whyFailed(e) {
  if (e instanceof NixCommandError) {
    const lines = e.result.stderr.split("\n").map((l) => l.trim());
    const error = lines.find((l) => l.startsWith("error:")) ?? lines.filter((l) => l !== "").at(-1);
    if (error) return error.replace(/^error:\s*/, "");
  }
  return (e instanceof Error ? e.message : String(e)).split("\n").find((l) => l.trim() !== "")?.trim() ?? "failed";
}
async function resolveEachRoot(installables, storeDir) {
  const roots = [];
  const bad = [];
  for (const item of installables) {
    try {
      const resolved = await resolveRoots([item], storeDir);
      const valid = await validPaths(resolved);
      if (valid.length === 0) throw new Error("not a valid path in this store");
      roots.push(...valid);
    } catch (e) {
      bad.push(`'${item}' (${whyFailed(e)})`);
    }
  }
  if (bad.length > 0) {
    const rest = roots.length > 0 ? "the other installables still define what is pushed" : "so nothing defines what is pushed";
    log.warning(`Input 'installables': could not resolve ${bad.join(", ")}; ${rest}.`);
  }
  return roots;
}
async function collectJobFacts(state, store, opts) {
  const before = await loadSnapshot(state.snapshotFile);
  const { newPaths, methods, total } = await storeChanges(before, store);
  log.info(`${newPaths.length} new valid store paths since the main step (of ${total}; snapshots: ${methods}).`);
  const outputs = newPaths.filter((p) => !isDerivation(p));
  const outputInfos = outputs.length > 0 ? queryPathInfos(outputs, store.storeDir) : Promise.resolve(/* @__PURE__ */ new Map());
  outputInfos.catch(() => void 0);
  const roots = opts.installables.length > 0 ? await resolveEachRoot(opts.installables, store.storeDir) : newPaths.filter(isDerivation);
  const closure = roots.length > 0 ? await buildClosure(roots) : /* @__PURE__ */ new Set();
  log.info(`Build closure of ${roots.length} root(s): ${closure.size} paths.`);
  const fresh = new Set(newPaths);
  const more = newPaths.filter((p) => isDerivation(p) && opts.includeDerivations && closure.has(p));
  if (opts.pushPreExisting) {
    for (const p of closure) if (!fresh.has(p) && (!isDerivation(p) || opts.includeDerivations)) more.push(p);
  }
  const infos = await outputInfos;
  if (more.length > 0) for (const [path, info] of await queryPathInfos(more, store.storeDir)) infos.set(path, info);
  return { newPaths, closure, infos };
}

// src/pull/configure.ts
import { join as join3 } from "node:path";

// src/nix/store-support.ts
import { execFile } from "node:child_process";
var UNKNOWN_STORE_TYPE = "don't know how to open Nix store";
function interpretProbe(exitCode, stderr) {
  if (stderr.includes(UNKNOWN_STORE_TYPE)) return "unsupported";
  return exitCode === 0 ? "supported" : "unknown";
}
function probeStoreSupport(uri, timeoutMs = 1e4) {
  return new Promise((resolve) => {
    execFile(
      "nix-store",
      ["--store", uri, "--check-validity"],
      { env: nixEnv(), timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 1024 * 1024 },
      (error, _stdout, stderr) => {
        if (error && typeof error.code === "string") return resolve("unknown");
        resolve(interpretProbe(error ? typeof error.code === "number" ? error.code : null : 0, String(stderr)));
      }
    );
  });
}

// src/pull/trust.ts
import { userInfo } from "node:os";
function decideTrust(f) {
  if (!f.viaDaemon) return { level: "single-user", reason: "the store is opened directly (single-user)" };
  if (f.uid === 0) return { level: "root", reason: "running as root" };
  if (f.daemonSaysTrusted !== void 0) {
    return f.daemonSaysTrusted ? { level: "trusted", reason: "the Nix daemon reports this user as trusted" } : { level: "untrusted", reason: `the Nix daemon reports ${f.user} as untrusted` };
  }
  if (f.trustedUsers.includes("*") || f.trustedUsers.includes(f.user)) {
    return { level: "trusted", reason: `${f.user} is in trusted-users` };
  }
  const group = f.groups.find((g) => f.trustedUsers.includes(`@${g}`));
  if (group) return { level: "trusted", reason: `${f.user} is in trusted-users through @${group}` };
  return { level: "untrusted", reason: `${f.user} is not in trusted-users (${f.trustedUsers.join(" ") || "empty"})` };
}
var words = (s) => (s ?? "").split(/\s+/).filter((w) => w !== "");
async function daemonTrust() {
  for (const cmd of [["store", "info", "--json"], ["store", "ping", "--json"]]) {
    const r = await runNix("nix", cmd, { allowFailure: true });
    if (r.exitCode !== 0) continue;
    try {
      const trusted = JSON.parse(r.stdout).trusted;
      if (trusted !== void 0 && trusted !== null) return Boolean(trusted);
    } catch {
    }
  }
  return void 0;
}
async function groupsOf() {
  const r = await execCapture("id", ["-Gn"]);
  return r.exitCode === 0 ? words(r.stdout) : [];
}
function storeReferenceKey(uri, withSlash) {
  const q = uri.indexOf("?");
  const base = q >= 0 ? uri.slice(0, q) : uri;
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/.exec(base);
  if (withSlash && (!m || m[2].endsWith("/"))) return void 0;
  const params = (q >= 0 ? uri.slice(q + 1) : "").split("&").filter((p) => p !== "").sort();
  return JSON.stringify([withSlash ? `${base}/` : base, params]);
}
function daemonAcceptsSubstituter(url, trusted, structural) {
  if (!structural) return trusted.includes(url) || trusted.includes(`${url}/`);
  const keys = new Set(trusted.map((t) => storeReferenceKey(t, false)));
  return keys.has(storeReferenceKey(url, false)) || keys.has(storeReferenceKey(url, true) ?? "\0");
}
async function detectTrust(store) {
  const uid = process.getuid?.() ?? -1;
  const viaDaemon = store.viaDaemon;
  const askDaemon = viaDaemon && uid !== 0;
  const [system, version, groups, daemonSaysTrusted] = await Promise.all([
    askDaemon ? daemonConfig() : /* @__PURE__ */ new Map(),
    nixVersion(),
    askDaemon ? groupsOf() : [],
    askDaemon ? daemonTrust() : void 0
  ]);
  const decision = decideTrust({
    uid,
    user: userInfo().username,
    groups,
    viaDaemon,
    trustedUsers: words(system.get("trusted-users")),
    daemonSaysTrusted
  });
  return {
    ...decision,
    trustedSubstituters: [...words(system.get("trusted-substituters")), ...words(system.get("substituters"))],
    structuralSubstituters: version !== void 0 && version.implementation !== "lix" && (version.major > 2 || version.minor >= 34),
    trustedPublicKeys: words(system.get("trusted-public-keys"))
  };
}
async function isDeterminateNix() {
  return (await nixVersion())?.implementation === "determinate";
}

// src/pull/system-config.ts
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { existsSync } from "node:fs";
var BEGIN = "# nix-buildtime-cache: begin (managed by the nix-buildtime-cache action)";
var END = "# nix-buildtime-cache: end";
function withManagedBlock(text, lines) {
  const start = text.indexOf(BEGIN);
  const end = start >= 0 ? text.indexOf(END, start) : -1;
  let rest = text;
  if (start >= 0 && end >= 0) rest = text.slice(0, start) + text.slice(end + END.length).replace(/^\n/, "");
  if (lines.length === 0) return rest;
  const sep = rest === "" || rest.endsWith("\n") ? "" : "\n";
  return `${rest}${sep}${BEGIN}
${lines.join("\n")}
${END}
`;
}
function trustLines(existingBlock, url, keys) {
  const subs = /* @__PURE__ */ new Set();
  const pks = /* @__PURE__ */ new Set();
  const others = [];
  for (const line of existingBlock) {
    const m = /^extra-trusted-(substituters|public-keys) = (.*)$/.exec(line);
    if (!m) {
      others.push(line);
      continue;
    }
    for (const w of m[2].split(/\s+/).filter(Boolean)) (m[1] === "substituters" ? subs : pks).add(w);
  }
  subs.add(url);
  for (const k of keys) pks.add(k);
  const lines = [`extra-trusted-substituters = ${[...subs].join(" ")}`];
  if (pks.size > 0) lines.push(`extra-trusted-public-keys = ${[...pks].join(" ")}`);
  return [...lines, ...others];
}
function managedBlock(text) {
  const start = text.indexOf(BEGIN);
  const end = start >= 0 ? text.indexOf(END, start) : -1;
  if (start < 0 || end < 0) return [];
  return text.slice(start + BEGIN.length, end).split("\n").filter((l) => l.trim() !== "");
}
function systemConfigFile(confDir2, isDeterminate) {
  return join(confDir2, isDeterminate ? "nix.custom.conf" : "nix.conf");
}
function restartCommand(platform, isDeterminate) {
  if (platform === "linux") return existsSync("/run/systemd/system") ? ["systemctl", "restart", "nix-daemon"] : void 0;
  if (platform === "darwin") {
    return ["launchctl", "kickstart", "-k", isDeterminate ? "system/systems.determinate.nix-daemon" : "system/org.nixos.nix-daemon"];
  }
  return void 0;
}
async function sudo(args, input) {
  const r = await execCapture("sudo", ["-n", ...args], { input });
  return r.exitCode === 0;
}
async function hasPasswordlessSudo() {
  try {
    return await sudo(["true"]);
  } catch {
    return false;
  }
}
async function trustSystemWide(url, keys, isDeterminate) {
  const confDir2 = process.env.NIX_CONF_DIR || "/etc/nix";
  const file = systemConfigFile(confDir2, isDeterminate);
  const text = await readFile(file, "utf8").catch(() => "");
  const next = withManagedBlock(text, trustLines(managedBlock(text), url, keys));
  if (next !== text && !await sudo(["tee", file], next)) throw new Error(`could not write ${file} with sudo`);
  const restart = restartCommand(process.platform, isDeterminate);
  if (next === text) return `${file} already trusts ${url}`;
  if (!restart || !await sudo(restart)) {
    return `added ${url} to ${file}, but could not restart the Nix daemon; it takes effect at its next start`;
  }
  return `added ${url} to trusted-substituters in ${file} and restarted the Nix daemon (${restart.join(" ")})`;
}

// src/pull/credentials.ts
import { chmod, mkdir as mkdir2, rename, rm, writeFile } from "node:fs/promises";
var STATE_KEY = "nix_buildtime_cache_netrc";
function mergeNetrc(...sources) {
  const all = sources.flat();
  const machines = all.filter((e) => e.machine !== void 0);
  const fallback = all.find((e) => e.machine === void 0);
  return fallback ? [...machines, fallback] : machines;
}
function token(value) {
  if (value !== "" && !/[\s"\\]/.test(value)) return value;
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t")}"`;
}
function renderNetrc(entries) {
  return entries.map((e) => {
    const parts = [e.machine === void 0 ? "default" : `machine ${token(e.machine)}`];
    if (e.login !== void 0) parts.push(`login ${token(e.login)}`);
    if (e.password !== void 0) parts.push(`password ${token(e.password)}`);
    if (e.account !== void 0) parts.push(`account ${token(e.account)}`);
    return `${parts.join(" ")}
`;
  }).join("");
}
async function pullNetrcEntries(src) {
  const fromUrl = urlCredentials(src.cacheUrl);
  const userFile = netrcPath(src.netrcFile);
  const user = await loadNetrc(src.netrcFile).catch(() => []);
  const cacheHost = new URL(withoutCredentials(src.cacheUrl)).hostname;
  const sameFile = src.nixNetrcFile !== void 0 && src.nixNetrcFile === userFile;
  if (!fromUrl && (sameFile || !credentialsFor(cacheHost, user))) return void 0;
  let nix = [];
  if (src.nixNetrcFile && !sameFile) {
    const read = await loadNetrc(src.nixNetrcFile).catch(() => "unreadable");
    if (read === "unreadable") {
      log.info(`Could not read Nix's netrc-file ${src.nixNetrcFile}; the job's Nix pulls with the cache's credentials and ${userFile} instead.`);
    } else nix = read;
  }
  const url = fromUrl ? [{ machine: fromUrl.host, login: fromUrl.login, password: fromUrl.password }] : [];
  return mergeNetrc(url, user, nix);
}
async function writePullNetrc(entries) {
  const dir = jobDir();
  await mkdir2(dir.root, { recursive: true, mode: 448 });
  const file = dir.pullNetrc;
  const tmp = `${file}.${process.pid}.tmp`;
  await rm(tmp, { force: true });
  await writeFile(tmp, renderNetrc(entries), { mode: 384, flag: "wx" });
  await chmod(tmp, 384);
  await rename(tmp, file);
  host().saveState(STATE_KEY, file);
  return file;
}
async function removePullNetrc() {
  const file = host().getState(STATE_KEY);
  if (file) await rm(file, { force: true });
}

// src/pull/daemon-credentials.ts
import { readFile as readFile2 } from "node:fs/promises";
import { join as join2 } from "node:path";
var FILE_NAME = "nix-buildtime-cache.netrc";
var STATE_KEY2 = "nix_buildtime_cache_daemon_netrc";
var confDir = () => process.env.NIX_CONF_DIR || "/etc/nix";
function withNetrcSetting(block, file) {
  const rest = block.filter((l) => !/^netrc-file\s*=/.test(l));
  return file === void 0 ? rest : [...rest, `netrc-file = ${file}`];
}
async function setBlockNetrc(isDeterminate, file) {
  const conf = systemConfigFile(confDir(), isDeterminate);
  const text = await readFile2(conf, "utf8").catch(() => "");
  const next = withManagedBlock(text, withNetrcSetting(managedBlock(text), file));
  if (next === text) return "unchanged";
  if (!await sudo(["tee", conf], next)) throw new Error(`could not write ${conf} with sudo`);
  const restart = restartCommand(process.platform, isDeterminate);
  if (!restart || !await sudo(restart)) return `changed ${conf}, but could not restart the Nix daemon; it takes effect at its next start`;
  return `changed ${conf} and restarted the Nix daemon (${restart.join(" ")})`;
}
async function giveDaemonCredentials(entries, daemonNetrcFile, isDeterminate) {
  const target = join2(confDir(), FILE_NAME);
  let own = [];
  if (daemonNetrcFile) {
    const r = await execCapture("sudo", ["-n", "cat", daemonNetrcFile]);
    if (r.exitCode === 0) own = parseNetrc(r.stdout);
  }
  if (!await sudo(["install", "-m", "0600", "/dev/null", target])) throw new Error(`could not create ${target} with sudo`);
  if (!await sudo(["tee", target], renderNetrc(mergeNetrc(entries, own)))) throw new Error(`could not write ${target} with sudo`);
  host().saveState(STATE_KEY2, target);
  return `wrote the credentials to ${target} (root only); ${await setBlockNetrc(isDeterminate, target)}`;
}
async function takeBackDaemonCredentials(isDeterminate) {
  const target = host().getState(STATE_KEY2);
  if (!target) return void 0;
  const did = await setBlockNetrc(await isDeterminate(), void 0);
  await sudo(["rm", "-f", target]);
  return `removed ${target}; ${did}`;
}

// src/pull/probe.ts
var PROBE_IDLE_MS = 3e3;
var PROBE_ATTEMPTS = 2;
var ServerTrouble = class extends RetryableHttpError {
};
function kindOf(e) {
  if (e instanceof RequestTimeout) return "timeout";
  if (e instanceof ServerTrouble) return "server-error";
  return "connection";
}
function causeOf(e) {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause instanceof Error ? `: ${e.cause.message}` : "";
  return `${e.message}${cause}`;
}
async function probeHttpCache(url) {
  const base = url.replace(/[?#].*$/, "").replace(/\/+$/, "");
  const what = `GET ${base}/nix-cache-info`;
  const idleMs = Math.min(PROBE_IDLE_MS, timings().idleMs);
  const guard = new RequestGuard({
    budget: jobBudget(),
    idleMs,
    followDeadline: true,
    retry: { attempts: PROBE_ATTEMPTS },
    verdict: kindOf,
    cause: (e) => e instanceof RequestTimeout ? `no answer for ${seconds(idleMs)}` : causeOf(e)
  });
  try {
    await guard.run(what, async ({ signal }) => {
      const res = await fetch(`${base}/nix-cache-info`, { signal });
      await res.body?.cancel().catch(() => void 0);
      if (res.status >= 500) throw new ServerTrouble(`HTTP ${res.status}`, res.status);
    });
    return void 0;
  } catch (e) {
    const reason = e instanceof RequestTimeout ? `no answer for ${seconds(idleMs)}` : causeOf(e);
    return `${reason} from ${what}`;
  }
}

// src/pull/configure.ts
function substituterUrl(inputs) {
  const { cache } = inputs;
  if (cache.kind === "http") return withoutCredentials(cache.url);
  if (cache.kind === "file" || cache.kind === "s3") return cache.url;
  return void 0;
}
function trustedKeys(inputs) {
  const keys = [...inputs.publicKeys];
  if (inputs.secretKey && !keys.includes(inputs.secretKey.publicKey)) keys.push(inputs.secretKey.publicKey);
  return keys;
}
function pullSettings(url, keys, netrcFile) {
  const lines = [`extra-substituters = ${url}`];
  if (keys.length > 0) lines.push(`extra-trusted-public-keys = ${keys.join(" ")}`);
  if (netrcFile !== void 0) lines.push(`netrc-file = ${netrcFile}`);
  return lines.join("\n");
}
function appendNixConfig(existing, settings) {
  if (!existing) return settings;
  if (existing.includes(settings)) return existing;
  return `${existing.replace(/\n+$/, "")}
${settings}`;
}
function noS3SupportMessage(location) {
  const store = `s3://${location.bucket}`;
  return `This job's Nix was built without S3 support ("${UNKNOWN_STORE_TYPE} '${store}\u2026'"), so later steps will not substitute from ${store}; pushing still works. Workaround: let Nix read the bucket through its https:// endpoint instead: allow reads without credentials (or put a signing proxy in front) and add \`extra-substituters = ${bucketHttpUrl(location)}\` with the cache's key in trusted-public-keys to nix.conf or NIX_CONFIG.`;
}
async function nixCanReadS3(cache, probe = probeStoreSupport) {
  if (await probe(cache.url) !== "unsupported") return true;
  log.warning(noS3SupportMessage(cache.s3));
  return false;
}
function nix23PullMessage(url, keys, settings, confFile = "/etc/nix/nix.conf") {
  const join8 = (current, add) => {
    const words2 = (current ?? "").split(/\s+/).filter((w) => w !== "");
    return [...words2, ...add.filter((a) => !words2.includes(a))].join(" ");
  };
  const lines = [`substituters = ${join8(settings.get("substituters"), [url])}`];
  if (keys.length > 0) lines.push(`trusted-public-keys = ${join8(settings.get("trusted-public-keys"), keys)}`);
  return `Later steps do not substitute from ${url}: Nix 2.3 ignores NIX_CONFIG, so pulling needs the machine's nix.conf. To pull, add these lines to ${confFile} (and restart nix-daemon on a multi-user install):
${lines.join("\n")}
Pushing works as usual.`;
}
async function cacheAnswers(url, probe = probeHttpCache, name = url) {
  const trouble = await probe(url);
  if (trouble === void 0) return true;
  log.warning(`Later steps do not substitute from ${name}: it did not answer within seconds (${trouble}), and Nix would wait minutes on it. Pushing is still tried, within the job's time budget.`);
  return false;
}
async function configurePull(inputs, store, local, server, front) {
  const url = local?.url ?? server?.url ?? substituterUrl(inputs);
  if (!inputs.pull || !url) return;
  const s3Direct = async () => local !== void 0 || inputs.cache.kind !== "s3" || await nixCanReadS3(inputs.cache);
  if (front === void 0 && !await s3Direct()) return;
  if (!local && inputs.cache.kind === "s3" && !await cacheAnswers(bucketHttpUrl(inputs.cache.s3), probeHttpCache, inputs.cache.url)) return;
  if (!local && inputs.cache.kind === "http" && !await cacheAnswers(url)) return;
  const keys = [.../* @__PURE__ */ new Set([...trustedKeys(inputs), ...local?.keys ?? [], ...server?.keys ?? []])];
  if (isNix23(await nixVersion())) {
    log.warning(
      local ? "Later steps do not substitute from the restored GitHub Actions cache: Nix 2.3 ignores NIX_CONFIG, and a per-job directory does not belong in nix.conf. Pushing works as usual." : nix23PullMessage(url, keys, await nixConfig(), join3(process.env.NIX_CONF_DIR || "/etc/nix", "nix.conf"))
    );
    return;
  }
  const trust = await detectTrust(store);
  log.info(`Nix trust: ${trust.level} (${trust.reason}).`);
  if (trust.level === "untrusted" && front !== void 0 && !await s3Direct()) return;
  if (trust.level === "untrusted" && !await untrustedMayPull(url, keys, trust, local)) return;
  if (front !== void 0 && !local && trust.level !== "untrusted") {
    host().exportVariable("NIX_CONFIG", appendNixConfig(process.env.NIX_CONFIG, pullSettings(front, keys)));
    log.info(`Later steps substitute from ${url} through the background agent at 127.0.0.1, which gives the cache up within seconds if it stops answering${keys.length ? ` (trusting ${keys.map((k) => k.split(":")[0]).join(", ")})` : ""}.`);
    if (keys.length === 0) log.warning("No public-keys or secret-key given: Nix will refuse unsigned paths from the cache unless require-sigs is off.");
    return;
  }
  const netrcFile = !local && inputs.cache.kind === "http" ? await pullCredentials(inputs.cache.url, inputs, trust.level === "untrusted") : server?.credentials ? await serverCredentials(server.credentials, inputs, trust.level === "untrusted") : void 0;
  const value = appendNixConfig(process.env.NIX_CONFIG, pullSettings(url, keys, netrcFile));
  host().exportVariable("NIX_CONFIG", value);
  log.info(`Later steps substitute from ${url}${keys.length ? ` (trusting ${keys.map((k) => k.split(":")[0]).join(", ")})` : ""}.`);
  if (keys.length === 0 && !local) {
    log.warning("No public-keys or secret-key given: Nix will refuse unsigned paths from the cache unless require-sigs is off.");
  }
}
async function untrustedMayPull(url, keys, trust, local) {
  const daemonKeys = local ? local.machineKey ? [local.machineKey] : [] : keys;
  if (local && daemonKeys.length === 0) {
    log.warning(
      `Pulls from ${url} are disabled: ${trust.reason}, and the Nix daemon accepts only keys from its own nix.conf, while this job's cache is signed with a key made for the job. An admin can install a machine key once (${machineKeyHint}); see the README's "Self-hosted runners". Pushing still works.`
    );
    return false;
  }
  if (daemonAcceptsSubstituter(url, trust.trustedSubstituters, trust.structuralSubstituters)) {
    const missing = daemonKeys.filter((k) => !trust.trustedPublicKeys.includes(k));
    if (missing.length > 0) {
      log.warning(
        `${url} is in trusted-substituters, but the daemon does not trust ${missing.map((k) => k.split(":")[0]).join(", ")}: add the key to trusted-public-keys in nix.conf, or signed paths from the cache will be refused.`
      );
    }
    return true;
  }
  if (local && !local.stable) {
    log.warning(
      `Pulls from ${url} are disabled: ${trust.reason}, and the Nix daemon trusts only the substituters in its nix.conf; this job's cache is not at the one URL every job of the machine uses (the substituter-port was taken, by another job at the same time?, or the cache was restored into this job's directory). Pushing still works.`
    );
    return false;
  }
  if (await hasPasswordlessSudo()) {
    log.info(`Untrusted user with passwordless sudo: ${await trustSystemWide(url, daemonKeys, await isDeterminateNix())}.`);
    return true;
  }
  log.warning(
    `Pulls from ${url} are disabled: ${trust.reason}, and the Nix daemon ignores substituters an untrusted user adds. Add the cache to trusted-substituters (and its key to trusted-public-keys) in nix.conf, or the user to trusted-users. Pushing still works.`
  );
  return false;
}
var machineKeyHint = "nix-store --generate-binary-cache-key <name> $NIX_CONF_DIR/nix-buildtime-cache/substituter.sec <public key file>, readable by the runner's user, its public key in trusted-public-keys";
async function pullCredentials(cacheUrl, inputs, untrusted) {
  const nixNetrcFile = (await nixConfig()).get("netrc-file") || void 0;
  const entries = await pullNetrcEntries({ cacheUrl, netrcFile: inputs.netrcFile, nixNetrcFile });
  if (!entries) return void 0;
  if (untrusted) {
    const daemonNetrcFile = (await daemonConfig()).get("netrc-file") || void 0;
    const host2 = new URL(withoutCredentials(cacheUrl)).hostname;
    const forCache = credentialsFor(host2, entries);
    if (forCache && await hasPasswordlessSudo()) {
      const entry = { ...forCache, machine: host2 };
      log.info(`The Nix daemon does not take credentials from this user; with sudo: ${await giveDaemonCredentials([entry], daemonNetrcFile, await isDeterminateNix())}.`);
      return void 0;
    }
    const theirs = daemonNetrcFile ? await loadNetrc(daemonNetrcFile).catch(() => void 0) : void 0;
    if (theirs && credentialsFor(host2, theirs)) return void 0;
    log.warning(
      `The Nix daemon pulls from ${withoutCredentials(cacheUrl)} with its own netrc-file (${daemonNetrcFile ?? "unset"}), and takes none from an untrusted user: unless that file has credentials for ${host2}, pulls will be refused. Add them there, or add the user to trusted-users. Pushing still works.`
    );
    return void 0;
  }
  const file = await writePullNetrc(entries);
  log.info(`Nix pulls with the credentials in ${file} (0600, removed by the post step).`);
  return file;
}
async function serverCredentials(cred, inputs, untrusted) {
  if (untrusted) {
    log.warning(
      `The Nix daemon pulls from ${cred.machine} with its own netrc-file, and takes none from an untrusted user: unless that file has the cache's token, pulls from a private cache will be refused. Add it there, or add the user to trusted-users. Pushing still works.`
    );
    return void 0;
  }
  const nixNetrcFile = (await nixConfig()).get("netrc-file") || void 0;
  const user = await loadNetrc(inputs.netrcFile).catch(() => []);
  const nix = nixNetrcFile ? await loadNetrc(nixNetrcFile).catch(() => []) : [];
  const file = await writePullNetrc(mergeNetrc([{ machine: cred.machine, login: cred.login ?? "token", password: cred.password }], user, nix));
  log.info(`Nix pulls with the cache's token in ${file} (0600, removed by the post step).`);
  return file;
}

// src/runtime/collector.ts
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
function exposedCollector() {
  const visible = globalThis.gc;
  if (visible) return visible;
  try {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc");
    return typeof gc === "function" ? gc : void 0;
  } catch {
    return void 0;
  }
}
function spentBufferCollector(gc, slackBytes) {
  let floor = 0;
  return () => {
    gc({ type: "minor" });
    if (process.memoryUsage().arrayBuffers <= floor + slackBytes) return;
    gc();
    floor = process.memoryUsage().arrayBuffers;
  };
}

// src/executors/nix-copy.ts
import { chmod as chmod2, mkdtemp, rm as rm2, writeFile as writeFile2 } from "node:fs/promises";
import { join as join4 } from "node:path";
async function pushWithNixCopy(paths, opts) {
  const outcome = emptyOutcome();
  if (paths.length === 0) return outcome;
  const drvs = paths.filter(isDerivation);
  const drvFlag = drvs.length > 0 && !await drvArgumentIsLiteral(drvs[0], opts.storeDir) ? ["--derivation"] : [];
  const groups = [
    [paths.filter((p) => !isDerivation(p)), []],
    [drvs, drvFlag]
  ];
  if (opts.secretKeyText) for (const [group, flags] of groups) await signLocally(group, opts.secretKeyText, flags);
  const env = { ...process.env, ...sshBounds(opts.uri, process.env) };
  const work = groups.flatMap(([group, flags]) => batches(group).map((b) => [b, flags]));
  for (const [i, [batch, flags]] of work.entries()) {
    const failure = await copyBatch(batch, flags, opts.uri, env);
    if (failure === void 0) {
      for (const p of batch) outcome.pushed.push({ path: p, narSize: opts.narSizes.get(p) ?? 0, fileSize: 0 });
      continue;
    }
    for (const p of batch) outcome.failed.push({ path: p, reason: failure.reason });
    if (failure.unreachable) {
      for (const [rest] of work.slice(i + 1)) for (const p of rest) outcome.failed.push({ path: p, reason: `not tried: ${failure.reason}` });
      break;
    }
  }
  return outcome;
}
var UNREACHABLE = /ssh: connect to host|Connection timed out|Connection refused|Connection reset|Connection closed|timed out during banner exchange|Timeout, server .* not responding|Broken pipe|Could not resolve hostname|No route to host|Network is unreachable|failed to start SSH connection|cannot connect to|unexpected end-of-file/i;
var Unreachable = class extends Error {
};
async function copyBatch(batch, flags, uri, env) {
  const budget = jobBudget();
  const requests = new RequestGuard({
    budget,
    channel: "nix copy",
    // No idle timeout of ours: ssh's own options bound a silent store (sshBounds).
    followDeadline: false,
    retry: { isRetryable: (e) => e instanceof Unreachable && !budget.tripped },
    isTrouble: (e) => e instanceof Unreachable,
    verdict: (e) => e instanceof Unreachable ? "connection" : void 0,
    // The reason already says what failed.
    text: (e) => e.message,
    retryLine: (e, _what, attempt, _attempts, delay) => `${e.message}; trying again in ${seconds(delay)} (attempt ${attempt + 1}).`
  });
  try {
    await requests.run("nix copy", async () => {
      const r = await runNix("nix", ["copy", ...flags, "--no-check-sigs", "--to", uri, ...batch], { allowFailure: true, env });
      if (r.exitCode === 0) return;
      const reason = `nix copy failed: ${r.stderr.trim().split("\n").slice(-2).join(" ")}`;
      if (!UNREACHABLE.test(r.stderr)) throw new Error(reason);
      throw new Unreachable(reason);
    });
    return void 0;
  } catch (e) {
    if (e instanceof CacheUnavailableError) return { reason: `the store was given up on: ${budget.tripped}`, unreachable: true };
    return { reason: e.message, unreachable: e instanceof Unreachable };
  }
}
function sshBounds(uri, env, t = timings(env)) {
  if (!/^ssh(-ng)?:\/\//.test(uri)) return void 0;
  const connect = Math.max(1, Math.ceil(t.connectMs / 1e3));
  const alive = Math.max(1, Math.ceil(t.idleMs / 3e3));
  const ours = `-o ConnectTimeout=${connect} -o ServerAliveInterval=${alive} -o ServerAliveCountMax=3`;
  const theirs = env.NIX_SSHOPTS?.trim();
  return { NIX_SSHOPTS: theirs ? `${theirs} ${ours}` : ours };
}
async function signLocally(paths, keyText, flags) {
  if (paths.length === 0) return;
  const dir = await mkdtemp(join4(host().tempDir, "nix-buildtime-cache-key-"));
  const keyFile = join4(dir, "secret-key");
  try {
    await writeFile2(keyFile, keyText, { mode: 384 });
    await chmod2(keyFile, 384);
    let command = ["store", "sign"];
    for (const batch of batches(paths)) {
      let r = await runNix("nix", [...command, ...flags, "--recursive", "--key-file", keyFile, ...batch], { allowFailure: true });
      if (r.exitCode !== 0 && command.length === 2) {
        command = ["sign-paths"];
        r = await runNix("nix", [...command, ...flags, "--recursive", "--key-file", keyFile, ...batch], { allowFailure: true });
      }
      if (r.exitCode !== 0) {
        log.warning(`Could not sign paths locally (${r.stderr.trim().split("\n").pop()}); they are copied unsigned.`);
        return;
      }
    }
  } finally {
    await rm2(dir, { recursive: true, force: true });
  }
}

// src/job/push.ts
async function pushToCache(job) {
  if (executorFor(job.inputs.cache).executor === "github-actions") {
    const { saveToGithubActions } = await import("./gha-save-IJ4FR2UX.js");
    return saveToGithubActions(job);
  }
  const choice = choosePush(job.inputs);
  if (choice.executor === "nix-copy") return pushWithNixCopyTo(choice, job);
  if (choice.executor === "binary-cache") return pushToBinaryCache(choice, job);
  if (choice.executor === "github-actions") throw new Error(`no executor for ${choice.executor}`);
  const { pushToServerCache } = await import("./server-push-FZLTEXAM.js");
  return pushToServerCache(choice, job);
}
async function pushWithNixCopyTo(choice, job) {
  const { inputs, store, facts } = job;
  const plan = planAsSelected(selectFinal(facts, policyOf(inputs)), job.published, facts.infos);
  if (choice.mode === "dry-run") return resultOf(plan, "dry-run");
  const narSizes = new Map([...facts.infos].map(([p, i]) => [p, i.narSize]));
  const copied = await pushWithNixCopy(plan.selection.push, {
    uri: choice.cache.url,
    secretKeyText: inputs.secretKeyText,
    narSizes,
    storeDir: store.storeDir
  });
  return resultOf(plan, "push", copied);
}
async function pushToBinaryCache(choice, job) {
  const backend = await binaryCacheBackend(choice.cache, { authHeader: job.inputs.authHeader, netrcFile: job.inputs.netrcFile, readOnly: choice.mode !== "push" });
  const result = await planAndUpload(choice, job, backend);
  if (choice.mode === "push" && result.mode === "push") await completeJobRecord(choice, job, backend, result);
  return result;
}
async function completeJobRecord(choice, job, backend, result) {
  const id = job.snapshotFile === void 0 ? void 0 : recordIdFor(choice.cache, job.snapshotFile);
  if (id === void 0 || job.inputs.secretKey === void 0) return;
  const pushed = new Set(pushedByJob(result).map((p) => p.path));
  const used = new Set(result.selection.skipped["already-cached"]);
  const ours = `${job.inputs.secretKey.name}:`;
  for (const info of job.facts.infos.values()) if (!info.ultimate && info.signatures.some((s) => s.startsWith(ours))) used.add(info.path);
  for (const p of pushed) used.delete(p);
  if (pushed.size === 0 && used.size === 0) return;
  try {
    await writeRecordPart(backend, recordContext(id), "post", { pushed: [...pushed], used: [...used] });
  } catch (e) {
    log.warning(`Could not write the job record to ${backend.displayUrl} (the retention GC then does not count this job): ${e instanceof Error ? e.message : String(e)}`);
  }
}
async function planAndUpload(choice, job, backend) {
  const { inputs, store, facts } = job;
  const input = { facts, policy: policyOf(inputs), published: job.published };
  const selected = selectFinal(facts, input.policy);
  if (selected.push.length === 0) return resultOf(planAsSelected(selected, job.published, facts.infos), choice.mode === "dry-run" ? "dry-run" : "push");
  if (choice.mode === "pull-only") {
    announce(choice.announce);
    return resultOf(planAsSelected(selected, job.published, facts.infos), "pull-only", void 0, choice.note);
  }
  if (choice.mode === "push") await backend.prepare(store.storeDir);
  const plan = await planFinal(selected, input, planIO(store.storeDir, heldByHash((hashes) => backend.existing(hashes))));
  reportCompletion(plan);
  if (choice.mode === "dry-run" || plan.selection.push.length === 0) return resultOf(plan, choice.mode);
  keepWithinMemory(backend.memoryTight === true);
  const sweeping = backend.sweepLeftovers?.();
  const outcome = await uploadPaths(infosToPush(plan), {
    backend,
    signer: inputs.secretKey,
    compression: inputs.compression,
    parallelism: inputs.parallelism,
    realStoreDir: store.realStoreDir,
    written: job.staged
  });
  const swept = await sweeping;
  if (swept) log.info(`Removed ${swept} temporary file(s) that interrupted uploads had left in the cache.`);
  return resultOf(plan, "push", outcome);
}
function keepWithinMemory(tight) {
  const gc = exposedCollector();
  const slack = tight ? 4 * 2 ** 20 : 16 * 2 ** 20;
  if (gc) reuseFrames({ spares: tight ? 2 : 4, collect: { everyFrames: tight ? 1 : 2, run: spentBufferCollector(gc, slack) } });
}

// src/report/report.ts
import { writeFile as writeFile3 } from "node:fs/promises";
import { join as join5 } from "node:path";

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
  const pushed = pushedByJob(r);
  const selected = selectedByJob(r);
  const fileBytes = pushed.reduce((a, p) => a + p.fileSize, 0);
  const narBytes = pushed.reduce((a, p) => a + p.narSize, 0);
  const out = ["## Nix build-time cache\n"];
  const verb = r.mode === "push" ? "Pushed" : "Would push";
  const count2 = r.mode === "push" ? pushed.length : selected.length;
  const selectedNar = selected.reduce((a, p) => a + (r.narSizes.get(p) ?? 0), 0);
  const bytes = r.mode === "push" ? `${formatBytes(fileBytes)} compressed, ${formatBytes(narBytes)} NAR` : `${formatBytes(selectedNar)} NAR`;
  out.push(`**${verb} ${count2} path${count2 === 1 ? "" : "s"}** (${bytes}) to ${code(r.cache)} in ${r.seconds.toFixed(1)} s.
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
  const deep = r.outcome.unsubstitutable ?? [];
  if (deep.length > 0) {
    out.push(
      `**${deep.length} not pushed because Nix 2.34 and later could not substitute ${deep.length === 1 ? "it" : "them"}:** a path nested deeper than 64 directory levels, and every path that references one. Consumers build these themselves.
`
    );
    out.push(details("Not pushed: too deep for current Nix", deep.map((f) => `${f.path}: ${f.reason}`)));
  }
  out.push("| Not pushed | Paths | NAR size | Why |\n|---|---:|---:|---|");
  for (const reason of SKIP_REASONS) {
    const paths = r.selection.skipped[reason];
    const size = paths.reduce((a, p) => a + (r.narSizes.get(p) ?? 0), 0);
    out.push(`| ${reason} | ${paths.length} | ${size ? formatBytes(size) : "\u2013"} | ${REASON_TEXT[reason]} |`);
  }
  out.push("");
  const listed = r.mode === "push" ? pushed.map((p) => p.path) : selected;
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
  const pushed = pushedByJob(result);
  const pathsFile = join5(host().tempDir, `nix-buildtime-cache-pushed-${process.pid}.txt`);
  await writeFile3(pathsFile, pushed.map((p) => `${p.path}
`).join(""));
  const skippedCount = Object.entries(result.selection.skipped).filter(([reason]) => reason !== "pre-existing").reduce((a, [, paths]) => a + paths.length, 0);
  host().setOutput("pushed-count", pushed.length);
  host().setOutput("pushed-bytes", pushed.reduce((a, p) => a + p.fileSize, 0));
  host().setOutput("nar-bytes", pushed.reduce((a, p) => a + p.narSize, 0));
  host().setOutput("skipped-count", skippedCount);
  host().setOutput("paths-file", pathsFile);
  const fresh = new Set(facts.newPaths);
  const origins = classifyOrigins([...result.infos.values()].filter((i) => fresh.has(i.path)));
  const markdown = renderSummary({
    cache,
    mode: result.mode,
    note: result.note,
    selection: result.selection,
    published: result.published,
    outcome: result.outcome,
    narSizes: new Map([...result.infos].map(([p, i]) => [p, i.narSize])),
    builtLocally: origins.builtLocally,
    substituted: origins.substituted,
    seconds: (Date.now() - startedAt) / 1e3,
    duringBuild
  });
  await host().writeSummary(markdown);
  const verb = result.mode === "push" ? "Pushed" : "Selected";
  const count2 = result.mode === "push" ? pushed.length : selectedByJob(result).length;
  log.info(`${verb} ${count2} paths to ${cache}; ${skippedCount} new paths not pushed.`);
}

// src/agent/control.ts
import { spawn } from "node:child_process";
import { existsSync as existsSync2, openSync, closeSync, readFileSync } from "node:fs";
import { mkdir as mkdir3, readFile as readFile3, rm as rm3, writeFile as writeFile4 } from "node:fs/promises";
import { dirname, join as join6 } from "node:path";
var READY_WAIT_MS = 50;
var STOP_TIMEOUT_MS = 15e3;
function agentScript() {
  const entry = process.argv[1];
  if (!entry) return void 0;
  const script = join6(dirname(entry), "agent.js");
  return existsSync2(script) ? script : void 0;
}
async function launchAgent(opts) {
  const script = agentScript();
  if (!script) return "dist/agent.js was not found next to the entry point";
  const runnerJob = process.env.RUNNER_TRACKING_ID || void 0;
  const dir = jobDir(opts.tempDir).agent(opts.inputs.cache.url);
  await mkdir3(dir, { recursive: true });
  const files = agentFiles(dir);
  const recorded = await readJson(files.job);
  const sameJob = runnerJob !== void 0 && recorded?.runnerJob === runnerJob;
  const running = await readReady(files.ready);
  const starting = sameJob && !running && recorded?.pid !== void 0 && isAgent(recorded.pid) ? recorded.pid : void 0;
  if (starting !== void 0) return { dir, pid: starting, ready: (waitMs) => waitReady(files.ready, waitMs, () => isAgent(starting) ? void 0 : "it exited before it was ready") };
  if (running && isAgent(running.pid)) {
    if (sameJob) return { dir, pid: running.pid, ready: async () => running };
    await endProcess(running.pid);
    log.info(`Stopped background agent ${running.pid}, left by an earlier job that did not push.`);
  }
  await rm3(files.ready, { force: true });
  await rm3(files.ended, { force: true });
  if (!sameJob) {
    await rm3(files.published, { force: true });
    await rm3(files.log, { force: true });
  }
  const followsScript = runnerJob === void 0;
  const config = {
    dir,
    tempDir: opts.tempDir,
    snapshotFile: opts.snapshotFile,
    store: opts.store,
    inputs: encodeInputs(opts.inputs),
    destination: opts.destination,
    front: opts.front,
    followsScript,
    scriptAncestors: followsScript ? scriptAncestors() : void 0
  };
  const logFd = openSync(files.log, "a");
  let child;
  try {
    const env = { MALLOC_ARENA_MAX: "2", MALLOC_MMAP_THRESHOLD_: "131072", ...process.env };
    const nice = ["/usr/bin/nice", "/bin/nice"].find((p) => existsSync2(p));
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
  const job = { runnerJob, pid };
  await writeFile4(files.job, JSON.stringify(job));
  return { dir, pid, ready: (waitMs) => waitReady(files.ready, waitMs, () => exited) };
}
async function waitReady(file, waitMs, exited) {
  const until = Date.now() + waitMs;
  for (; ; ) {
    const ready = await readReady(file);
    if (ready) return ready;
    const ended = exited();
    if (ended) return ended;
    if (Date.now() >= until) return "starting";
    await sleep(5);
  }
}
async function readJson(file) {
  try {
    return JSON.parse(await readFile3(file, "utf8"));
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
    return { published: [], staged: [], warnings: [], lost: "the background agent never became ready" };
  }
  if (isAgent(agent.pid)) {
    if (await endProcess(agent.pid) === "killed") {
      log.info(`The background agent did not stop within ${STOP_TIMEOUT_MS / 1e3} s; it was killed, and the post step uploads what it had in flight.`);
    }
    await writeFile4(files.ended, "an earlier post step of this job stopped it").catch(() => void 0);
  } else {
    const ended = (await readFile3(files.ended, "utf8").catch(() => "")).trim();
    lost = ended ? `the background agent had stopped: ${ended}` : "the background agent was no longer running at the post step (killed, or it gave up)";
  }
  const logText = await readFile3(files.log, "utf8").catch(() => "");
  const warnings = logText.split("\n").filter((l) => l.startsWith(WARNING_PREFIX)).map((l) => l.slice(WARNING_PREFIX.length));
  return { published: await readPublished(files.published), staged: await readStaged(files.staged), warnings, lost };
}

// src/job/agent-handle.ts
async function startAgent(inputs, store, state) {
  const role = agentRole(inputs);
  if (role.role === "skip" && role.tell) log.info(`Everything is pushed in the post step (${role.reason}).`);
  const front = pullFront(inputs);
  if (role.role === "skip" && !front) return void 0;
  try {
    const destination = role.role === "skip" ? void 0 : role;
    const launched = await launchAgent({ tempDir: host().tempDir, snapshotFile: state.snapshotFile, store, inputs, destination, front });
    if (typeof launched !== "string") return launched;
    fallBack(launched, destination !== void 0);
  } catch (e) {
    fallBack(e instanceof Error ? e.message : String(e), role.role !== "skip");
  }
  return void 0;
}
function fallBack(why, publishes = true) {
  const instead = publishes ? "everything is pushed in the post step" : "Nix pulls from the cache directly";
  log.warning(`The background agent could not start (${why}); ${instead}.`);
}
var SUBSTITUTER_WAIT_MS = 5e3;
async function substituterOf(launched) {
  const ready = await launched.ready(SUBSTITUTER_WAIT_MS);
  return typeof ready === "object" ? ready.substituterUrl : void 0;
}
async function frontOf(launched) {
  const ready = await launched.ready(SUBSTITUTER_WAIT_MS);
  return typeof ready === "object" ? ready.frontUrl : void 0;
}
async function confirmAgent(launched, state, publishes = true) {
  const ready = await launched.ready(READY_WAIT_MS);
  if (typeof ready === "string" && ready !== "starting") {
    fallBack(ready, publishes);
    return;
  }
  saveMainState({ ...state, agent: { pid: launched.pid, dir: launched.dir } });
  const does = publishes ? "publishes paths as the build makes them" : "fronts the cache for the job's Nix";
  log.info(`Background agent ${launched.pid} ${does} (log: ${launched.dir}/agent.log).`);
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

// src/job/store-neighbours.ts
import { createHash } from "node:crypto";
import { readFileSync as readFileSync2, statSync, unlinkSync } from "node:fs";
import { chmod as chmod3, mkdir as mkdir4, readdir, readFile as readFile4, rename as rename2, rm as rm4, writeFile as writeFile5 } from "node:fs/promises";
import { join as join7 } from "node:path";
import { userInfo as userInfo2 } from "node:os";
var NEIGHBOURS_DIR = "/tmp/nix-buildtime-cache-jobs";
var STALE_MS = 24 * 36e5;
var hash = (text) => createHash("sha256").update(text).digest("hex").slice(0, 16);
function storeKey(store) {
  return hash(`${store.storeDir}\0${store.realStoreDir}`);
}
function recordFile(store, dir) {
  return join7(dir, `${storeKey(store)}-${hash(jobDir().root)}.json`);
}
async function writeRecord(file, record) {
  await writeFile5(`${file}.tmp`, JSON.stringify(record), { mode: 420 });
  await rename2(`${file}.tmp`, file);
}
async function announceJob(store, dir = NEIGHBOURS_DIR, now = Date.now()) {
  try {
    const made = await mkdir4(dir, { recursive: true });
    if (made !== void 0) await chmod3(dir, 1023);
    await writeRecord(recordFile(store, dir), { start: now, user: userInfo2().username });
  } catch {
  }
}
async function jobsAlongside(store, dir = NEIGHBOURS_DIR, now = Date.now()) {
  const own = recordFile(store, dir);
  let mine;
  try {
    mine = JSON.parse(await readFile4(own, "utf8"));
  } catch {
    return void 0;
  }
  const prefix = `${storeKey(store)}-`;
  let others = 0;
  for (const name of await readdir(dir).catch(() => [])) {
    const file = join7(dir, name);
    if (!name.endsWith(".json") || file === own) continue;
    if (!name.startsWith(prefix)) {
      removeIfUnwrittenFor(file, STALE_MS, now);
      continue;
    }
    let r;
    try {
      r = JSON.parse(readFileSync2(file, "utf8"));
    } catch {
      continue;
    }
    const stale = r.end === void 0 && now - r.start > STALE_MS;
    if (stale || r.end !== void 0 && now - r.end > STALE_MS) await rm4(file, { force: true }).catch(() => void 0);
    if (stale) continue;
    if (r.start <= now && (r.end === void 0 || r.end >= mine.start)) others++;
  }
  await writeRecord(own, { ...mine, end: now }).catch(() => void 0);
  return others;
}
function removeIfUnwrittenFor(file, ms, now) {
  try {
    if (now - statSync(file).mtimeMs > ms) unlinkSync(file);
  } catch {
  }
}
function neighboursNote(others) {
  return `${others === 1 ? "Another job" : `${others} other jobs`} using nix-buildtime-cache ran on this Nix store at the same time. Without \`installables\`, paths a concurrent job made on a shared store can look like this job's own, and be pushed with them. Name the job's outputs in \`installables\` to push exactly this job's closure.`;
}

// src/job/job.ts
async function snapshotStore(store) {
  const startedAt = Date.now();
  const snapshot = await takeSnapshot(store);
  const dir = jobDir();
  await mkdir5(dir.root, { recursive: true });
  const snapshotFile = dir.newSnapshot();
  await saveSnapshot(snapshotFile, snapshot);
  const state = { snapshotFile, method: snapshot.method };
  saveMainState(state);
  const source = snapshot.method === "db" ? "Nix database" : "store directory";
  log.info(`Recorded ${snapshot.names.length} store paths (${source}) in ${Date.now() - startedAt} ms.`);
  return state;
}
function warnMissingNetrc(inputs) {
  if (inputs.netrcFile !== void 0 && !existsSync3(inputs.netrcFile)) {
    log.warning(`Input 'netrc-file': ${inputs.netrcFile} does not exist, so requests to the cache carry no netrc credentials.`);
  }
}
async function pullFromGithubActionsCache(inputs, store, agent) {
  const url = agent ? await substituterOf(agent) : void 0;
  if (url) {
    const { pullFromLocalSubstituter } = await import("./on-demand-XL7S2QE5.js");
    return pullFromLocalSubstituter(url, inputs.substituterPort);
  }
  const { restoreGithubActionsCache } = await import("./restore-GHRSYGPW.js");
  return restoreGithubActionsCache({ keyPrefix: inputs.keyPrefix }, store);
}
async function serverSubstituter(inputs) {
  const cache = inputs.cache;
  if (cache.kind !== "attic" && cache.kind !== "cachix" && cache.kind !== "niks3") return void 0;
  return (await import("./server-pull-YXEIFNAD.js")).serverSubstituter(cache, inputs.authToken);
}
async function beginJob(inputs) {
  const store = await locateStore();
  const state = await snapshotStore(store);
  await announceJob(store);
  const agent = await startAgent(inputs, store, state);
  try {
    if (inputs.cache.kind === "file") {
      await new FileBackend(inputs.cache.dir).prepare(store.storeDir).catch((e) => log.info(`${e.message}: pulling only.`));
      inputs.cache.url = await fileCacheReadUrl(inputs.cache);
    }
    warnMissingNetrc(inputs);
    const local = executorFor(inputs.cache).executor === "github-actions" ? await pullFromGithubActionsCache(inputs, store, agent) : void 0;
    const server = inputs.pull ? await serverSubstituter(inputs) : void 0;
    const front = agent && pullFront(inputs) ? await frontOf(agent) : void 0;
    await configurePull(inputs, store, local, server, front);
  } finally {
    if (agent) await confirmAgent(agent, state, agentRole(inputs).role !== "skip");
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
  await removeJobServingKey(jobDir().substituterKey).catch(() => void 0);
  await takeBackDaemonCredentials(isDeterminateNix).then((did) => did && log.info(`Daemon credentials: ${did}.`)).catch((e) => log.warning(`Could not take the cache's credentials back from the Nix daemon's configuration: ${String(e)}`));
}
async function noteNeighbours(inputs, store, result) {
  const others = await jobsAlongside(store);
  if (!others || inputs.installables.length > 0) return;
  const note = neighboursNote(others);
  result.note = result.note ? `${result.note} ${note}` : note;
  log.warning(note);
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
    const result = await pushToCache({ inputs, store, facts, published, staged: agent?.staged, snapshotFile: state.snapshotFile });
    await noteNeighbours(inputs, store, result);
    const role = agentRole(inputs).role;
    const duringBuild = agent && role !== "skip" ? { kind: role === "prepare" ? "prepared" : "published", paths: published.length, narBytes: published.reduce((a, p) => a + p.narSize, 0) } : void 0;
    await report(displayUrl(inputs.cache.url), facts, result, startedAt, duringBuild);
    const problems = result.outcome.failed.length;
    if (problems > 0) {
      const first = result.outcome.failed[0];
      const stopped = jobBudget().tripped;
      const why = result.outcome.stoppedBy ?? (stopped ? `the cache was given up on: ${stopped}` : `first: ${first.path}: ${first.reason}`);
      reportFailure(new Error(`${problems} path(s) could not be pushed; ${why}`), inputs.strict);
    }
    const deep = result.outcome.unsubstitutable ?? [];
    if (deep.length > 0) {
      log.warning(`${deep.length} path(s) not pushed: nested deeper than 64 directory levels, or referencing such a path (first: ${deep[0].path}: ${deep[0].reason}); see the job summary.`);
    }
    for (const p of result.outcome.vanished) log.warning(`${p} disappeared before it could be pushed (garbage-collected?).`);
    return { facts, result };
  } catch (e) {
    reportFailure(e, inputs.strict);
    return void 0;
  } finally {
    await rm5(state.snapshotFile, { force: true });
  }
}

// src/gc/args.ts
var GcUsageError = class extends Error {
};
var VALUE_OPTIONS = /* @__PURE__ */ new Set(["keep-days", "keep-jobs", "max-size", "grace"]);
function parseGcArgs(args, opts = {}) {
  let cache;
  const options = {};
  const pins = [];
  let json = false;
  let summaryFile;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "-h" || arg === "--help") return "help";
    const eq = arg.indexOf("=");
    const option = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : void 0;
    const value = () => {
      if (inline !== void 0) return inline;
      const v = args[++i];
      if (v === void 0) throw new GcUsageError(`${option} needs a value`);
      return v;
    };
    const flag = () => {
      if (inline === void 0 || inline === "true") return true;
      if (inline === "false") return false;
      throw new GcUsageError(`${option} takes no value (or =true / =false)`);
    };
    const name = option.slice(2);
    if (!option.startsWith("--")) throw new GcUsageError(`unexpected argument '${arg}' (see nix-buildtime-cache gc --help)`);
    if (name === "cache" && opts.cacheOption !== false) cache = value();
    else if (VALUE_OPTIONS.has(name)) options[name] = value();
    else if (name === "pin") pins.push(value());
    else if (name === "dry-run") options["dry-run"] = flag();
    else if (name === "force") options.force = flag();
    else if (name === "json") json = flag();
    else if (name === "summary") summaryFile = value();
    else throw new GcUsageError(`unknown option '${option}' of gc (see nix-buildtime-cache gc --help)`);
  }
  if (cache === void 0 && opts.cacheOption !== false) throw new GcUsageError("gc needs --cache URI (a file:///dir or s3://bucket?\u2026 cache)");
  if (pins.length > 0) options.pin = pins;
  return { cache: cache ?? "", options, json, summaryFile };
}

// src/gc/options.ts
var DEFAULT_KEEP_DAYS = 30;
var DEFAULT_GRACE = "7d";
var DURATION_UNITS = { s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 7 * 864e5 };
function parseDuration(name, text) {
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d|w)$/.exec(text.trim());
  if (!m) throw new InputError(name, `expected a duration such as 0s, 90m, 6h, 7d or 2w, got '${text}'`);
  return Math.round(Number(m[1]) * DURATION_UNITS[m[2]]);
}
function count(name, text) {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < 1) throw new InputError(name, `expected a whole number of at least 1, got '${text}'`);
  return n;
}
function pattern(text) {
  try {
    return new RegExp(text);
  } catch {
    throw new InputError("pin", `expected a JavaScript regular expression matched against store paths, got '${text}'`);
  }
}
function parseGcOptions(t) {
  const opts = {
    pins: (t.pin ?? []).map(pattern),
    graceMs: parseDuration("grace", t.grace ?? DEFAULT_GRACE),
    dryRun: t["dry-run"] ?? false,
    force: t.force ?? false
  };
  if (t["keep-days"] !== void 0) opts.keepDays = count("keep-days", t["keep-days"]);
  if (t["keep-jobs"] !== void 0) opts.keepJobs = count("keep-jobs", t["keep-jobs"]);
  if (opts.keepDays === void 0 && opts.keepJobs === void 0) opts.keepDays = DEFAULT_KEEP_DAYS;
  if (t["max-size"] !== void 0) opts.maxSize = parseSize("max-size", t["max-size"]);
  return opts;
}

// src/gc/plan.ts
var DAY_MS = 864e5;
function closureOf(roots, narinfos) {
  const seen = /* @__PURE__ */ new Set();
  const stack = [...roots].filter((h) => narinfos.has(h));
  for (const h of stack) seen.add(h);
  while (stack.length > 0) {
    const node = narinfos.get(stack.pop());
    for (const r of node?.references ?? []) {
      if (!seen.has(r) && narinfos.has(r)) {
        seen.add(r);
        stack.push(r);
      }
    }
  }
  return seen;
}
function keptJobsOf(input, opts) {
  const byTime = [...input.jobs.values()].sort((a, b) => b.time - a.time || a.job.localeCompare(b.job));
  const kept = /* @__PURE__ */ new Set();
  if (opts.keepDays !== void 0) {
    for (const j of byTime) if (j.time >= input.now - opts.keepDays * DAY_MS) kept.add(j.job);
  }
  if (opts.keepJobs !== void 0) for (const j of byTime.slice(0, opts.keepJobs)) kept.add(j.job);
  return byTime.filter((j) => kept.has(j.job)).map((j) => j.job);
}
function sizeOf(survivors, input) {
  let bytes = 0;
  const nars = /* @__PURE__ */ new Set();
  for (const h of survivors) {
    const n = input.narinfos.get(h);
    if (!n) continue;
    bytes += n.obj.size + (input.listings.get(h)?.size ?? 0);
    if (n.narKey !== void 0 && !nars.has(n.narKey)) {
      nars.add(n.narKey);
      bytes += input.nars.get(n.narKey)?.size ?? 0;
    }
  }
  return bytes;
}
function levels(doomed, narinfos) {
  const referrers = /* @__PURE__ */ new Map();
  for (const h of doomed) referrers.set(h, 0);
  for (const h of doomed) for (const r of narinfos.get(h)?.references ?? []) if (r !== h && doomed.has(r)) referrers.set(r, (referrers.get(r) ?? 0) + 1);
  const out = [];
  let level = [...doomed].filter((h) => referrers.get(h) === 0);
  const placed = /* @__PURE__ */ new Set();
  while (level.length > 0) {
    out.push(level.sort());
    for (const h of level) placed.add(h);
    const next = [];
    for (const h of level) {
      for (const r of narinfos.get(h)?.references ?? []) {
        if (r === h || !doomed.has(r)) continue;
        const left = referrers.get(r) - 1;
        referrers.set(r, left);
        if (left === 0) next.push(r);
      }
    }
    level = next;
  }
  const rest = [...doomed].filter((h) => !placed.has(h));
  if (rest.length > 0) out.push(rest.sort());
  return out;
}
function planGc(input, opts) {
  const cutoffMs = input.now - opts.graceMs;
  const young = [...input.narinfos.values()].filter((n) => n.obj.mtimeMs >= cutoffMs || n.storePath === void 0).map((n) => n.hash);
  const pinned = [...input.narinfos.values()].filter((n) => n.storePath !== void 0 && opts.pins.some((p) => p.test(n.storePath))).map((n) => n.hash);
  const keptJobs = keptJobsOf(input, opts);
  const fixed = [...young, ...pinned];
  const rootsOf = (jobs2) => [...fixed, ...jobs2.flatMap((j) => [...input.jobs.get(j)?.hashes ?? []])];
  if (input.jobs.size === 0) {
    const all = new Set(input.narinfos.keys());
    return {
      cutoffMs,
      keptJobs,
      survivors: all,
      narinfoLevels: [],
      listings: [],
      nars: [],
      records: [],
      keptBytes: sizeOf(all, input),
      nothingBecause: "the cache holds no job records yet (it was filled before this version, or by other tools), so nothing shows what jobs still use: nothing is deleted"
    };
  }
  let jobs = keptJobs;
  let survivors = closureOf(rootsOf(jobs), input.narinfos);
  let keptBytes = sizeOf(survivors, input);
  if (opts.maxSize !== void 0) {
    while (keptBytes > opts.maxSize && jobs.length > 0) {
      jobs = jobs.slice(0, -1);
      survivors = closureOf(rootsOf(jobs), input.narinfos);
      keptBytes = sizeOf(survivors, input);
    }
  }
  const doomed = new Set([...input.narinfos.keys()].filter((h) => !survivors.has(h)));
  const survivingNars = /* @__PURE__ */ new Set();
  for (const h of survivors) {
    const k = input.narinfos.get(h)?.narKey;
    if (k !== void 0) survivingNars.add(k);
  }
  const nars = [...input.nars.values()].filter((o) => !survivingNars.has(o.key) && o.mtimeMs < cutoffMs).map((o) => o.key);
  const listings = [...input.listings.entries()].filter(([h, o]) => doomed.has(h) || !input.narinfos.has(h) && o.mtimeMs < cutoffMs).map(([, o]) => o.key);
  const keptSet = new Set(jobs);
  const records = [];
  for (const j of input.jobs.values()) {
    const keepsSomething = keptSet.has(j.job) && [...j.hashes].some((h) => survivors.has(h));
    if (keepsSomething || j.parts.some((p) => p.mtimeMs >= cutoffMs)) continue;
    records.push(...j.parts.map((p) => p.key));
  }
  return { cutoffMs, keptJobs: jobs, survivors, narinfoLevels: levels(doomed, input.narinfos), listings, nars: nars.sort(), records: records.sort(), keptBytes };
}

// src/gc/young-generation.ts
import { setFlagsFromString as setFlagsFromString2 } from "node:v8";
function boundYoungGeneration() {
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ""].some((a) => /semi[-_]space[-_]growth[-_]factor/.test(a));
  if (!given) setFlagsFromString2("--semi-space-growth-factor=1");
}

// src/gc/run.ts
var NARINFO = /^([0-9a-df-np-sv-z]{32})\.narinfo$/;
var LISTING = /^([0-9a-df-np-sv-z]{32})\.ls$/;
var READ_PARALLEL = 32;
var PROGRESS_MS = 5e3;
function progress() {
  let last = Date.now();
  return (line) => {
    if (Date.now() - last < PROGRESS_MS) return;
    last = Date.now();
    log.info(line());
  };
}
async function eachParallel(items, parallel, work) {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, lane));
}
var detached = (s) => Buffer.from(s, "utf8").toString("utf8");
function hashOfPath(path) {
  return /\/([0-9a-df-np-sv-z]{32})-[^/]+$/.exec(path)?.[1];
}
async function listCache(cache) {
  const out = { narinfos: [], listings: /* @__PURE__ */ new Map(), nars: /* @__PURE__ */ new Map(), records: [] };
  const tell = progress();
  let n = 0;
  for await (const page of cache.pages()) {
    for (const o of page) {
      const ls = LISTING.exec(o.key);
      if (NARINFO.test(o.key)) out.narinfos.push(o);
      else if (ls) out.listings.set(ls[1], o);
      else if (o.key.startsWith("nar/")) out.nars.set(o.key, o);
      else if (o.key.startsWith(RECORD_PREFIX) && jobOfKey(o.key) !== void 0) out.records.push(o);
    }
    n += page.length;
    tell(() => `Listed ${n} objects of ${cache.displayUrl}\u2026`);
  }
  return out;
}
async function readJobs(cache, records, opts) {
  const jobs = /* @__PURE__ */ new Map();
  const problems = [];
  await eachParallel(records, READ_PARALLEL, async (o) => {
    const text = await cache.read(o.key);
    if (text === void 0) return;
    try {
      const part = parseRecordPart(o.key, text);
      const job = jobs.get(part.job) ?? { job: part.job, time: 0, hashes: /* @__PURE__ */ new Set(), parts: [] };
      job.time = Math.max(job.time, part.time);
      for (const p of [...part.pushed, ...part.used]) {
        const h = hashOfPath(p);
        if (h !== void 0) job.hashes.add(h);
      }
      job.parts.push(o);
      jobs.set(part.job, job);
    } catch (e) {
      if (!(e instanceof RecordError)) throw e;
      problems.push(e);
    }
  });
  const newer = problems.find((p) => p.kind === "newer");
  if (newer) throw new GcStopped(newer.message);
  if (problems.length > 0) {
    const first = problems[0];
    if (!opts.force) {
      throw new GcStopped(`${problems.length} damaged job record(s), first: ${first.message}; nothing was deleted (--force skips them, and may then delete what they keep)`);
    }
    log.warning(`Skipping ${problems.length} damaged job record(s) (--force), first: ${first.message}; they are left in place.`);
  }
  return jobs;
}
var GcStopped = class extends Error {
};
async function readNarinfos(cache, listed, nars) {
  const nodes = /* @__PURE__ */ new Map();
  let unknownNar = false;
  const canonical = /* @__PURE__ */ new Map();
  for (const o of listed) canonical.set(o.key.slice(0, 32), o.key.slice(0, 32));
  const within = (hashes, self) => {
    const out = [];
    for (const h of hashes) {
      const c = h === void 0 || h === self ? void 0 : canonical.get(h);
      if (c !== void 0) out.push(c);
    }
    return out;
  };
  const tell = progress();
  let done = 0;
  let unreadable = 0;
  await eachParallel(listed, READ_PARALLEL, async (o) => {
    const hash2 = NARINFO.exec(o.key)[1];
    const text = await cache.read(o.key);
    done++;
    tell(() => `Read ${done} of ${listed.length} narinfos\u2026`);
    if (text === void 0) return;
    try {
      const info = parseNarInfo(text);
      const self = canonical.get(hash2) ?? hash2;
      nodes.set(self, { hash: self, obj: o, storePath: detached(info.storePath), narKey: nars.get(info.url)?.key ?? detached(info.url), references: within(info.references.map(hashOfPath), self) });
    } catch {
      unreadable++;
      const url = /^URL:\s*(\S+)\s*$/m.exec(text)?.[1];
      const refs = /^References:(.*)$/m.exec(text)?.[1] ?? "";
      const references = within(refs.split(" ").map((r) => /^([0-9a-df-np-sv-z]{32})-/.exec(r.trim())?.[1]), hash2);
      nodes.set(hash2, { hash: hash2, obj: o, narKey: url === void 0 ? void 0 : detached(url), references });
      if (url === void 0) unknownNar = true;
    }
  });
  if (unreadable > 0) log.warning(`${unreadable} narinfo(s) could not be parsed; they are kept, with what they name.`);
  return { nodes, unknownNar };
}
function batches2(items, size) {
  const out = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
async function collectGarbage(cache, opts, now = Date.now) {
  const started = now();
  boundYoungGeneration();
  log.info(`Collecting ${cache.displayUrl}${opts.dryRun ? " (dry run: nothing is deleted)" : ""}\u2026`);
  const listed = await listCache(cache);
  const jobs = await readJobs(cache, listed.records, opts);
  const { nodes: narinfos, unknownNar } = await readNarinfos(cache, listed.narinfos, listed.nars);
  const input = { now: started, narinfos, listings: listed.listings, nars: listed.nars, jobs };
  const plan = planGc(input, opts);
  if (unknownNar && plan.nars.length > 0) {
    log.warning(`A narinfo without a readable URL line could name any NAR: no NAR is deleted in this run.`);
    plan.nars = [];
  }
  const doomed = plan.narinfoLevels.flat();
  log.info(
    `${jobs.size} job(s) on record, ${plan.keptJobs.length} kept; ${narinfos.size} narinfos: ${plan.survivors.size} kept, ${doomed.length} to delete; ${plan.nars.length} NAR(s) to delete.`
  );
  const sizeOf2 = (keys, from) => keys.reduce((a, k) => a + (from.get(k)?.size ?? 0), 0);
  const byKey = new Map([...listed.listings.values(), ...listed.records, ...listed.narinfos].map((o) => [o.key, o]));
  const result = {
    cache: cache.displayUrl,
    dryRun: opts.dryRun,
    jobs: { read: jobs.size, kept: plan.keptJobs.length },
    narinfos: { listed: narinfos.size, kept: plan.survivors.size, deleted: doomed.length },
    nars: { listed: listed.nars.size, deleted: plan.nars.length },
    records: { deleted: new Set(plan.records.map(jobOfKey)).size },
    listings: { deleted: plan.listings.length },
    refreshed: 0,
    bytesFreed: 0,
    keptBytes: plan.keptBytes,
    note: plan.nothingBecause,
    requests: 0,
    seconds: 0,
    deletedPaths: doomed.map((h) => narinfos.get(h)?.storePath ?? h).sort()
  };
  if (opts.dryRun) {
    result.bytesFreed = doomed.reduce((a, h) => a + (narinfos.get(h)?.obj.size ?? 0), 0) + sizeOf2(plan.nars, listed.nars) + sizeOf2([...plan.listings, ...plan.records], byKey);
  } else {
    try {
      await execute(cache, plan, input, result, byKey);
    } catch (e) {
      if (e instanceof AnotherGcDeleting) throw new GcStopped(e.message);
      throw e;
    } finally {
      await cache.finish?.();
    }
  }
  result.requests = cache.requests;
  result.seconds = (now() - started) / 1e3;
  return result;
}
async function execute(cache, plan, input, result, byKey) {
  const { narinfos } = input;
  const tell = progress();
  const saved = new Set(plan.survivors);
  const deleted = /* @__PURE__ */ new Set();
  let freed = 0;
  for (const level of plan.narinfoLevels) {
    for (const batch of batches2(level.filter((h) => !saved.has(h)), DELETE_BATCH)) {
      const r = await cache.remove(batch.map((h) => `${h}.narinfo`), plan.cutoffMs);
      for (const k of r.deleted) {
        const h = k.slice(0, 32);
        deleted.add(h);
        freed += narinfos.get(h)?.obj.size ?? 0;
      }
      for (const h of closureOf(r.fresh.map((k) => k.slice(0, 32)), narinfos)) saved.add(h);
      result.refreshed += r.fresh.length;
      tell(() => `Deleted ${deleted.size} of ${plan.narinfoLevels.flat().length} narinfos\u2026`);
    }
  }
  const savedNars = new Set([...saved].map((h) => narinfos.get(h)?.narKey).filter((k) => k !== void 0));
  const later = /* @__PURE__ */ new Set();
  if (!cache.removesAtomically && plan.cutoffMs < input.now) {
    for (const h of deleted) {
      const k = narinfos.get(h)?.narKey;
      if (k !== void 0) later.add(k);
    }
  }
  let nars = 0;
  for (const batch of batches2(plan.nars.filter((k) => !savedNars.has(k) && !later.has(k)), DELETE_BATCH)) {
    const r = await cache.remove(batch, plan.cutoffMs);
    nars += r.deleted.length;
    freed += r.deleted.reduce((a, k) => a + (input.nars.get(k)?.size ?? 0), 0);
    result.refreshed += r.fresh.length;
    tell(() => `Deleted ${nars} of ${plan.nars.length} NARs\u2026`);
  }
  const listings = plan.listings.filter((k) => !saved.has(k.slice(0, 32)));
  const rest = [...listings, ...plan.records];
  let removedRest = 0;
  for (const batch of batches2(rest, DELETE_BATCH)) {
    const r = await cache.remove(batch, plan.cutoffMs);
    removedRest += r.deleted.length;
    freed += r.deleted.reduce((a, k) => a + (byKey.get(k)?.size ?? 0), 0);
  }
  result.narinfos.deleted = deleted.size;
  result.narinfos.kept = narinfos.size - deleted.size;
  result.nars.deleted = nars;
  result.bytesFreed = freed;
  result.deletedPaths = [...deleted].map((h) => narinfos.get(h)?.storePath ?? h).sort();
  if (removedRest < rest.length) log.info(`${rest.length - removedRest} listing or record file(s) were modified meanwhile and stay.`);
  if (later.size > 0) log.info(`${later.size} NAR(s) of the narinfos deleted now are left for the next run (docs/gc.md, "Pushes and a GC at the same time").`);
  if (result.refreshed > 0) log.info(`${result.refreshed} object(s) were touched by a push since the listing and stay, with their closures.`);
  log.info(`Deleted ${deleted.size} narinfo(s) and ${nars} NAR(s), ${formatBytes(freed)}.`);
}

// src/gc/summary.ts
function gcLines(r) {
  const verb = r.dryRun ? "would delete" : "deleted";
  const lines = [
    `gc of ${r.cache}${r.dryRun ? " (dry run)" : ""}: ${r.jobs.read} job record(s) read, ${r.jobs.kept} kept; narinfos: ${r.narinfos.kept} kept, ${r.narinfos.deleted} ${verb}; NARs: ${r.nars.deleted} of ${r.nars.listed} ${verb}; ${formatBytes(r.bytesFreed)} ${r.dryRun ? "would be freed" : "freed"}, ${formatBytes(r.keptBytes)} kept; ${r.requests} requests in ${r.seconds.toFixed(1)} s.`
  ];
  if (r.note) lines.push(`Nothing deleted: ${r.note}.`);
  if (r.refreshed > 0) lines.push(`${r.refreshed} object(s) were in use by a push meanwhile and stay.`);
  return lines;
}
function gcMarkdown(r) {
  const verb = r.dryRun ? "Would delete" : "Deleted";
  const rows = [
    ["Job records read", `${r.jobs.read} (${r.jobs.kept} kept, ${r.records.deleted} removed)`],
    ["Narinfos kept", String(r.narinfos.kept)],
    [`Narinfos ${verb.toLowerCase()}`, String(r.narinfos.deleted)],
    [`NARs ${verb.toLowerCase()}`, `${r.nars.deleted} of ${r.nars.listed}`],
    [r.dryRun ? "Bytes that would be freed" : "Bytes freed", formatBytes(r.bytesFreed)],
    ["Bytes kept", formatBytes(r.keptBytes)],
    ["Requests", String(r.requests)],
    ["Time", `${r.seconds.toFixed(1)} s`]
  ];
  let md = `## Nix build-time cache: GC of ${r.cache}${r.dryRun ? " (dry run)" : ""}

| | |
|---|---|
`;
  md += rows.map(([k, v]) => `| ${k} | ${v} |`).join("\n");
  md += "\n";
  if (r.note) md += `
Nothing was deleted: ${r.note}.
`;
  if (r.refreshed > 0) md += `
${r.refreshed} object(s) were in use by a push meanwhile and stay.
`;
  return md;
}

export {
  GcUsageError,
  parseGcArgs,
  parseGcOptions,
  GcStopped,
  collectGarbage,
  gcLines,
  gcMarkdown,
  loadMainState,
  beginJob,
  finishJob
};
