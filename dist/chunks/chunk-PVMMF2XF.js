import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  S3UriError,
  S3_URI_SYNTAX,
  parseS3Uri,
  urlSecrets
} from "./chunk-DQVN57SN.js";
import {
  debug,
  error,
  exportVariable,
  getInput,
  getState,
  host,
  info,
  log,
  notice,
  parseSecretKey,
  saveState,
  setFailed,
  setOutput,
  setSecret,
  summary,
  warning
} from "./chunk-HAEFNHM3.js";

// src/action/github-host.ts
var githubHost = {
  info: (m) => info(m),
  warning: (m) => warning(m),
  error: (m) => error(m),
  notice: (m) => notice(m),
  debug: (m) => debug(m),
  setSecret: (v) => setSecret(v),
  exportVariable: (n, v) => exportVariable(n, v),
  setOutput: (n, v) => setOutput(n, v),
  saveState: (n, v) => saveState(n, v),
  getState: (n) => getState(n),
  async writeSummary(markdown) {
    if (process.env.GITHUB_STEP_SUMMARY) await summary.addRaw(markdown).write();
    else info(markdown);
  },
  fail: (m) => setFailed(m)
};
var actionInput = (name) => getInput(name);

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
      throw new InputError("cache", `'${value}' is not a valid URL; ${accepts}`);
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

// src/failure.ts
function reportFailure(e, strict) {
  const message = `nix-buildtime-cache: ${e instanceof Error ? e.message : String(e)}`;
  if (strict) host().fail(message);
  else log.warning(message);
}

export {
  githubHost,
  actionInput,
  InputError,
  readInputs,
  saveMainState,
  loadMainState,
  reportFailure
};
