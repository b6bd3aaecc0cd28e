#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  parseSecretKey
} from "./chunk-WODUGNK7.js";
import {
  host
} from "./chunk-LXHOX3IK.js";

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

// src/config/store-uri.ts
var COMMON = ["store", "path-info-cache-size", "trusted", "priority", "want-mass-query", "system-features"];
var BINARY_CACHE = [
  ...COMMON,
  "compression",
  "write-nar-listing",
  "index-debug-info",
  "secret-key",
  "secret-keys",
  "local-nar-cache",
  "parallel-compression",
  "compression-level"
];
var HTTP = [...BINARY_CACHE, "narinfo-compression", "ls-compression", "log-compression", "tls-certificate", "tls-private-key"];
var S3 = [
  ...HTTP,
  "profile",
  "region",
  "scheme",
  "endpoint",
  "addressing-style",
  "multipart-upload",
  "multipart-chunk-size",
  "buffer-size",
  "multipart-threshold",
  "storage-class"
];
var LOCAL_FS = ["root", "state", "log", "real"];
var REMOTE = ["max-connections", "max-connection-age"];
var SSH = [...COMMON, ...REMOTE, "ssh-key", "base64-ssh-public-host-key", "compress", "remote-program", "remote-store", "log-fd"];
var LOCAL = [
  ...COMMON,
  ...LOCAL_FS,
  "require-sigs",
  "read-only",
  "build-dir",
  "use-roots-daemon",
  "ignore-gc-delete-failure",
  "upper-layer",
  "lower-store",
  "check-mount"
];
var STORE_SETTINGS = {
  file: new Set(BINARY_CACHE),
  http: new Set(HTTP),
  s3: new Set(S3),
  ssh: new Set(SSH),
  "ssh-ng": /* @__PURE__ */ new Set([...SSH, ...LOCAL_FS]),
  local: new Set(LOCAL),
  daemon: /* @__PURE__ */ new Set([...LOCAL, ...REMOTE])
};
var StoreUriError = class extends Error {
};
var SCHEME_HINTS = {
  htps: "https",
  htp: "http",
  http2: "https",
  sftp: "ssh or ssh-ng",
  scp: "ssh or ssh-ng",
  ftp: "https, or file:// for a mounted directory",
  ftps: "https",
  s3a: "s3",
  s3n: "s3"
};
function storeKind(uri) {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(uri);
  if (!m) {
    if (/^(local|daemon|auto)(\?|$)/.test(uri) || uri.startsWith("/")) return uri.startsWith("daemon") ? "daemon" : "local";
    throw new StoreUriError("is not a store URI");
  }
  const scheme = (m[1] ?? "").toLowerCase();
  switch (scheme) {
    case "file":
      return "file";
    case "http":
    case "https":
      return "http";
    case "s3":
      return "s3";
    case "ssh":
      return "ssh";
    case "ssh-ng":
      return "ssh-ng";
    case "local":
      return "local";
    case "unix":
    case "daemon":
      return "daemon";
  }
  const hint = SCHEME_HINTS[scheme];
  throw new StoreUriError(`Nix has no store type for ${scheme}://${hint ? ` (did you mean ${hint}?)` : ""}`);
}
function queryParams(uri) {
  const q = uri.indexOf("?");
  return new URLSearchParams(q < 0 ? "" : uri.slice(q + 1));
}
function validateStoreUri(uri) {
  if (/[\r\n]/.test(uri)) throw new StoreUriError("is one store URI on one line, not several");
  if (/\s/.test(uri)) throw new StoreUriError("must not contain spaces (write them as %20)");
  const kind = storeKind(uri);
  if (uri.includes("#")) throw new StoreUriError("must not have a #fragment (Nix store URIs have none)");
  if (kind === "ssh" || kind === "ssh-ng") {
    const authority = /^[^:]+:\/\/([^/?]*)/.exec(uri)?.[1] ?? "";
    const host2 = authority.slice(authority.lastIndexOf("@") + 1);
    if (host2 === "") throw new StoreUriError(`${kind}:// needs a host, as in ${kind}://user@host`);
  }
  const allowed = STORE_SETTINGS[kind];
  for (const name of queryParams(uri).keys()) {
    if (!allowed.has(name)) {
      throw new StoreUriError(`Nix knows no setting '${name}' for ${kind === "http" ? "http(s)" : kind} stores (known: ${[...allowed].sort().join(", ")})`);
    }
  }
  return kind;
}

// src/config/niks3-uri.ts
var NIKS3_URI_SYNTAX = "niks3+https://host (or niks3+http:// on a private network)";
var Niks3UriError = class extends Error {
};
function isNiks3Uri(value) {
  return /^niks3\+/i.test(value);
}
function parseNiks3Uri(value) {
  const m = /^niks3\+(https?):\/\/(.*)$/i.exec(value);
  if (!m) throw new Niks3UriError("a niks3 server is niks3+https:// or niks3+http://");
  let url;
  try {
    url = new URL(`${(m[1] ?? "").toLowerCase()}://${m[2] ?? ""}`);
  } catch {
    throw new Niks3UriError("is not a valid URL after niks3+");
  }
  if (url.username !== "" || url.password !== "") throw new Niks3UriError("carries no credentials: give the niks3 token in the auth-token input");
  if (url.search !== "" || url.hash !== "") throw new Niks3UriError("takes no ?parameters or #fragment");
  const path = url.pathname.replace(/\/+$/, "");
  return { url: value, endpoint: `${url.protocol}//${url.host}${path}/` };
}

// src/config/cachix-uri.ts
var CACHIX_URI_SYNTAX = "cachix://name, or cachix+https://host/name";
var CachixUriError = class extends Error {
};
var CACHE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;
function isCachixUri(value) {
  return /^cachix(\+[a-z]+)?:\/\//i.test(value);
}
function parseCachixUri(value) {
  const hosted = /^cachix:\/\/([^/?#]*)\/?$/i.exec(value);
  if (hosted) return { url: value, apiBase: "https://cachix.org/api/v1/", cacheName: checkName(hosted[1] ?? "") };
  const m = /^cachix\+(https?):\/\/(.*)$/i.exec(value);
  if (!m) throw new CachixUriError("a Cachix cache is cachix://name, or cachix+https://host/name for another server");
  let url;
  try {
    url = new URL(`${(m[1] ?? "").toLowerCase()}://${m[2] ?? ""}`);
  } catch {
    throw new CachixUriError("is not a valid URL after cachix+");
  }
  if (url.username !== "" || url.password !== "") throw new CachixUriError("carries no credentials: give the Cachix token in the auth-token input");
  if (url.search !== "" || url.hash !== "") throw new CachixUriError("takes no ?parameters or #fragment");
  const segments = url.pathname.split("/").filter((s) => s !== "");
  if (segments.length !== 1) throw new CachixUriError("names the cache as the one path segment after the host");
  return { url: value, apiBase: `${url.protocol}//${url.host}/api/v1/`, cacheName: checkName(segments[0]) };
}
function checkName(name) {
  if (!CACHE_NAME.test(name)) throw new CachixUriError("has no valid cache name (letters, digits, '-' and '_')");
  return name;
}

// src/config/attic-uri.ts
var ATTIC_URI_SYNTAX = "attic+https://host[/prefix]/cache (or attic+http:// on a private network)";
var AtticUriError = class extends Error {
};
var CACHE_NAME2 = /^[A-Za-z0-9][A-Za-z0-9\-_+]{0,49}$/;
function isAtticUri(value) {
  return /^attic\+/i.test(value);
}
function parseAtticUri(value) {
  const m = /^attic\+(https?):\/\/(.*)$/i.exec(value);
  if (!m) throw new AtticUriError("an Attic cache is attic+https:// or attic+http://");
  const scheme = (m[1] ?? "").toLowerCase();
  let url;
  try {
    url = new URL(`${scheme}://${m[2] ?? ""}`);
  } catch {
    throw new AtticUriError("is not a valid URL after attic+");
  }
  if (url.username !== "" || url.password !== "") {
    throw new AtticUriError("carries no credentials: give the Attic token in the auth-token input");
  }
  if (url.search !== "" || url.hash !== "") throw new AtticUriError("takes no ?parameters or #fragment");
  const segments = url.pathname.split("/").filter((s) => s !== "");
  const cacheName = segments.pop();
  if (cacheName === void 0) throw new AtticUriError("names no cache: the last path segment is the cache");
  if (!CACHE_NAME2.test(cacheName)) {
    throw new AtticUriError("has a cache name Attic refuses (letters, digits, '-', '_', '+'; at most 50, starting with a letter or digit)");
  }
  const prefix = segments.length > 0 ? `/${segments.join("/")}/` : "/";
  return { url: value, endpoint: `${scheme}://${url.host}${prefix}`, cacheName };
}

// src/config/inputs.ts
var InputError = class extends Error {
  constructor(input, accepts) {
    super(`Input '${input}': ${accepts}`);
    this.input = input;
  }
  input;
};
var DEFAULT_SUBSTITUTER_PORT = 29427;
var list = (text, sep) => text.split(sep).map((s) => s.trim()).filter((s) => s.length > 0 && !s.startsWith("#"));
function bool(raw, name) {
  const v = raw(name).toLowerCase();
  if (v === "true") return true;
  if (v === "false" || v === "") return false;
  throw new InputError(name, `expected true or false, got '${raw(name)}'`);
}
var CACHE_ACCEPTS = "expected github-actions, file:///path, http(s)://\u2026, s3://bucket?\u2026, attic+https://host/cache, cachix://name, niks3+https://host, or a Nix store URI such as ssh-ng://host or local?root=/path";
var PLAIN_PATH = /^[A-Za-z0-9/._+=,~@-]+$/;
function parseCache(value) {
  if (value === "") throw new InputError("cache", `is required; ${CACHE_ACCEPTS}`);
  if (value === "github-actions") return { kind: "github-actions", url: "github-actions" };
  if (isAtticUri(value)) {
    try {
      return { kind: "attic", ...parseAtticUri(value) };
    } catch (e) {
      if (e instanceof AtticUriError) throw new InputError("cache", `${e.message}; expected ${ATTIC_URI_SYNTAX}`);
      throw e;
    }
  }
  if (isNiks3Uri(value)) {
    try {
      return { kind: "niks3", ...parseNiks3Uri(value) };
    } catch (e) {
      if (e instanceof Niks3UriError) throw new InputError("cache", `${e.message}; expected ${NIKS3_URI_SYNTAX}`);
      throw e;
    }
  }
  if (isCachixUri(value)) {
    try {
      return { kind: "cachix", ...parseCachixUri(value) };
    } catch (e) {
      if (e instanceof CachixUriError) throw new InputError("cache", `${e.message}; expected ${CACHIX_URI_SYNTAX}`);
      throw e;
    }
  }
  let kind;
  try {
    kind = validateStoreUri(value);
  } catch (e) {
    if (e instanceof StoreUriError) throw new InputError("cache", `${e.message}; ${CACHE_ACCEPTS}`);
    throw e;
  }
  if (kind === "s3") {
    try {
      return { kind: "s3", url: value, s3: parseS3Uri(value) };
    } catch (e) {
      if (e instanceof S3UriError) throw new InputError("cache", `${e.message}; expected ${S3_URI_SYNTAX}`);
      throw e;
    }
  }
  if (kind === "file") return fileCache(value);
  if (kind === "http") {
    try {
      new URL(value);
    } catch {
      throw new InputError("cache", `'${withoutCredentials(value)}' is not a valid URL; ${CACHE_ACCEPTS}`);
    }
    return { kind: "http", url: value };
  }
  return { kind: "nix-copy", url: value };
}
function fileCache(value) {
  const q = value.indexOf("?");
  const raw = q < 0 ? value.slice("file://".length) : value.slice("file://".length, q);
  if (!raw.startsWith("/") || raw === "/") {
    throw new InputError("cache", `a file:// cache names an absolute directory, as in file:///var/cache/nix (no host); ${CACHE_ACCEPTS}`);
  }
  let dir;
  try {
    dir = decodeURIComponent(raw);
  } catch {
    throw new InputError("cache", "a file:// path has a '%' that starts no %XX escape; write a literal '%' as %25");
  }
  const params = q < 0 ? "" : value.slice(q);
  const plain = PLAIN_PATH.test(dir);
  const url = `file://${plain ? dir : dir.split("/").map(encodeURIComponent).join("/")}${params}`;
  return { kind: "file", url, dir, plain };
}
var PUBLIC_KEY = /^[^\s:]+:[A-Za-z0-9+/]{43}=$/;
function publicKeys(text) {
  const keys = list(text, /\s+/);
  for (const k of keys) {
    if (!PUBLIC_KEY.test(k)) {
      const why = k.includes(",") ? " (separate keys with spaces or newlines, not commas)" : "";
      throw new InputError("public-keys", `expected whitespace-separated name:base64 ed25519 public keys (44 base64 characters ending in '='), got '${k}'${why}`);
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
  const value = text.slice(i + 1).trim();
  if (!/^[A-Za-z0-9-]+$/.test(name) || /[\x00-\x08\x0a-\x1f\x7f]/.test(value)) {
    throw new InputError("auth-header", "expected one line 'Name: value', for example 'Authorization: Bearer <token>'");
  }
  return { name, value };
}
function uriCompression(cache) {
  if (cache.kind === "s3") return cache.s3.compression;
  if (cache.kind !== "file" && cache.kind !== "http") return void 0;
  const v = queryParams(cache.url).get("compression")?.trim();
  return v === "" ? void 0 : v;
}
function chooseCompression(input, cache) {
  const fromUri = input === "" ? uriCompression(cache) : void 0;
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
function port(text) {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) {
    throw new InputError("substituter-port", `expected a TCP port from 1 to 65535, got '${text}'`);
  }
  return n;
}
function authToken(text) {
  const token = text.trim();
  if (token === "") return void 0;
  if (/\s/.test(token)) throw new InputError("auth-token", "expected one token on one line: the token alone, with no scheme or name before it");
  return token;
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
    substituterPort: port(raw("substituter-port") || String(DEFAULT_SUBSTITUTER_PORT)),
    pushDuringBuild: raw("push-during-build") === "" ? true : bool(raw, "push-during-build"),
    authToken: authToken(raw("auth-token"))
  };
}
function secretsOf(inputs) {
  const given = typeof inputs === "function" ? { key: inputs("secret-key"), header: inputs("auth-header"), cache: inputs("cache"), token: inputs("auth-token") } : {
    key: inputs.secretKeyText ?? "",
    header: inputs.authHeader ? `${inputs.authHeader.name}: ${inputs.authHeader.value}` : "",
    cache: inputs.cache.url,
    token: inputs.authToken ?? ""
  };
  const secrets = [given.key, given.header, given.token.trim(), ...urlSecrets(given.cache)];
  if (given.key.includes(":")) secrets.push(given.key.slice(given.key.indexOf(":") + 1));
  if (given.header.includes(":")) secrets.push(given.header.slice(given.header.indexOf(":") + 1).trim());
  return [...new Set(secrets.filter((s) => s !== ""))];
}
function readInputs(raw) {
  for (const s of secretsOf(raw)) host().setSecret(s);
  return parseInputs(raw);
}

export {
  withoutCredentials,
  displayUrl,
  urlCredentials,
  bucketHttpUrl,
  isNiks3Uri,
  isCachixUri,
  isAtticUri,
  InputError,
  DEFAULT_SUBSTITUTER_PORT,
  parseCache,
  parseSize,
  secretsOf,
  readInputs
};
