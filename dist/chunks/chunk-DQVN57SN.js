import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  credentialsFor,
  host,
  loadNetrc,
  log,
  netrcPath,
  parseNetrc,
  runNix
} from "./chunk-HAEFNHM3.js";

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

// src/pull-credentials.ts
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join as join2 } from "node:path";
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
    return parseNetrc(await readFile(file, "utf8"));
  } catch (e) {
    const code = e.code;
    return code === "ENOENT" || code === "ENOTDIR" ? [] : "unreadable";
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
  const dir = join2(process.env.RUNNER_TEMP || tmpdir(), "nix-buildtime-cache");
  await mkdir(dir, { recursive: true, mode: 448 });
  const file = join2(dir, `netrc-${randomBytes(6).toString("hex")}`);
  await writeFile(file, renderNetrc(entries), { mode: 384, flag: "wx" });
  await chmod(file, 384);
  host().saveState(STATE_KEY, file);
  return file;
}
async function removePullNetrc() {
  const file = host().getState(STATE_KEY);
  if (file) await rm(file, { force: true });
}

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

export {
  withoutCredentials,
  displayUrl,
  urlSecrets,
  S3_URI_SYNTAX,
  S3UriError,
  parseS3Uri,
  bucketHttpUrl,
  nixConfig,
  locateStore,
  pullNetrcEntries,
  writePullNetrc,
  removePullNetrc
};
