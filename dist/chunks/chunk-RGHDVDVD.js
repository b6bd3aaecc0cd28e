#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  credentialsFor,
  execCapture,
  isNix23,
  loadNetrc,
  netrcPath,
  nixEnv,
  nixVersion,
  parseNetrc,
  runNix
} from "./chunk-62EGI3AM.js";
import {
  host,
  log
} from "./chunk-QUJN3JQ2.js";

// src/config/url-credentials.ts
var USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i;
function withoutCredentials(url) {
  return url.replace(USERINFO, "$1");
}
function displayUrl(url) {
  return withoutCredentials(url).replace(/\?.*$/, "");
}
function urlSecrets(url) {
  const m = USERINFO.exec(url.trim());
  if (!m) return [];
  const info = m[2] ?? "";
  const colon = info.indexOf(":");
  const password = colon >= 0 ? info.slice(colon + 1) : "";
  if (password === "") return [];
  let decoded = password;
  try {
    decoded = decodeURIComponent(password);
  } catch {
  }
  return [.../* @__PURE__ */ new Set([info, password, decoded])];
}
function urlCredentials(url) {
  let u;
  try {
    u = new URL(url);
  } catch {
    return void 0;
  }
  if (u.protocol !== "http:" && u.protocol !== "https:" || u.username === "" && u.password === "") return void 0;
  return { host: u.hostname, login: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
}

// src/pull/configure.ts
import { join as join5 } from "node:path";

// src/config/s3-uri.ts
var S3_URI_SYNTAX = "s3://bucket?region=\u2026&endpoint=\u2026&profile=\u2026&scheme=\u2026";
var S3UriError = class extends Error {
  constructor(message) {
    super(message);
    this.name = "S3UriError";
  }
};
var BUCKET_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
function endpointUrl(endpoint, scheme) {
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint);
  let url;
  try {
    url = new URL(hasScheme ? endpoint : `${scheme ?? "https"}://${endpoint}`);
  } catch {
    throw new S3UriError("endpoint= is neither a host name nor a URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new S3UriError(`endpoint= must be an http:// or https:// URL, not ${url.protocol}//`);
  }
  if (url.username !== "" || url.password !== "") {
    throw new S3UriError("endpoint= must not contain credentials; they come from the AWS credential chain");
  }
  const protocol = scheme ? `${scheme}:` : url.protocol;
  const path = url.pathname.replace(/\/+$/, "");
  return `${protocol}//${url.host}${path}`;
}
function parseS3Uri(uri) {
  if (!uri.startsWith("s3://")) throw new S3UriError("an S3 cache URI starts with s3://");
  const q = uri.indexOf("?");
  const authority = (q < 0 ? uri.slice(5) : uri.slice(5, q)).replace(/\/$/, "");
  const params = new URLSearchParams(q < 0 ? "" : uri.slice(q + 1));
  if (authority.includes("@")) {
    throw new S3UriError("s3:// URIs carry no credentials; they come from the AWS credential chain");
  }
  if (authority.includes("/")) {
    throw new S3UriError("Nix's s3:// stores have no key prefix; use a bucket of its own (s3://bucket)");
  }
  if (!BUCKET_RE.test(authority)) throw new S3UriError(`'${authority}' is not a bucket name`);
  const param = (name) => {
    const v = params.get(name);
    return v === null || v.trim() === "" ? void 0 : v.trim();
  };
  const scheme = param("scheme")?.toLowerCase();
  if (scheme !== void 0 && scheme !== "http" && scheme !== "https") {
    throw new S3UriError(`scheme= must be http or https, not '${scheme}'`);
  }
  const region = param("region") ?? "us-east-1";
  const given = param("endpoint");
  let endpoint;
  let forcePathStyle = false;
  if (given !== void 0) {
    endpoint = endpointUrl(given, scheme);
    forcePathStyle = true;
  } else if (scheme === "http") {
    endpoint = `http://s3.${region}.amazonaws.com`;
  }
  const location = { bucket: authority, region, forcePathStyle };
  if (endpoint !== void 0) location.endpoint = endpoint;
  const profile = param("profile");
  if (profile !== void 0) location.profile = profile;
  const compression = param("compression");
  if (compression !== void 0) location.compression = compression;
  return location;
}
function bucketHttpUrl(location) {
  const { bucket, region, endpoint, forcePathStyle } = location;
  if (endpoint === void 0) return `https://${bucket}.s3.${region}.amazonaws.com`;
  if (forcePathStyle) return `${endpoint}/${bucket}`;
  const url = new URL(endpoint);
  return `${url.protocol}//${bucket}.${url.host}${url.pathname.replace(/\/+$/, "")}`;
}

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

// src/nix/store-location.ts
import { accessSync, constants, existsSync } from "node:fs";
import { join, resolve as resolvePath } from "node:path";
function parseNixConfig(text) {
  const settings = /* @__PURE__ */ new Map();
  for (const line of text.split("\n")) {
    const i = line.indexOf(" = ");
    if (i > 0) settings.set(line.slice(0, i).trim(), line.slice(i + 3).trim());
  }
  return settings;
}
function percentDecode(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
function parseParams(query) {
  const params = /* @__PURE__ */ new Map();
  for (const part of query.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    if (eq > 0) params.set(percentDecode(part.slice(0, eq)), percentDecode(part.slice(eq + 1)));
  }
  return params;
}
function parseStoreUri(uri) {
  const q = uri.indexOf("?");
  const base = q >= 0 ? uri.slice(0, q) : uri;
  const params = parseParams(q >= 0 ? uri.slice(q + 1) : "");
  if (base === "" || base === "auto") return { kind: "auto", params };
  if (base === "daemon") return { kind: "daemon", params };
  if (base === "local") return { kind: "local", params };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/.exec(base);
  if (scheme) {
    if (scheme[1] === "unix") return { kind: "daemon", params };
    if (scheme[1] === "local") return { kind: "local", root: scheme[2] ? percentDecode(scheme[2]) : void 0, params };
    return { kind: "other", params };
  }
  if (base.includes("/")) return { kind: "local", root: resolvePath(base), params };
  return { kind: "other", params };
}
function defaultChrootRoot(env) {
  const data = env.XDG_DATA_HOME || (env.HOME ? join(env.HOME, ".local/share") : void 0);
  return data ? join(data, "nix/root") : void 0;
}
function resolveStore(uri, env = {}, probe, platform = process.platform) {
  const effective = uri === "" || uri === "auto" ? env.NIX_REMOTE || "auto" : uri;
  const parsed = parseStoreUri(effective);
  const { params } = parsed;
  const storeDir = (params.get("store") || env.NIX_STORE_DIR || "/nix/store").replace(/\/+$/, "");
  let root = params.get("root") || parsed.root;
  let viaDaemon = parsed.kind === "daemon";
  if (parsed.kind === "auto" && probe && !root) {
    const stateDir2 = params.get("state") || env.NIX_STATE_DIR || "/nix/var/nix";
    const chroot = defaultChrootRoot(env);
    if (probe.writable(stateDir2)) viaDaemon = false;
    else if (probe.exists(join(stateDir2, "daemon-socket/socket"))) viaDaemon = true;
    else if (platform === "linux" && !probe.exists(storeDir) && chroot && probe.exists(join(chroot, "nix/store"))) root = chroot;
  }
  const stateDir = params.get("state") || (root ? join(root, "nix/var/nix") : env.NIX_STATE_DIR || "/nix/var/nix");
  return {
    uri: effective,
    storeDir,
    realStoreDir: params.get("real") || (root ? join(root, "nix/store") : storeDir),
    dbPath: join(stateDir, "db/db.sqlite"),
    viaDaemon
  };
}
var config;
function nixConfig() {
  config ??= showConfig(process.env);
  return config;
}
var configCommand;
async function showConfig(env) {
  const names = [["config", "show"], ["show-config"]];
  for (const args of configCommand ? [configCommand, ...names.filter((n) => n !== configCommand)] : names) {
    const r = await runNix("nix", args, { allowFailure: true, env });
    if (r.exitCode === 0) {
      configCommand = args;
      return parseNixConfig(r.stdout);
    }
  }
  return /* @__PURE__ */ new Map();
}
var systemConfig;
function daemonConfig() {
  const env = { ...process.env, NIX_USER_CONF_FILES: "" };
  delete env.NIX_CONFIG;
  systemConfig ??= showConfig(env);
  return systemConfig;
}
async function locateStore() {
  return resolveStore((await nixConfig()).get("store") ?? "", process.env, fsProbe);
}
var fsProbe = {
  writable(dir) {
    try {
      accessSync(dir, constants.W_OK);
      return true;
    } catch {
      return false;
    }
  },
  exists: (path) => existsSync(path)
};

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
import { join as join2 } from "node:path";
import { existsSync as existsSync2 } from "node:fs";
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
  return join2(confDir2, isDeterminate ? "nix.custom.conf" : "nix.conf");
}
function restartCommand(platform, isDeterminate) {
  if (platform === "linux") return existsSync2("/run/systemd/system") ? ["systemctl", "restart", "nix-daemon"] : void 0;
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
import { randomBytes } from "node:crypto";
import { chmod, mkdir, rm, writeFile } from "node:fs/promises";
import { join as join3 } from "node:path";
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
  const dir = join3(host().tempDir, "nix-buildtime-cache");
  await mkdir(dir, { recursive: true, mode: 448 });
  const file = join3(dir, `netrc-${randomBytes(6).toString("hex")}`);
  await writeFile(file, renderNetrc(entries), { mode: 384, flag: "wx" });
  await chmod(file, 384);
  host().saveState(STATE_KEY, file);
  return file;
}
async function removePullNetrc() {
  const file = host().getState(STATE_KEY);
  if (file) await rm(file, { force: true });
}

// src/pull/daemon-credentials.ts
import { readFile as readFile2 } from "node:fs/promises";
import { join as join4 } from "node:path";
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
  const target = join4(confDir(), FILE_NAME);
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
  const join6 = (current, add) => {
    const words2 = (current ?? "").split(/\s+/).filter((w) => w !== "");
    return [...words2, ...add.filter((a) => !words2.includes(a))].join(" ");
  };
  const lines = [`substituters = ${join6(settings.get("substituters"), [url])}`];
  if (keys.length > 0) lines.push(`trusted-public-keys = ${join6(settings.get("trusted-public-keys"), keys)}`);
  return `Later steps do not substitute from ${url}: Nix 2.3 ignores NIX_CONFIG, so pulling needs the machine's nix.conf. To pull, add these lines to ${confFile} (and restart nix-daemon on a multi-user install):
${lines.join("\n")}
Pushing works as usual.`;
}
async function configurePull(inputs, store, localUrl) {
  const url = localUrl ?? substituterUrl(inputs);
  if (!inputs.pull || !url) return;
  if (inputs.cache.kind === "s3" && !await nixCanReadS3(inputs.cache)) return;
  const keys = trustedKeys(inputs);
  if (isNix23(await nixVersion())) {
    log.warning(
      localUrl ? "Later steps do not substitute from the restored GitHub Actions cache: Nix 2.3 ignores NIX_CONFIG, and a per-job directory does not belong in nix.conf. Pushing works as usual." : nix23PullMessage(url, keys, await nixConfig(), join5(process.env.NIX_CONF_DIR || "/etc/nix", "nix.conf"))
    );
    return;
  }
  const trust = await detectTrust(store);
  log.info(`Nix trust: ${trust.level} (${trust.reason}).`);
  if (trust.level === "untrusted") {
    const allowed = daemonAcceptsSubstituter(url, trust.trustedSubstituters, trust.structuralSubstituters);
    if (allowed) {
      const missing = keys.filter((k) => !trust.trustedPublicKeys.includes(k));
      if (missing.length > 0) {
        log.warning(
          `${url} is in trusted-substituters, but the daemon does not trust ${missing.map((k) => k.split(":")[0]).join(", ")}: add the key to trusted-public-keys in nix.conf, or signed paths from the cache will be refused.`
        );
      }
    } else if (await hasPasswordlessSudo()) {
      log.info(`Untrusted user with passwordless sudo: ${await trustSystemWide(url, keys, await isDeterminateNix())}.`);
    } else {
      log.warning(
        `Pulls from ${url} are disabled: ${trust.reason}, and the Nix daemon ignores substituters an untrusted user adds. Add the cache to trusted-substituters (and its key to trusted-public-keys) in nix.conf, or the user to trusted-users. Pushing still works.`
      );
      return;
    }
  }
  const netrcFile = localUrl === void 0 && inputs.cache.kind === "http" ? await pullCredentials(inputs.cache.url, inputs, trust.level === "untrusted") : void 0;
  const value = appendNixConfig(process.env.NIX_CONFIG, pullSettings(url, keys, netrcFile));
  host().exportVariable("NIX_CONFIG", value);
  log.info(`Later steps substitute from ${url}${keys.length ? ` (trusting ${keys.map((k) => k.split(":")[0]).join(", ")})` : ""}.`);
  if (keys.length === 0 && !localUrl) {
    log.warning("No public-keys or secret-key given: Nix will refuse unsigned paths from the cache unless require-sigs is off.");
  }
}
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

export {
  withoutCredentials,
  displayUrl,
  urlSecrets,
  S3_URI_SYNTAX,
  S3UriError,
  parseS3Uri,
  locateStore,
  isDeterminateNix,
  removePullNetrc,
  takeBackDaemonCredentials,
  configurePull
};
