import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  bucketHttpUrl,
  nixConfig,
  pullNetrcEntries,
  withoutCredentials,
  writePullNetrc
} from "./chunk-DQVN57SN.js";
import {
  execCapture,
  host,
  log,
  nixEnv,
  runNix
} from "./chunk-HAEFNHM3.js";

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
  return join(confDir, isDeterminate ? "nix.custom.conf" : "nix.conf");
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
    const host2 = new URL(withoutCredentials(cacheUrl)).hostname;
    log.warning(
      `The Nix daemon pulls from ${withoutCredentials(cacheUrl)} with its own netrc-file (${nixNetrcFile ?? "/etc/nix/netrc"}), which it does not take from an untrusted user: add credentials for ${host2} there, or add the user to trusted-users, or pulls will be refused. Pushing still works.`
    );
    return void 0;
  }
  const file = await writePullNetrc(entries);
  log.info(`Nix pulls with the credentials in ${file} (0600, removed by the post step).`);
  return file;
}

export {
  configurePull
};
