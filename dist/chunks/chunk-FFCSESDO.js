import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  runNix
} from "./chunk-7IJB57PC.js";

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
  S3_URI_SYNTAX,
  S3UriError,
  parseS3Uri,
  bucketHttpUrl,
  nixConfig,
  locateStore
};
