#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  CONTENT_TYPES,
  cacheInfoText,
  host,
  limiter,
  log,
  readCacheInfoStoreDir
} from "./chunk-RCHRBDIU.js";

// src/url-credentials.ts
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

// src/fs-errors.ts
var CAUSES = {
  EROFS: "the file system is read-only",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded"
};
function fsErrorCode(e) {
  const code2 = e?.code;
  return typeof code2 === "string" ? code2 : void 0;
}
function describeFsError(e) {
  const code2 = fsErrorCode(e);
  const cause = code2 === void 0 ? void 0 : CAUSES[code2];
  if (cause !== void 0) {
    const where = e.path;
    return `${cause} (${code2}${where ? ` at ${where}` : ""})`;
  }
  return e instanceof Error ? e.message : String(e);
}

// src/pull.ts
import { join as join6 } from "node:path";

// src/backends/s3-uri.ts
var S3_URI_SYNTAX = "s3://bucket?region=\u2026&endpoint=\u2026&profile=\u2026&scheme=\u2026";
var S3UriError = class extends Error {
  constructor(message2) {
    super(message2);
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

// src/exec.ts
import { spawn } from "node:child_process";
function execCapture(command, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    const out = [];
    const err = [];
    child.stdout.on("data", (b) => out.push(b));
    child.stderr.on("data", (b) => err.push(b));
    child.on("error", reject);
    child.stdin.on("error", () => void 0);
    child.on(
      "close",
      (code2, signal) => resolve({
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        exitCode: code2 ?? (signal ? 128 : 1)
      })
    );
    child.stdin.end(opts.input ?? "");
  });
}

// src/nix/cli.ts
var NixCommandError = class extends Error {
  constructor(command, result) {
    const detail = result.stderr.trim().split("\n").slice(-3).join(" | ");
    super(`${command} exited with ${result.exitCode}: ${detail}`);
    this.command = command;
    this.result = result;
  }
  command;
  result;
};
var OUR_SETTINGS = "extra-experimental-features = nix-command";
function nixEnv(base = process.env, extraConfig) {
  const env = {};
  for (const [k, v] of Object.entries(base)) if (v !== void 0) env[k] = v;
  const ours = extraConfig ? `${OUR_SETTINGS}
${extraConfig}` : OUR_SETTINGS;
  env.NIX_CONFIG = base.NIX_CONFIG ? `${base.NIX_CONFIG}
${ours}` : ours;
  return env;
}
async function runNix(command, args, opts = {}) {
  const result = await execCapture(command, args, { env: nixEnv(opts.env ?? process.env, opts.extraConfig), input: opts.input });
  if (result.exitCode !== 0 && !opts.allowFailure) {
    throw new NixCommandError(`${command} ${args.slice(0, 3).join(" ")}`, result);
  }
  return result;
}
function batches(paths, maxBytes = 256 * 1024) {
  const out = [];
  let current = [];
  let size = 0;
  for (const p of paths) {
    if (current.length > 0 && size + p.length + 1 > maxBytes) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(p);
    size += p.length + 1;
  }
  if (current.length > 0) out.push(current);
  return out;
}
function lines(text) {
  return text.split("\n").filter((l) => l.length > 0);
}

// src/nix/store-support.ts
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
async function showConfig(env) {
  for (const args of [["config", "show"], ["show-config"]]) {
    const r = await runNix("nix", args, { allowFailure: true, env });
    if (r.exitCode === 0) return parseNixConfig(r.stdout);
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

// src/nix/version.ts
function parseNixVersion(text) {
  const line = text.trim().split("\n")[0] ?? "";
  const m = /\(([^)]*)\)\s+(\d+)\.(\d+)/.exec(line);
  if (!m) return void 0;
  const implementation = /Lix/.test(m[1]) ? "lix" : /Determinate/.test(m[1]) ? "determinate" : "nix";
  return { implementation, major: Number(m[2]), minor: Number(m[3]), text: line };
}
var upstreamBefore = (v, minor) => v.implementation !== "lix" && v.major === 2 && v.minor < minor;
var isNix23 = (v) => v !== void 0 && upstreamBefore(v, 4);
var drvArgumentMeansOutputs = (v) => !isNix23(v) && upstreamBefore(v, 15);
var cached;
function nixVersion() {
  cached ??= runNix("nix", ["--version"], { allowFailure: true }).then((r) => r.exitCode === 0 ? parseNixVersion(r.stdout) : void 0);
  return cached;
}

// src/trust.ts
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
  const settings = await nixConfig();
  const system = await daemonConfig();
  const version = await nixVersion();
  const uid = process.getuid?.() ?? -1;
  const viaDaemon = store.viaDaemon || store.uri === "auto" && uid !== 0 && !await storeWritable(store);
  const decision = decideTrust({
    uid,
    user: userInfo().username,
    groups: viaDaemon && uid !== 0 ? await groupsOf() : [],
    viaDaemon,
    trustedUsers: words(settings.get("trusted-users")),
    daemonSaysTrusted: viaDaemon && uid !== 0 ? await daemonTrust() : void 0
  });
  return {
    ...decision,
    trustedSubstituters: [...words(system.get("trusted-substituters")), ...words(system.get("substituters"))],
    structuralSubstituters: version !== void 0 && version.implementation !== "lix" && (version.major > 2 || version.minor >= 34),
    trustedPublicKeys: words(settings.get("trusted-public-keys"))
  };
}
async function storeWritable(store) {
  const { access: access2, constants: constants4 } = await import("node:fs/promises");
  try {
    await access2(store.dbPath.replace(/db\.sqlite$/, ""), constants4.W_OK);
    return true;
  } catch {
    return false;
  }
}
async function isDeterminateNix() {
  return (await nixVersion())?.implementation === "determinate";
}

// src/system-config.ts
import { readFile } from "node:fs/promises";
import { join as join2 } from "node:path";
import { existsSync as existsSync2 } from "node:fs";
var BEGIN = "# nix-buildtime-cache: begin (managed by the nix-buildtime-cache action)";
var END = "# nix-buildtime-cache: end";
function withManagedBlock(text, lines2) {
  const start = text.indexOf(BEGIN);
  const end = start >= 0 ? text.indexOf(END, start) : -1;
  let rest = text;
  if (start >= 0 && end >= 0) rest = text.slice(0, start) + text.slice(end + END.length).replace(/^\n/, "");
  if (lines2.length === 0) return rest;
  const sep = rest === "" || rest.endsWith("\n") ? "" : "\n";
  return `${rest}${sep}${BEGIN}
${lines2.join("\n")}
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
  const lines2 = [`extra-trusted-substituters = ${[...subs].join(" ")}`];
  if (pks.size > 0) lines2.push(`extra-trusted-public-keys = ${[...pks].join(" ")}`);
  return [...lines2, ...others];
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

// src/pull-credentials.ts
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile as readFile3, rm, writeFile } from "node:fs/promises";
import { join as join4 } from "node:path";

// src/netrc.ts
import { readFile as readFile2 } from "node:fs/promises";
import { homedir } from "node:os";
import { join as join3 } from "node:path";
var Tokenizer = class {
  constructor(text) {
    this.text = text;
  }
  text;
  pos = 0;
  next() {
    const t = this.text;
    while (this.pos < t.length && /\s/.test(t[this.pos])) this.pos++;
    if (this.pos >= t.length) return void 0;
    if (t[this.pos] === '"') {
      this.pos++;
      let out = "";
      while (this.pos < t.length && t[this.pos] !== '"') {
        let c = t[this.pos++];
        if (c === "\\" && this.pos < t.length) {
          const e = t[this.pos++];
          c = e === "n" ? "\n" : e === "r" ? "\r" : e === "t" ? "	" : e;
        }
        out += c;
      }
      this.pos++;
      return out;
    }
    const start = this.pos;
    while (this.pos < t.length && !/\s/.test(t[this.pos])) this.pos++;
    return t.slice(start, this.pos);
  }
  skipLine() {
    const nl = this.text.indexOf("\n", this.pos);
    this.pos = nl === -1 ? this.text.length : nl + 1;
  }
  /** A macro body runs from the line after `macdef name` up to the first empty line. */
  skipMacroBody() {
    this.skipLine();
    while (this.pos < this.text.length) {
      const nl = this.text.indexOf("\n", this.pos);
      const line = this.text.slice(this.pos, nl === -1 ? void 0 : nl);
      this.pos = nl === -1 ? this.text.length : nl + 1;
      if (line.trim() === "") return;
    }
  }
};
function parseNetrc(text) {
  const entries = [];
  const tok = new Tokenizer(text.replace(/\r\n/g, "\n"));
  let current;
  for (let t = tok.next(); t !== void 0; t = tok.next()) {
    switch (t) {
      case "machine": {
        const machine = tok.next();
        current = machine === void 0 ? void 0 : { machine };
        if (current !== void 0) entries.push(current);
        break;
      }
      case "default":
        current = {};
        entries.push(current);
        break;
      case "login":
      case "password":
      case "account": {
        const value = tok.next();
        if (current !== void 0 && value !== void 0) current[t] = value;
        break;
      }
      case "macdef":
        tok.next();
        tok.skipMacroBody();
        break;
      default:
        if (t.startsWith("#")) tok.skipLine();
    }
  }
  return entries;
}
function credentialsFor(host2, entries) {
  const h = host2.toLowerCase();
  return entries.find((e) => e.machine !== void 0 && e.machine.toLowerCase() === h) ?? entries.find((e) => e.machine === void 0);
}
function netrcPath(file) {
  if (file !== void 0 && file !== "") return file;
  const env = process.env["NETRC"];
  if (env !== void 0 && env !== "") return env;
  return join3(process.env["HOME"] || homedir(), ".netrc");
}
async function loadNetrc(file) {
  let text;
  try {
    text = await readFile2(netrcPath(file), "utf8");
  } catch (e) {
    const code2 = e.code;
    if (code2 === "ENOENT" || code2 === "ENOTDIR") return [];
    throw e;
  }
  return parseNetrc(text);
}

// src/pull-credentials.ts
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
async function readEntries(file) {
  try {
    return parseNetrc(await readFile3(file, "utf8"));
  } catch (e) {
    const code2 = e.code;
    return code2 === "ENOENT" || code2 === "ENOTDIR" ? [] : "unreadable";
  }
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
    const read = await readEntries(src.nixNetrcFile);
    if (read === "unreadable") {
      log.info(`Could not read Nix's netrc-file ${src.nixNetrcFile}; the job's Nix pulls with the cache's credentials and ${userFile} instead.`);
    } else nix = read;
  }
  const url = fromUrl ? [{ machine: fromUrl.host, login: fromUrl.login, password: fromUrl.password }] : [];
  return mergeNetrc(url, user, nix);
}
async function writePullNetrc(entries) {
  const dir = join4(host().tempDir, "nix-buildtime-cache");
  await mkdir(dir, { recursive: true, mode: 448 });
  const file = join4(dir, `netrc-${randomBytes(6).toString("hex")}`);
  await writeFile(file, renderNetrc(entries), { mode: 384, flag: "wx" });
  await chmod(file, 384);
  host().saveState(STATE_KEY, file);
  return file;
}
async function removePullNetrc() {
  const file = host().getState(STATE_KEY);
  if (file) await rm(file, { force: true });
}

// src/daemon-credentials.ts
import { readFile as readFile4 } from "node:fs/promises";
import { join as join5 } from "node:path";
var FILE_NAME = "nix-buildtime-cache.netrc";
var STATE_KEY2 = "nix_buildtime_cache_daemon_netrc";
var confDir = () => process.env.NIX_CONF_DIR || "/etc/nix";
function withNetrcSetting(block, file) {
  const rest = block.filter((l) => !/^netrc-file\s*=/.test(l));
  return file === void 0 ? rest : [...rest, `netrc-file = ${file}`];
}
async function setBlockNetrc(isDeterminate, file) {
  const conf = systemConfigFile(confDir(), isDeterminate);
  const text = await readFile4(conf, "utf8").catch(() => "");
  const next = withManagedBlock(text, withNetrcSetting(managedBlock(text), file));
  if (next === text) return "unchanged";
  if (!await sudo(["tee", conf], next)) throw new Error(`could not write ${conf} with sudo`);
  const restart = restartCommand(process.platform, isDeterminate);
  if (!restart || !await sudo(restart)) return `changed ${conf}, but could not restart the Nix daemon; it takes effect at its next start`;
  return `changed ${conf} and restarted the Nix daemon (${restart.join(" ")})`;
}
async function giveDaemonCredentials(entries, daemonNetrcFile, isDeterminate) {
  const target = join5(confDir(), FILE_NAME);
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

// src/pull.ts
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
  const lines2 = [`extra-substituters = ${url}`];
  if (keys.length > 0) lines2.push(`extra-trusted-public-keys = ${keys.join(" ")}`);
  if (netrcFile !== void 0) lines2.push(`netrc-file = ${netrcFile}`);
  return lines2.join("\n");
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
  const join10 = (current, add) => {
    const words2 = (current ?? "").split(/\s+/).filter((w) => w !== "");
    return [...words2, ...add.filter((a) => !words2.includes(a))].join(" ");
  };
  const lines2 = [`substituters = ${join10(settings.get("substituters"), [url])}`];
  if (keys.length > 0) lines2.push(`trusted-public-keys = ${join10(settings.get("trusted-public-keys"), keys)}`);
  return `Later steps do not substitute from ${url}: Nix 2.3 ignores NIX_CONFIG, so pulling needs the machine's nix.conf. To pull, add these lines to ${confFile} (and restart nix-daemon on a multi-user install):
${lines2.join("\n")}
Pushing works as usual.`;
}
async function configurePull(inputs, store, localUrl) {
  const url = localUrl ?? substituterUrl(inputs);
  if (!inputs.pull || !url) return;
  if (inputs.cache.kind === "s3" && !await nixCanReadS3(inputs.cache)) return;
  const keys = trustedKeys(inputs);
  if (isNix23(await nixVersion())) {
    log.warning(
      localUrl ? "Later steps do not substitute from the restored GitHub Actions cache: Nix 2.3 ignores NIX_CONFIG, and a per-job directory does not belong in nix.conf. Pushing works as usual." : nix23PullMessage(url, keys, await nixConfig(), join6(process.env.NIX_CONF_DIR || "/etc/nix", "nix.conf"))
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
    if (await hasPasswordlessSudo()) {
      log.info(`The Nix daemon does not take credentials from this user; with sudo: ${await giveDaemonCredentials(entries, nixNetrcFile, await isDeterminateNix())}.`);
      return void 0;
    }
    const host2 = new URL(withoutCredentials(cacheUrl)).hostname;
    const theirs = nixNetrcFile ? await loadNetrc(nixNetrcFile).catch(() => void 0) : void 0;
    if (theirs && credentialsFor(host2, theirs)) return void 0;
    log.warning(
      `The Nix daemon pulls from ${withoutCredentials(cacheUrl)} with its own netrc-file (${nixNetrcFile ?? "unset"}), and takes none from an untrusted user: unless that file has credentials for ${host2}, pulls will be refused. Add them there, or add the user to trusted-users. Pushing still works.`
    );
    return void 0;
  }
  const file = await writePullNetrc(entries);
  log.info(`Nix pulls with the credentials in ${file} (0600, removed by the post step).`);
  return file;
}

// src/nix/store-path.ts
var hashPart = (storePath) => {
  const base = storePath.slice(storePath.lastIndexOf("/") + 1);
  return base.slice(0, 32);
};

// src/selection.ts
var SKIP_REASONS = [
  "pre-existing",
  "upstream-signed",
  "already-cached",
  "excluded",
  "unserved-reference",
  "outside-closure",
  "derivation"
];
function emptySkipped() {
  return {
    "pre-existing": [],
    "outside-closure": [],
    derivation: [],
    excluded: [],
    "upstream-signed": [],
    "already-cached": [],
    "unserved-reference": []
  };
}
var keyName = (sig) => sig.slice(0, sig.indexOf(":"));
function reasonFor(path, input) {
  const { policy } = input;
  if (!input.closure.has(path)) return "outside-closure";
  if (!policy.includeDerivations && path.endsWith(".drv")) return "derivation";
  if (policy.exclude.some((re) => re.test(path))) return "excluded";
  const sigs = input.signatures.get(path) ?? [];
  if (sigs.some((s) => policy.skipSignedBy.includes(keyName(s)))) return "upstream-signed";
  return void 0;
}
function selectPaths(input) {
  const skipped = emptySkipped();
  const push = [];
  const fresh = new Set(input.newPaths);
  for (const path of input.newPaths) {
    const reason = reasonFor(path, input);
    if (reason) skipped[reason].push(path);
    else push.push(path);
  }
  for (const path of input.closure) {
    if (fresh.has(path)) continue;
    const reason = input.policy.includePreExisting ? reasonFor(path, input) : "pre-existing";
    if (reason) skipped[reason].push(path);
    else push.push(path);
  }
  return { push, skipped };
}
function withoutCached(selection, cached2) {
  const push = selection.push.filter((p) => !cached2.has(p));
  const already = selection.push.filter((p) => cached2.has(p));
  return { ...selection, push, skipped: { ...selection.skipped, "already-cached": [...selection.skipped["already-cached"], ...already] } };
}
function completeClosure(selection, facts, policy) {
  const push = new Set(selection.push);
  const served = /* @__PURE__ */ new Set([...selection.skipped["already-cached"], ...selection.skipped["upstream-signed"]]);
  const excluded = new Set(selection.skipped.excluded);
  const added = [];
  const unservable = /* @__PURE__ */ new Set();
  const unserved = [];
  const lookups = { infos: [], cache: [] };
  const seen = new Set(selection.push);
  const queue = [...selection.push];
  for (let p = queue.shift(); p !== void 0; p = queue.shift()) {
    const info = facts.infos.get(p);
    if (!info) {
      if (!facts.missing.has(p)) lookups.infos.push(p);
      continue;
    }
    for (const r of info.references) {
      if (r === p || push.has(r) || served.has(r)) continue;
      if (excluded.has(r) || policy.exclude.some((re) => re.test(r)) || facts.missing.has(r)) {
        unservable.add(r);
        unserved.push({ path: r, referrer: p });
        continue;
      }
      if (seen.has(r)) continue;
      seen.add(r);
      const refInfo = facts.infos.get(r);
      if (!refInfo) {
        lookups.infos.push(r);
        continue;
      }
      if (refInfo.signatures.some((s) => policy.skipSignedBy.includes(keyName(s)))) continue;
      const cached2 = facts.cached.get(r);
      if (cached2 === void 0) lookups.cache.push(r);
      else if (!cached2) {
        push.add(r);
        added.push(r);
        queue.push(r);
      }
    }
  }
  const withheld = /* @__PURE__ */ new Set();
  for (let changed = unservable.size > 0; changed; ) {
    changed = false;
    for (const p of push) {
      if (withheld.has(p)) continue;
      const refs = facts.infos.get(p)?.references ?? [];
      if (refs.some((r) => r !== p && (unservable.has(r) || withheld.has(r)))) {
        withheld.add(p);
        changed = true;
      }
    }
  }
  const completion = added.filter((p) => !withheld.has(p));
  const moved = new Set(completion);
  const skipped = emptySkipped();
  for (const reason of SKIP_REASONS) skipped[reason] = selection.skipped[reason].filter((p) => !moved.has(p));
  skipped["unserved-reference"].push(...selection.push.filter((p) => withheld.has(p)));
  return {
    selection: {
      push: [...push].filter((p) => !withheld.has(p)),
      completion: [...selection.completion ?? [], ...completion],
      skipped
    },
    lookups,
    unserved
  };
}

// src/summary.ts
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
function formatBytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}
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

// src/nix32.ts
var ALPHABET = "0123456789abcdfghijklmnpqrsvwxyz";
var DIGIT = new Map([...ALPHABET].map((c, i) => [c, i]));
var SHA256_BYTES = 32;
function toNix32(bytes) {
  const len = Math.ceil(bytes.length * 8 / 5);
  let out = "";
  for (let n = len - 1; n >= 0; n--) {
    const b = n * 5;
    const i = b >> 3;
    const j = b & 7;
    const hi = i + 1 < bytes.length ? bytes[i + 1] << 8 - j : 0;
    out += ALPHABET[(bytes[i] >> j | hi) & 31];
  }
  return out;
}
function fromNix32(s) {
  const size = Math.floor(s.length * 5 / 8);
  if (Math.ceil(size * 8 / 5) !== s.length || size === 0) {
    throw new Error(`invalid nix32 string of length ${s.length}`);
  }
  const out = Buffer.alloc(size);
  for (let n = 0; n < s.length; n++) {
    const digit = DIGIT.get(s[s.length - n - 1]);
    if (digit === void 0) throw new Error(`invalid character in nix32 string '${s}'`);
    const b = n * 5;
    const i = b >> 3;
    const j = b & 7;
    out[i] |= digit << j & 255;
    const carry = digit >> 8 - j;
    if (i + 1 < size) out[i + 1] |= carry;
    else if (carry !== 0) throw new Error(`nix32 string '${s}' has bits beyond its length`);
  }
  return out;
}
function parseHash(s) {
  let rest;
  if (s.startsWith("sha256-")) {
    rest = s.slice("sha256-".length);
    if (!isBase64Sha256(rest)) throw new Error(`invalid SRI sha256 hash '${s}'`);
    return Buffer.from(rest, "base64");
  }
  if (!s.startsWith("sha256:")) throw new Error(`not a sha256 hash: '${s}'`);
  rest = s.slice("sha256:".length);
  if (rest.length === 64 && /^[0-9a-fA-F]+$/.test(rest)) return Buffer.from(rest, "hex");
  if (rest.length === 52) return fromNix32(rest);
  if (isBase64Sha256(rest)) return Buffer.from(rest, "base64");
  throw new Error(`invalid sha256 hash '${s}'`);
}
function formatNix32Hash(bytes) {
  if (bytes.length !== SHA256_BYTES) throw new Error(`expected a 32-byte sha256, got ${bytes.length} bytes`);
  return `sha256:${toNix32(bytes)}`;
}
function isBase64Sha256(s) {
  return /^[A-Za-z0-9+/]{43}=$/.test(s);
}

// src/signing.ts
import { createPrivateKey, createPublicKey, sign, verify } from "node:crypto";
var PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
var SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
var BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
function parseSecretKey(text) {
  const { name, bytes } = splitKey(text.trim(), 64, "secret key");
  const seed = bytes.subarray(0, 32);
  const storedPublic = bytes.subarray(32);
  let privateKey;
  try {
    privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: "der", type: "pkcs8" });
  } catch {
    throw new Error("secret key is not a valid Ed25519 key");
  }
  const derivedPublic = createPublicKey(privateKey).export({ format: "der", type: "spki" }).subarray(SPKI_ED25519_PREFIX.length);
  if (!derivedPublic.equals(storedPublic)) {
    throw new Error("secret key is corrupt: its public half does not match its seed");
  }
  return {
    name,
    publicKey: `${name}:${derivedPublic.toString("base64")}`,
    sign: (data) => `${name}:${sign(null, Buffer.from(data, "utf8"), privateKey).toString("base64")}`
  };
}
function fingerprint(storePath, narHash, narSize, references) {
  if (!Number.isSafeInteger(narSize) || narSize < 0) throw new Error(`invalid NAR size ${narSize}`);
  const refs = [...new Set(references)].sort();
  return `1;${storePath};${formatNix32Hash(parseHash(narHash))};${narSize};${refs.join(",")}`;
}
function splitKey(text, size, what) {
  const parts = text.split(":");
  if (parts.length !== 2) throw new Error(`${what} must have the form <name>:<base64>`);
  const [name, encoded] = parts;
  if (name.length === 0) throw new Error(`${what} has an empty name`);
  const bytes = BASE64.test(encoded) ? Buffer.from(encoded, "base64") : void 0;
  if (bytes?.length !== size) throw new Error(`${what} must be ${size} bytes of base64 after the name`);
  return { name, bytes };
}

// src/backends/file.ts
import { link, lstat, mkdir as mkdir2, readFile as readFile5, rename, rm as rm2, access, writeFile as writeFile2 } from "node:fs/promises";
import { createWriteStream } from "node:fs";
import { basename, dirname, join as join7 } from "node:path";
import { pipeline } from "node:stream/promises";
import { randomBytes as randomBytes2 } from "node:crypto";
var FileBackend = class {
  constructor(dir) {
    this.dir = dir;
  }
  dir;
  /** Directories this backend has created: one mkdir each, not one per file (thousands per job). */
  made = /* @__PURE__ */ new Set();
  get displayUrl() {
    return `file://${this.dir}`;
  }
  /** Also proves the cache writable, so a read-only or foreign directory is named once, with its real cause. */
  async prepare(storeDir) {
    const file = join7(this.dir, "nix-cache-info");
    try {
      await mkdir2(join7(this.dir, "nar"), { recursive: true });
      const probe = join7(this.dir, "nar", `.write-test-${randomBytes2(6).toString("hex")}`);
      await writeFile2(probe, "");
      await rm2(probe, { force: true });
    } catch (e) {
      throw new Error(`${this.displayUrl} is not writable: ${describeFsError(e)}`, { cause: e });
    }
    let existing;
    try {
      existing = await readFile5(file, "utf8");
    } catch {
      await writeFile2(file, cacheInfoText(storeDir));
      return;
    }
    const theirs = readCacheInfoStoreDir(existing);
    if (theirs && theirs !== storeDir) {
      throw new Error(`${this.displayUrl} is a cache for ${theirs}, not ${storeDir}`);
    }
  }
  async existing(hashParts) {
    const found = await Promise.all(
      hashParts.map(async (h) => {
        try {
          await access(join7(this.dir, `${h}.narinfo`));
          return h;
        } catch {
          return void 0;
        }
      })
    );
    return new Set(found.filter((h) => h !== void 0));
  }
  async ensureDir(dir) {
    if (this.made.has(dir)) return;
    await mkdir2(dir, { recursive: true });
    this.made.add(dir);
  }
  /** Writes to a temporary name and renames, so readers never see a partial file. */
  async put(key, body) {
    const target = join7(this.dir, key);
    const tmp = `${target}.tmp-${randomBytes2(6).toString("hex")}`;
    await this.ensureDir(dirname(target));
    try {
      await pipeline(body(), createWriteStream(tmp));
      await rename(tmp, target);
    } catch (e) {
      await rm2(tmp, { force: true });
      throw e;
    }
  }
  async has(key) {
    try {
      await lstat(join7(this.dir, key));
      return true;
    } catch {
      return false;
    }
  }
  /** Next to its final name, hidden from Nix (which reads only the names narinfos give). */
  async spoolFile(key) {
    const target = join7(this.dir, key);
    await this.ensureDir(dirname(target));
    return join7(dirname(target), `.${basename(target)}.spool-${randomBytes2(6).toString("hex")}`);
  }
  /**
   * A hard link: atomic, and it fails with EEXIST instead of replacing a file, so a NAR another
   * path or job wrote is never overwritten. File systems without hard links get a rename after
   * an existence check; the race left there is between two verified files of the same NarHash.
   */
  async publish(key, file) {
    const target = join7(this.dir, key);
    await this.ensureDir(dirname(target));
    try {
      await link(file, target);
      return "written";
    } catch (e) {
      const code2 = fsErrorCode(e);
      if (code2 === "EEXIST") return "existed";
      if (code2 !== "EPERM" && code2 !== "ENOTSUP" && code2 !== "EMLINK") throw e;
    }
    if (await this.has(key)) return "existed";
    await rename(file, target);
    return "written";
  }
};

// src/narinfo.ts
function renderNarInfo(info) {
  let out = `StorePath: ${info.storePath}
`;
  out += `URL: ${info.url}
`;
  out += `Compression: ${info.compression}
`;
  if (info.fileHash !== "") out += `FileHash: ${normaliseHash(info.fileHash)}
`;
  if (info.fileSize !== 0) out += `FileSize: ${info.fileSize}
`;
  out += `NarHash: ${formatNix32Hash(parseHash(info.narHash))}
`;
  out += `NarSize: ${info.narSize}
`;
  out += `References: ${[...new Set(info.references.map(baseName))].sort().join(" ")}
`;
  if (info.deriver !== void 0) out += `Deriver: ${baseName(info.deriver)}
`;
  for (const sig of info.sigs) out += `Sig: ${sig}
`;
  if (info.ca !== void 0) out += `CA: ${info.ca}
`;
  return out;
}
function parseNarInfo(text, storeDir = "/nix/store") {
  const fields = /* @__PURE__ */ new Map();
  const sigs = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const colon = line.indexOf(":");
    if (colon < 0) throw new Error(`corrupt narinfo: line without ':': '${line}'`);
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    if (key === "Sig") sigs.push(value);
    else fields.set(key, value);
  }
  const required = (key) => {
    const v = fields.get(key);
    if (v === void 0 || v === "") throw new Error(`corrupt narinfo: missing ${key}`);
    return v;
  };
  const storePath = required("StorePath");
  if (!storePath.startsWith(`${storeDir}/`)) throw new Error(`narinfo path '${storePath}' is not in ${storeDir}`);
  const narSize = parseSize(required("NarSize"), "NarSize");
  if (narSize === 0) throw new Error("corrupt narinfo: NarSize is 0");
  const fileSize = fields.get("FileSize");
  const deriver = fields.get("Deriver");
  const references = fields.get("References") ?? "";
  const info = {
    storePath,
    url: required("URL"),
    compression: fields.get("Compression") || "bzip2",
    fileHash: normaliseHash(fields.get("FileHash") ?? ""),
    fileSize: fileSize === void 0 ? 0 : parseSize(fileSize, "FileSize"),
    narHash: formatNix32Hash(parseHash(required("NarHash"))),
    narSize,
    references: references.split(" ").filter((r) => r !== "").map((r) => `${storeDir}/${r}`),
    sigs
  };
  if (deriver !== void 0 && deriver !== "" && deriver !== "unknown-deriver") info.deriver = `${storeDir}/${deriver}`;
  const ca = fields.get("CA");
  if (ca !== void 0 && ca !== "") info.ca = ca;
  return info;
}
function narInfoKey(storePath) {
  const m = /^([0-9a-df-np-sv-z]{32})-/.exec(baseName(storePath));
  if (!m) throw new Error(`not a store path: '${storePath}'`);
  return `${m[1]}.narinfo`;
}
function baseName(path) {
  return path.slice(path.lastIndexOf("/") + 1);
}
function parseSize(value, key) {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new Error(`corrupt narinfo: bad ${key} '${value}'`);
  return n;
}
function normaliseHash(value) {
  if (!value.startsWith("sha256")) return value;
  return formatNix32Hash(parseHash(value));
}

// src/upload/pipeline.ts
import { lstatSync as lstatSync2 } from "node:fs";
import { mkdtemp, rm as rm4 } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join as join9 } from "node:path";
import { Readable as Readable2 } from "node:stream";

// src/upload/nar-writer.ts
import { createWriteStream as createWriteStream2 } from "node:fs";
import { rm as rm3 } from "node:fs/promises";
import { join as join8 } from "node:path";
import { randomBytes as randomBytes3 } from "node:crypto";
import { pipeline as pipeline2 } from "node:stream/promises";

// src/compression.ts
import { spawn as spawn2 } from "node:child_process";
import { Duplex, PassThrough, Transform as Transform2 } from "node:stream";
import * as zlib2 from "node:zlib";

// src/zstd-frames.ts
import { Transform } from "node:stream";
import * as zlib from "node:zlib";

// src/frame-buffers.ts
var FRAME_SIZE = 4 << 20;
var SPARES = 12;
var spare = [];
var lent = /* @__PURE__ */ new WeakMap();
function takeFrame() {
  return spare.pop() ?? Buffer.allocUnsafe(FRAME_SIZE);
}
function lend(view, frame) {
  lent.set(view, frame);
  return view;
}
function frameOf(chunk) {
  return lent.get(chunk);
}
function recycleFrame(frame) {
  if (spare.length < SPARES) spare.push(frame);
}

// src/zstd-frames.ts
var WINDOW_LOG = 22;
var COMPRESSORS = 3;
var OUTPUT_CHUNK = 1 << 20;
var MAX_QUEUED = COMPRESSORS + 1;
var FramePool = class {
  idle = [];
  jobs = [];
  roomWaiters = [];
  live = 0;
  /** Jobs queued or running. */
  inFlight = 0;
  /** Compresses `frame`; `whole`, a lent frame that `frame` is a view of, is recycled afterwards. */
  compress(frame, whole) {
    this.inFlight++;
    return new Promise((resolve, reject) => {
      this.jobs.push({
        input: frame,
        done: (err, out) => {
          if (whole) recycleFrame(whole);
          this.inFlight--;
          this.roomWaiters.shift()?.();
          if (err) reject(err);
          else resolve(out ?? []);
        }
      });
      this.run();
    });
  }
  /** Resolves when another frame may be queued: the brake that keeps memory bounded. */
  room() {
    if (this.inFlight < MAX_QUEUED) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }
  run() {
    while (this.jobs.length > 0) {
      const z = this.idle.pop() ?? (this.live < COMPRESSORS ? this.create() : void 0);
      if (!z) return;
      this.start(z, this.jobs.shift());
    }
  }
  create() {
    this.live++;
    return zlib.createZstdCompress({
      // Output slices pin the buffer they are cut from until sent; 1 MiB buffers pin less than
      // frame-sized ones did (about 20 MB less at the peak of a push over HTTP).
      chunkSize: OUTPUT_CHUNK,
      params: { [zlib.constants.ZSTD_c_compressionLevel]: 3, [zlib.constants.ZSTD_c_windowLog]: WINDOW_LOG }
    });
  }
  start(z, job) {
    const out = [];
    const onData = (b) => {
      out.push(b);
    };
    const onError = (e) => {
      z.off("data", onData);
      this.live--;
      job.done(e);
      this.run();
    };
    z.on("data", onData);
    z.once("error", onError);
    z.write(job.input);
    z.flush(zlib.constants.ZSTD_e_end, () => {
      z.off("data", onData);
      z.off("error", onError);
      this.idle.push(z);
      job.done(null, out);
      this.run();
    });
  }
};
var pool = new FramePool();
var FramedZstd = class extends Transform {
  /** The lent frame whose pieces are arriving, and the range of it received so far. */
  lent;
  lentStart = 0;
  lentEnd = 0;
  /** Input that did not come in a lent frame (a NAR's first bytes, or any other source). */
  gathered = [];
  gatheredSize = 0;
  /** Output in NAR order: each frame's bytes are pushed only after every earlier frame's. */
  tail = Promise.resolve();
  constructor() {
    super({ readableHighWaterMark: OUTPUT_CHUNK });
  }
  _transform(chunk, _encoding, done) {
    pool.room().then(() => {
      const frame = frameOf(chunk);
      const offset = frame ? chunk.byteOffset - frame.byteOffset : 0;
      if (frame && frame === this.lent && offset === this.lentEnd) {
        this.lentEnd += chunk.length;
      } else if (frame) {
        this.submitLent();
        this.submitGathered();
        this.lent = frame;
        this.lentStart = offset;
        this.lentEnd = offset + chunk.length;
      } else {
        this.submitLent();
        this.gathered.push(chunk);
        this.gatheredSize += chunk.length;
        this.submitGathered(false);
      }
      if (this.lent && this.lentEnd === this.lent.length) this.submitLent();
      done();
    }, done);
  }
  _flush(done) {
    this.submitLent();
    this.submitGathered();
    this.tail.then(() => done(), done);
  }
  submitLent() {
    if (!this.lent) return;
    this.submitFrame(this.lent.subarray(this.lentStart, this.lentEnd), this.lentStart === 0 ? this.lent : void 0);
    this.lent = void 0;
  }
  /**
   * Gathered bytes as frames of FRAME_SIZE, so that each fits the window; the rest stays
   * gathered for the next frame unless `all` (a lent frame follows, or the end).
   */
  submitGathered(all = true) {
    if (this.gatheredSize === 0 || !all && this.gatheredSize < FRAME_SIZE) return;
    const bytes = this.gathered.length === 1 ? this.gathered[0] : Buffer.concat(this.gathered, this.gatheredSize);
    let at = 0;
    for (; bytes.length - at >= FRAME_SIZE; at += FRAME_SIZE) this.submitFrame(bytes.subarray(at, at + FRAME_SIZE));
    if (all && at < bytes.length) {
      this.submitFrame(bytes.subarray(at));
      at = bytes.length;
    }
    this.gathered = at < bytes.length ? [bytes.subarray(at)] : [];
    this.gatheredSize = bytes.length - at;
  }
  /** `whole`: the lent frame `bytes` is a view of, recycled once compressed. */
  submitFrame(bytes, whole) {
    const compressed = pool.compress(bytes, whole);
    compressed.catch(() => void 0);
    this.tail = this.tail.then(async () => {
      for (const b of await compressed) this.push(b);
    });
    this.tail.catch((e) => this.destroy(e));
  }
};

// src/compression.ts
var NAR_EXTENSION = { zstd: ".nar.zst", xz: ".nar.xz", none: ".nar" };
var CHUNK = 1 << 20;
var SMALL_NAR = 256 * 1024;
var SmallZstd = class extends Transform2 {
  constructor(narSize) {
    super();
    this.narSize = narSize;
  }
  narSize;
  chunks = [];
  size = 0;
  _transform(chunk, _encoding, done) {
    this.size += chunk.length;
    if (this.size > this.narSize) return done(new Error(`the NAR is longer than the ${this.narSize} bytes Nix recorded`));
    this.chunks.push(chunk);
    done();
  }
  _flush(done) {
    try {
      const input = Buffer.concat(this.chunks);
      done(null, zlib2.zstdCompressSync(input, { pledgedSrcSize: this.narSize, params: { [zlib2.constants.ZSTD_c_compressionLevel]: 3 } }));
    } catch (e) {
      done(e);
    }
  }
};
function compressor(kind, narSize) {
  if (kind === "none") return new PassThrough({ highWaterMark: CHUNK });
  if (kind === "zstd" && narSize !== void 0 && narSize <= SMALL_NAR) return new SmallZstd(narSize);
  if (kind === "zstd") return new FramedZstd();
  const child = spawn2("xz", ["-c", "-T0", "-6"], { stdio: ["pipe", "pipe", "ignore"] });
  const duplex = Duplex.from({ writable: child.stdin, readable: child.stdout });
  child.on("error", (e) => duplex.destroy(e));
  child.on("close", (code2) => {
    if (code2 !== 0) duplex.destroy(new Error(`xz exited with ${code2}`));
  });
  return duplex;
}

// src/nar.ts
import { createHash } from "node:crypto";
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync } from "node:fs";
import { open } from "node:fs/promises";
import { Readable } from "node:stream";
var BATCH = 64 * 1024;
var LEND_AFTER = 256 * 1024;
var PIECE = 1024 * 1024;
var SMALL_FILE = 64 * 1024;
var MAX_BLOCK_MS = 10;
var S_IFMT = 61440;
var S_IFREG = 32768;
var S_IFDIR = 16384;
var S_IFLNK = 40960;
var S_IXUSR = 64;
var ZEROS = Buffer.alloc(8);
var SLASH = Buffer.from("/");
function narStream(fsPath, opts = {}) {
  return Readable.from(serialise(Buffer.from(fsPath), caseHackOf(opts)), { objectMode: false, highWaterMark: 0 });
}
var caseHackOf = (opts) => opts.caseHack ?? process.platform === "darwin";
var CASE_HACK_SUFFIX = Buffer.from("~nix~case~hack~");
function narEntries(onDisk, caseHack) {
  const entries = onDisk.map((d) => {
    const cut = caseHack ? d.indexOf(CASE_HACK_SUFFIX) : -1;
    return { name: cut >= 0 ? d.subarray(0, cut) : d, onDisk: d };
  });
  entries.sort((a, b) => Buffer.compare(a.name, b.name));
  for (let i = 1; i < entries.length; i++) {
    if (entries[i - 1].name.equals(entries[i].name)) {
      throw new Error(`file name collision between '${entries[i - 1].onDisk.toString()}' and '${entries[i].onDisk.toString()}'`);
    }
  }
  return entries;
}
async function narHashOf(fsPath, opts = {}) {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of serialise(Buffer.from(fsPath), caseHackOf(opts))) {
    hash.update(chunk);
    size += chunk.length;
    const frame = frameOf(chunk);
    if (frame && chunk.byteOffset + chunk.length === frame.byteOffset + frame.length) recycleFrame(frame);
  }
  return { hash: hash.digest(), size };
}
var NarWriter = class {
  buf = Buffer.allocUnsafe(BATCH);
  frame;
  /** Bytes of `buf` filled, and the first of them not yet handed on. */
  filled = 0;
  start = 0;
  written = 0;
  ready = [];
  lastBreak = performance.now();
  /** How far `buf` may be filled before the piece is handed on. */
  get limit() {
    return this.frame ? Math.min(this.buf.length, this.start + PIECE) : this.buf.length;
  }
  add(src) {
    let at = 0;
    while (at < src.length) {
      const n = src.copy(this.buf, this.filled, at, at + Math.min(src.length - at, this.limit - this.filled));
      at += n;
      this.filled += n;
      if (this.filled === this.limit) this.piece();
    }
  }
  /** Length-prefixed, zero-padded NAR string. */
  str(s) {
    if (typeof s === "string") {
      this.add(token2(s));
      return;
    }
    this.add(u64(s.length));
    this.add(s);
    this.pad(s.length);
  }
  pad(length) {
    const rem = length % 8;
    if (rem !== 0) this.add(ZEROS.subarray(0, 8 - rem));
  }
  /** Reads `size` bytes of an open file into the output, synchronously. */
  readSync(fd, size, path) {
    let remaining = size;
    while (remaining > 0) {
      const n = readSync(fd, this.buf, this.filled, Math.min(remaining, this.limit - this.filled), null);
      if (n === 0) throw changedSize(path);
      this.filled += n;
      remaining -= n;
      if (this.filled === this.limit) this.piece();
    }
  }
  /** Reads `size` bytes of an open file into the output; pieces are taken as they fill. */
  async *read(fh, size, path) {
    let remaining = size;
    while (remaining > 0) {
      const { bytesRead } = await fh.read(this.buf, this.filled, Math.min(remaining, this.limit - this.filled), null);
      if (bytesRead === 0) throw changedSize(path);
      this.filled += bytesRead;
      remaining -= bytesRead;
      if (this.filled === this.limit) {
        this.piece();
        yield* this.take();
      }
    }
  }
  take() {
    const out = this.ready;
    this.ready = [];
    return out;
  }
  /** Hands on what is filled and not yet handed on. */
  flush() {
    if (this.filled === this.start) return;
    const view = this.buf.subarray(this.start, this.filled);
    this.ready.push(this.frame ? lend(view, this.frame) : view);
    this.written += this.filled - this.start;
    this.start = this.filled;
  }
  piece() {
    this.flush();
    if (this.filled < this.buf.length) return;
    this.filled = 0;
    this.start = 0;
    if (this.written >= LEND_AFTER) {
      this.frame = takeFrame();
      this.buf = this.frame;
    } else {
      this.frame = void 0;
      this.buf = Buffer.allocUnsafe(BATCH);
    }
  }
  /** Lets timers and network I/O run when synchronous reads have held the event loop too long. */
  async breathe() {
    if (performance.now() - this.lastBreak < MAX_BLOCK_MS) return;
    await new Promise((resolve) => setImmediate(resolve));
    this.lastBreak = performance.now();
  }
};
async function* serialise(path, caseHack) {
  const out = new NarWriter();
  out.str("nix-archive-1");
  yield* dumpNode(path, out, caseHack);
  out.flush();
  yield* out.take();
}
async function* dumpNode(path, out, caseHack) {
  await out.breathe();
  const st = lstatSync(path);
  out.str("(");
  out.str("type");
  switch (st.mode & S_IFMT) {
    case S_IFREG:
      out.str("regular");
      if (st.mode & S_IXUSR) {
        out.str("executable");
        out.str("");
      }
      out.str("contents");
      out.add(u64(st.size));
      if (st.size <= SMALL_FILE) readSmallFile(path, st.size, out);
      else yield* readLargeFile(path, st.size, out);
      out.pad(st.size);
      break;
    case S_IFLNK:
      out.str("symlink");
      out.str("target");
      out.str(readlinkSync(path, { encoding: "buffer" }));
      break;
    case S_IFDIR: {
      out.str("directory");
      for (const { name, onDisk } of narEntries(readdirSync(path, { encoding: "buffer" }), caseHack)) {
        out.str("entry");
        out.str("(");
        out.str("name");
        out.str(name);
        out.str("node");
        yield* dumpNode(Buffer.concat([path, SLASH, onDisk]), out, caseHack);
        out.str(")");
        yield* out.take();
      }
      break;
    }
    default:
      throw new Error(`file '${path.toString()}' has an unsupported type`);
  }
  out.str(")");
}
function readSmallFile(path, size, out) {
  const fd = openSync(path, "r");
  try {
    out.readSync(fd, size, path);
  } finally {
    closeSync(fd);
  }
}
async function* readLargeFile(path, size, out) {
  const fh = await open(path, "r");
  try {
    yield* out.read(fh, size, path);
  } finally {
    await fh.close();
  }
}
function changedSize(path) {
  return new Error(`file '${path.toString()}' changed size while being archived`);
}
var TOKENS = /* @__PURE__ */ new Map();
function token2(s) {
  let enc = TOKENS.get(s);
  if (enc === void 0) {
    const bytes = Buffer.from(s);
    enc = Buffer.concat([u64(bytes.length), bytes, ZEROS.subarray(0, (8 - bytes.length % 8) % 8)]);
    TOKENS.set(s, enc);
  }
  return enc;
}
function u64(n) {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(n % 4294967296, 0);
  b.writeUInt32LE(Math.floor(n / 4294967296), 4);
  return b;
}

// src/upload/meter.ts
import { createHash as createHash2 } from "node:crypto";
import { Transform as Transform3 } from "node:stream";
var Meter = class extends Transform3 {
  hash = createHash2("sha256");
  bytes = 0;
  constructor() {
    super({ highWaterMark: 0 });
  }
  _transform(chunk, _enc, done) {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }
  digest() {
    return this.hash.digest();
  }
};

// src/upload/nar-writer.ts
var NarMismatch = class extends Error {
  constructor() {
    super("its contents do not match the hash Nix recorded (store corruption?)");
  }
};
function narUrl(info, compression) {
  return `nar/${formatNix32Hash(parseHash(info.narHash)).slice("sha256:".length)}${NAR_EXTENSION[compression]}`;
}
function check(info, size, hash) {
  if (size !== info.narSize || !hash.equals(parseHash(info.narHash))) throw new NarMismatch();
}
async function verifyPath(info, source) {
  const { hash, size } = await narHashOf(source);
  check(info, size, hash);
}
async function writeVerifiedNar(info, source, opts) {
  const url = narUrl(info, opts.compression);
  const spool = await opts.backend.spoolFile?.(url) ?? join8(opts.spoolDir, `${randomBytes3(8).toString("hex")}.spool`);
  const nar = new Meter();
  const file = new Meter();
  opts.progress?.inflight.add(nar);
  try {
    await pipeline2(narStream(source), nar, compressor(opts.compression, info.narSize), file, createWriteStream2(spool));
    check(info, nar.bytes, nar.digest());
    const published = await opts.backend.publish(url, spool, CONTENT_TYPES.nar);
    if (published === "existed") return { url, fileHash: "", fileSize: 0 };
    return { url, fileHash: formatNix32Hash(file.digest()), fileSize: file.bytes };
  } finally {
    opts.progress?.inflight.delete(nar);
    await rm3(spool, { force: true });
  }
}

// src/upload/progress.ts
var PROGRESS_INTERVAL_MS = 1e4;
var UploadProgress = class {
  constructor(total, totalBytes, where, intervalMs = PROGRESS_INTERVAL_MS) {
    this.total = total;
    this.totalBytes = totalBytes;
    this.where = where;
    this.intervalMs = intervalMs;
  }
  total;
  totalBytes;
  where;
  intervalMs;
  /** NAR byte counters of the NARs being written now (the writer's meters). */
  inflight = /* @__PURE__ */ new Set();
  done = 0;
  doneBytes = 0;
  grouped = false;
  timer;
  startedAt = Date.now();
  start() {
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }
  /** One path finished, pushed or not: its NAR was read either way. */
  finished(narSize) {
    this.done++;
    this.doneBytes += narSize;
  }
  line() {
    let bytes = this.doneBytes;
    for (const m of this.inflight) bytes += m.bytes;
    const seconds = (Date.now() - this.startedAt) / 1e3;
    const rate = seconds > 0 ? `${formatBytes(Math.round(bytes / seconds))}/s` : "-";
    return `${this.done}/${this.total} paths, ${formatBytes(bytes)} of ${formatBytes(this.totalBytes)} of NARs read (${rate}), ${Math.round(seconds)} s`;
  }
  tick() {
    if (!this.grouped) {
      log.startGroup(`Uploading ${this.total} paths to ${this.where}`);
      this.grouped = true;
    }
    log.info(this.line());
  }
  stop() {
    clearInterval(this.timer);
    if (!this.grouped) return;
    log.info(`done: ${this.line()}`);
    log.endGroup();
  }
};

// src/upload/pipeline.ts
var message = (e) => e instanceof Error ? e.message : String(e);
function topologicalOrder(infos) {
  const byPath = new Map(infos.map((i) => [i.path, i]));
  const seen = /* @__PURE__ */ new Set();
  const out = [];
  const visit = (info) => {
    if (seen.has(info.path)) return;
    seen.add(info.path);
    for (const r of info.references) {
      const dep = byPath.get(r);
      if (dep) visit(dep);
    }
    out.push(info);
  };
  for (const info of infos) visit(info);
  return out;
}
function exists(p) {
  try {
    lstatSync2(p);
    return true;
  } catch {
    return false;
  }
}
function narInfoText(info, nar, opts) {
  let sigs = info.signatures;
  if (opts.signer) {
    const ours = opts.signer.sign(fingerprint(info.path, info.narHash, info.narSize, info.references));
    const keyName2 = ours.slice(0, ours.indexOf(":"));
    sigs = [...info.signatures.filter((s) => !s.startsWith(`${keyName2}:`)), ours];
  }
  return renderNarInfo({
    storePath: info.path,
    url: nar.url,
    compression: opts.compression,
    fileHash: nar.fileHash,
    fileSize: nar.fileSize,
    narHash: info.narHash,
    narSize: info.narSize,
    references: info.references,
    deriver: info.deriver,
    sigs,
    ca: info.ca
  });
}
async function uploadPaths(infos, opts) {
  const outcome = { pushed: [], failed: [], vanished: [] };
  if (infos.length === 0) return outcome;
  const limit = limiter(opts.parallelism);
  const committed = /* @__PURE__ */ new Map();
  const nars = /* @__PURE__ */ new Map();
  const ownSpool = opts.backend.spoolFile || opts.spoolDir ? void 0 : await mkdtemp(join9(host().tempDir, "nix-buildtime-cache-spool-"));
  const spoolDir = opts.spoolDir ?? ownSpool ?? tmpdir();
  const progress = new UploadProgress(
    infos.length,
    infos.reduce((a, i) => a + i.narSize, 0),
    opts.backend.displayUrl,
    opts.progressIntervalMs
  );
  const publishNar = async (info, source, known) => {
    if (!exists(source)) throw new Vanished();
    if (known) {
      await verifyPath(info, source);
      return { nar: known, uploaded: 0 };
    }
    const url = narUrl(info, opts.compression);
    if (await opts.backend.has(url)) {
      await verifyPath(info, source);
      return { nar: { url, fileHash: "", fileSize: 0 }, uploaded: 0 };
    }
    const nar = await writeVerifiedNar(info, source, { backend: opts.backend, compression: opts.compression, spoolDir, progress });
    return { nar, uploaded: nar.fileSize };
  };
  const one = async (info) => {
    const source = join9(opts.realStoreDir, info.path.slice(info.path.lastIndexOf("/") + 1));
    const url = narUrl(info, opts.compression);
    const before = nars.get(url);
    let settle = () => void 0;
    nars.set(url, new Promise((resolve) => settle = resolve));
    const known = await before;
    let nar;
    let uploaded;
    try {
      ;
      ({ nar, uploaded } = await limit(() => publishNar(info, source, known)));
      settle(nar);
    } catch (e) {
      settle(known);
      if (e instanceof Vanished || !exists(source)) outcome.vanished.push(info.path);
      else outcome.failed.push({ path: info.path, reason: message(e) });
      return false;
    } finally {
      progress.finished(info.narSize);
    }
    const refs = info.references.filter((r) => r !== info.path && committed.has(r));
    const refsOk = (await Promise.all(refs.map((r) => committed.get(r)))).every(Boolean);
    if (!refsOk) {
      outcome.failed.push({ path: info.path, reason: "a path it references could not be uploaded" });
      return false;
    }
    try {
      const text = narInfoText(info, nar, opts);
      await opts.backend.put(narInfoKey(info.path), () => Readable2.from([text]), CONTENT_TYPES.narinfo);
    } catch (e) {
      outcome.failed.push({ path: info.path, reason: message(e) });
      return false;
    }
    outcome.pushed.push({ path: info.path, narSize: info.narSize, fileSize: uploaded });
    return true;
  };
  progress.start();
  try {
    for (const info of topologicalOrder(infos)) committed.set(info.path, one(info));
    await Promise.all(committed.values());
  } finally {
    progress.stop();
    if (ownSpool) await rm4(ownSpool, { recursive: true, force: true });
  }
  return outcome;
}
var Vanished = class extends Error {
};

export {
  withoutCredentials,
  displayUrl,
  urlSecrets,
  toNix32,
  fromNix32,
  parseHash,
  formatNix32Hash,
  parseSecretKey,
  S3_URI_SYNTAX,
  S3UriError,
  parseS3Uri,
  describeFsError,
  FileBackend,
  NixCommandError,
  runNix,
  batches,
  lines,
  isNix23,
  drvArgumentMeansOutputs,
  nixVersion,
  locateStore,
  isDeterminateNix,
  credentialsFor,
  loadNetrc,
  removePullNetrc,
  takeBackDaemonCredentials,
  configurePull,
  hashPart,
  SKIP_REASONS,
  selectPaths,
  withoutCached,
  completeClosure,
  parseNarInfo,
  formatBytes,
  renderSummary,
  uploadPaths
};
