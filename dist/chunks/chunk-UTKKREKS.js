#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  runNix
} from "./chunk-IDEMXRFO.js";

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

export {
  nixConfig,
  daemonConfig,
  locateStore
};
