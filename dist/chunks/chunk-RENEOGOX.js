import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  execCapture,
  host,
  log,
  nixEnv,
  runNix
} from "./chunk-VVRQV2PF.js";

// src/backends/s3-uri.ts
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

// src/trust.ts
import { userInfo } from "node:os";

// src/nix/store-location.ts
import { join } from "node:path";
function parseNixConfig(text) {
  const settings = /* @__PURE__ */ new Map();
  for (const line of text.split("\n")) {
    const i = line.indexOf(" = ");
    if (i > 0) settings.set(line.slice(0, i).trim(), line.slice(i + 3).trim());
  }
  return settings;
}
function resolveStore(uri, env = {}) {
  const storeDir = env.NIX_STORE_DIR || "/nix/store";
  const stateDir = env.NIX_STATE_DIR || "/nix/var/nix";
  const effective = uri === "" || uri === "auto" ? env.NIX_REMOTE || "auto" : uri;
  const [scheme, query = ""] = effective.split("?", 2);
  const params = new URLSearchParams(query);
  const root = scheme.startsWith("/") ? scheme : params.get("root") ?? "";
  const viaDaemon = scheme === "daemon" || scheme.startsWith("unix://");
  return {
    uri: effective,
    storeDir,
    realStoreDir: root ? join(root, storeDir) : storeDir,
    dbPath: root ? join(root, "nix/var/nix/db/db.sqlite") : join(stateDir, "db/db.sqlite"),
    viaDaemon
  };
}
var config;
function nixConfig() {
  config ??= (async () => {
    for (const args of [["show-config"], ["config", "show"]]) {
      const r = await runNix("nix", args, { allowFailure: true });
      if (r.exitCode === 0) return parseNixConfig(r.stdout);
    }
    return /* @__PURE__ */ new Map();
  })();
  return config;
}
async function locateStore() {
  return resolveStore((await nixConfig()).get("store") ?? "", process.env);
}

// src/trust.ts
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
async function detectTrust(store) {
  const settings = await nixConfig();
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
    trustedSubstituters: words(settings.get("trusted-substituters")),
    trustedPublicKeys: words(settings.get("trusted-public-keys"))
  };
}
async function storeWritable(store) {
  const { access, constants } = await import("node:fs/promises");
  try {
    await access(store.dbPath.replace(/db\.sqlite$/, ""), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
async function isDeterminateNix() {
  const r = await runNix("nix", ["--version"], { allowFailure: true });
  return /Determinate/.test(r.stdout);
}

// src/system-config.ts
import { readFile } from "node:fs/promises";
import { join as join2 } from "node:path";
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
  for (const line of existingBlock) {
    const m = /^extra-trusted-(substituters|public-keys) = (.*)$/.exec(line);
    if (!m) continue;
    for (const w of m[2].split(/\s+/).filter(Boolean)) (m[1] === "substituters" ? subs : pks).add(w);
  }
  subs.add(url);
  for (const k of keys) pks.add(k);
  const lines = [`extra-trusted-substituters = ${[...subs].join(" ")}`];
  if (pks.size > 0) lines.push(`extra-trusted-public-keys = ${[...pks].join(" ")}`);
  return lines;
}
function managedBlock(text) {
  const start = text.indexOf(BEGIN);
  const end = start >= 0 ? text.indexOf(END, start) : -1;
  if (start < 0 || end < 0) return [];
  return text.slice(start + BEGIN.length, end).split("\n").filter((l) => l.trim() !== "");
}
function systemConfigFile(confDir, isDeterminate) {
  return join2(confDir, isDeterminate ? "nix.custom.conf" : "nix.conf");
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
  const confDir = process.env.NIX_CONF_DIR || "/etc/nix";
  const file = systemConfigFile(confDir, isDeterminate);
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

// src/pull.ts
function substituterUrl(inputs) {
  const { cache } = inputs;
  if (cache.kind === "file" || cache.kind === "http" || cache.kind === "s3") return cache.url;
  return void 0;
}
function trustedKeys(inputs) {
  const keys = [...inputs.publicKeys];
  if (inputs.secretKey && !keys.includes(inputs.secretKey.publicKey)) keys.push(inputs.secretKey.publicKey);
  return keys;
}
function pullSettings(url, keys) {
  const lines = [`extra-substituters = ${url}`];
  if (keys.length > 0) lines.push(`extra-trusted-public-keys = ${keys.join(" ")}`);
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
var sameUrl = (a, b) => a.replace(/\/+$/, "") === b.replace(/\/+$/, "");
async function configurePull(inputs, store, localUrl) {
  const url = localUrl ?? substituterUrl(inputs);
  if (!inputs.pull || !url) return;
  if (inputs.cache.kind === "s3" && !await nixCanReadS3(inputs.cache)) return;
  const keys = trustedKeys(inputs);
  const trust = await detectTrust(store);
  log.info(`Nix trust: ${trust.level} (${trust.reason}).`);
  if (trust.level === "untrusted") {
    const allowed = trust.trustedSubstituters.some((t) => sameUrl(t, url));
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
  const value = appendNixConfig(process.env.NIX_CONFIG, pullSettings(url, keys));
  host().exportVariable("NIX_CONFIG", value);
  log.info(`Later steps substitute from ${url}${keys.length ? ` (trusting ${keys.map((k) => k.split(":")[0]).join(", ")})` : ""}.`);
  if (keys.length === 0 && !localUrl) {
    log.warning("No public-keys or secret-key given: Nix will refuse unsigned paths from the cache unless require-sigs is off.");
  }
}

export {
  S3_URI_SYNTAX,
  S3UriError,
  parseS3Uri,
  locateStore,
  configurePull
};
