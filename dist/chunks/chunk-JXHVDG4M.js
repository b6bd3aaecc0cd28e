#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  S3UriError,
  S3_URI_SYNTAX,
  configurePull,
  displayUrl,
  isDeterminateNix,
  locateStore,
  parseS3Uri,
  removePullNetrc,
  takeBackDaemonCredentials,
  urlSecrets,
  withoutCredentials
} from "./chunk-XQI4VNZ6.js";
import {
  collectJobFacts,
  saveSnapshot,
  selectAndPush,
  takeSnapshot
} from "./chunk-PK56DQ3U.js";
import {
  FileBackend,
  host,
  log,
  parseSecretKey,
  renderSummary
} from "./chunk-LYX5VPN6.js";

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
      throw new InputError("cache", `'${withoutCredentials(value)}' is not a valid URL; ${accepts}`);
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
    maxSize: parseSize("max-size", raw("max-size") || "4G")
  };
}
function readInputs(raw) {
  for (const secret of ["secret-key", "auth-header"]) {
    const v = raw(secret);
    if (v) host().setSecret(v);
  }
  const secretText = raw("secret-key");
  if (secretText.includes(":")) host().setSecret(secretText.slice(secretText.indexOf(":") + 1));
  for (const s of urlSecrets(raw("cache"))) host().setSecret(s);
  const header2 = raw("auth-header");
  if (header2.includes(":")) host().setSecret(header2.slice(header2.indexOf(":") + 1).trim());
  return parseInputs(raw);
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
      return { snapshotFile: s.snapshotFile, method: s.method };
    }
  } catch {
  }
  return void 0;
}

// src/job.ts
import { mkdir, rm } from "node:fs/promises";
import { join as join2 } from "node:path";
import { randomBytes } from "node:crypto";

// src/report.ts
import { writeFile } from "node:fs/promises";
import { join } from "node:path";

// src/origins.ts
function classifyOrigins(infos) {
  const built = /* @__PURE__ */ new Set();
  const substituted = /* @__PURE__ */ new Map();
  for (const info of infos) {
    if (info.ultimate) {
      built.add(info.deriver ?? info.path);
    } else if (info.signatures.length > 0) {
      const keys = [...new Set(info.signatures.map((s) => s.slice(0, s.indexOf(":"))))].sort().join(", ");
      const list2 = substituted.get(keys) ?? [];
      list2.push(info.path);
      substituted.set(keys, list2);
    }
  }
  return { builtLocally: [...built].sort(), substituted };
}

// src/report.ts
async function report(cache, facts, result, startedAt) {
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
    seconds: (Date.now() - startedAt) / 1e3
  });
  await host().writeSummary(markdown);
  const verb = result.mode === "push" ? "Pushed" : "Selected";
  const count = result.mode === "push" ? pushed.length : result.selection.push.length;
  log.info(`${verb} ${count} paths to ${cache}; ${skippedCount} new paths not pushed.`);
}

// src/job.ts
async function snapshotStore(store) {
  const startedAt = Date.now();
  const snapshot = await takeSnapshot(store);
  const dir = join2(host().tempDir, "nix-buildtime-cache");
  await mkdir(dir, { recursive: true });
  const snapshotFile = join2(dir, `snapshot-${randomBytes(6).toString("hex")}`);
  await saveSnapshot(snapshotFile, snapshot);
  saveMainState({ snapshotFile, method: snapshot.method });
  const source = snapshot.method === "db" ? "Nix database" : "store directory";
  log.info(`Recorded ${snapshot.names.length} store paths (${source}) in ${Date.now() - startedAt} ms.`);
}
async function beginJob(inputs) {
  const store = await locateStore();
  await snapshotStore(store);
  if (inputs.cache.kind === "file") await new FileBackend(inputs.cache.dir).prepare(store.storeDir);
  await configurePull(inputs, store);
  if (inputs.cache.kind === "github-actions") {
    const { restoreGithubActionsCache } = await import("./restore-DKJVQPNM.js");
    await restoreGithubActionsCache(inputs, store);
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
    const store = await locateStore();
    const facts = await collectJobFacts(state, store, inputs);
    const result = inputs.cache.kind === "github-actions" ? await (await import("./save-T444ZKK2.js")).saveToGithubActionsCache(inputs, store, facts) : await selectAndPush(inputs, store, facts);
    await report(displayUrl(inputs.cache.url), facts, result, startedAt);
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

export {
  reportFailure,
  InputError,
  readInputs,
  loadMainState,
  beginJob,
  finishJob
};
