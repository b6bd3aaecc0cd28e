import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  FileBackend,
  RetryableHttpError,
  batches,
  hashPart,
  host,
  log,
  parseRetryAfter,
  runNix,
  selectPaths,
  uploadPaths,
  withRetry,
  withoutCached
} from "./chunk-HR4TMU77.js";
import {
  CONTENT_TYPES,
  cacheInfoText,
  readCacheInfoStoreDir
} from "./chunk-P3US556H.js";

// src/backends/http.ts
import { STATUS_CODES } from "node:http";
import { Readable } from "node:stream";
import { types } from "node:util";

// src/netrc.ts
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
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
  return join(process.env["HOME"] || homedir(), ".netrc");
}
async function loadNetrc(file) {
  let text;
  try {
    text = await readFile(netrcPath(file), "utf8");
  } catch (e) {
    const code = e.code;
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    throw e;
  }
  return parseNetrc(text);
}

// src/backends/http.ts
var HttpStatusError = class extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
    this.name = "HttpStatusError";
  }
  status;
};
function isRetryableStatus(status) {
  return status === 408 || status === 429 || status >= 500;
}
function statusLine(res) {
  const text = res.statusText || STATUS_CODES[res.status] || "";
  return `HTTP ${res.status}${text ? ` ${text}` : ""}`;
}
function describeError(e) {
  if (!types.isNativeError(e)) return String(e);
  const cause = e.cause;
  if (types.isNativeError(cause)) {
    const code = cause.code;
    return `${e.message}: ${cause.message}${code && !cause.message.includes(code) ? ` (${code})` : ""}`;
  }
  return e.message;
}
function finalError(what, e, attempts) {
  if (e instanceof HttpStatusError) return e;
  const tries = attempts > 1 ? ` (gave up after ${attempts} attempts)` : "";
  if (e instanceof RetryableHttpError) {
    return tries ? new RetryableHttpError(`${e.message}${tries}`, e.status, e.retryAfterMs) : e;
  }
  return new Error(`${what}: ${describeError(e)}${tries}`, { cause: e });
}
async function discard(res) {
  try {
    await res.body?.cancel();
  } catch {
  }
}
async function mapLimit(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return results;
}
var HttpBackend = class {
  displayUrl;
  base;
  host;
  concurrency;
  retry;
  warn;
  opts;
  authPromise;
  urlAuth;
  constructor(opts) {
    let url;
    try {
      url = new URL(opts.url);
    } catch {
      throw new Error("Invalid binary cache URL (expected http:// or https://)");
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new Error(`Unsupported binary cache URL scheme ${url.protocol} (expected http:// or https://)`);
    }
    if (url.username !== "" || url.password !== "") {
      const user = decodeURIComponent(url.username);
      const pass = decodeURIComponent(url.password);
      this.urlAuth = `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
    }
    this.base = `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
    this.displayUrl = this.base;
    this.host = url.hostname;
    this.concurrency = opts.concurrency ?? 32;
    this.retry = opts.retry ?? {};
    this.warn = opts.warn ?? (() => {
    });
    this.opts = opts;
  }
  /** Resolved once: reading netrc for every request would be wasteful. */
  auth() {
    this.authPromise ??= (async () => {
      const { authHeader, netrcFile } = this.opts;
      if (authHeader) return { [authHeader.name]: authHeader.value };
      if (this.urlAuth) return { Authorization: this.urlAuth };
      const entry = credentialsFor(this.host, await loadNetrc(netrcFile));
      if (entry?.login === void 0 && entry?.password === void 0) return {};
      const basic = Buffer.from(`${entry.login ?? ""}:${entry.password ?? ""}`).toString("base64");
      return { Authorization: `Basic ${basic}` };
    })();
    return this.authPromise;
  }
  retryOptions(what) {
    const userOnRetry = this.retry.onRetry;
    return {
      ...this.retry,
      onRetry: (e, attempt, delayMs) => {
        this.warn(`${what}: ${describeError(e)}; retrying in ${(delayMs / 1e3).toFixed(1)} s (attempt ${attempt + 1})`);
        userOnRetry?.(e, attempt, delayMs);
      }
    };
  }
  retryable(what, res) {
    return new RetryableHttpError(
      `${what}: ${statusLine(res)}`,
      res.status,
      parseRetryAfter(res.headers.get("retry-after"))
    );
  }
  async existing(hashParts) {
    const headers = await this.auth();
    const present = await mapLimit(hashParts, this.concurrency, async (hash) => {
      const url = `${this.base}/${hash}.narinfo`;
      const what = `HEAD ${this.displayUrl}/${hash}.narinfo`;
      try {
        return await withRetry(async () => {
          const res = await fetch(url, { method: "HEAD", headers });
          await discard(res);
          if (res.ok) return true;
          if (res.status === 404 || res.status === 403) return false;
          if (isRetryableStatus(res.status)) throw this.retryable(what, res);
          this.warn(`${what}: ${statusLine(res)}; assuming it is not cached`);
          return false;
        }, this.retryOptions(what));
      } catch (e) {
        this.warn(`${what}: ${describeError(e)}; assuming it is not cached`);
        return false;
      }
    });
    return new Set(hashParts.filter((_, i) => present[i]));
  }
  async put(key, body, contentType) {
    const headers = { ...await this.auth(), "Content-Type": contentType };
    const url = `${this.base}/${key}`;
    const what = `PUT ${this.displayUrl}/${key}`;
    let attempts = 0;
    try {
      await withRetry(async (attempt) => {
        attempts = attempt;
        const stream = body();
        try {
          const res = await fetch(url, {
            method: "PUT",
            headers,
            body: Readable.toWeb(stream),
            duplex: "half",
            // A streamed body cannot be replayed to a redirect target, so report redirects instead.
            redirect: "manual"
          });
          await discard(res);
          if (res.ok) return;
          if (isRetryableStatus(res.status)) throw this.retryable(what, res);
          throw new HttpStatusError(`${what}: ${statusLine(res)}`, res.status);
        } finally {
          stream.destroy();
        }
      }, this.retryOptions(what));
    } catch (e) {
      throw finalError(what, e, attempts);
    }
  }
  async prepare(storeDir) {
    const what = `GET ${this.displayUrl}/nix-cache-info`;
    const headers = await this.auth();
    let attempts = 0;
    const existing = await withRetry(async (attempt) => {
      attempts = attempt;
      const res = await fetch(`${this.base}/nix-cache-info`, { headers });
      if (res.ok) return await res.text();
      await discard(res);
      if (res.status === 404 || res.status === 403) return void 0;
      if (isRetryableStatus(res.status)) throw this.retryable(what, res);
      throw new HttpStatusError(`${what}: ${statusLine(res)}`, res.status);
    }, this.retryOptions(what)).catch((e) => {
      throw finalError(what, e, attempts);
    });
    if (existing === void 0) {
      const text = cacheInfoText(storeDir);
      await this.put("nix-cache-info", () => Readable.from([Buffer.from(text)]), CONTENT_TYPES.cacheInfo);
      return;
    }
    const theirs = readCacheInfoStoreDir(existing);
    if (theirs !== void 0 && theirs !== storeDir) {
      throw new Error(
        `${this.displayUrl} is a binary cache for store directory ${theirs}, but this machine's store is ${storeDir}`
      );
    }
  }
};

// src/backends/index.ts
async function binaryCacheBackend(inputs) {
  const { cache } = inputs;
  if (cache.kind === "file") return new FileBackend(cache.dir);
  if (cache.kind === "http") {
    return new HttpBackend({ url: cache.url, authHeader: inputs.authHeader, netrcFile: inputs.netrcFile });
  }
  if (cache.kind === "s3") {
    const { S3Backend } = await import("./s3-ZCDTM2KS.js");
    return new S3Backend({ location: cache.s3, warn: (m) => log.warning(m) });
  }
  return void 0;
}

// src/backends/nix-copy.ts
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join as join2 } from "node:path";
async function pushWithNixCopy(paths, opts) {
  const outcome = { pushed: [], failed: [], vanished: [] };
  if (paths.length === 0) return outcome;
  if (opts.secretKeyText) await signLocally(paths, opts.secretKeyText);
  for (const batch of batches(paths)) {
    const r = await runNix("nix", ["copy", "--no-check-sigs", "--to", opts.uri, ...batch], { allowFailure: true });
    if (r.exitCode === 0) {
      for (const p of batch) outcome.pushed.push({ path: p, narSize: opts.narSizes.get(p) ?? 0, fileSize: 0 });
    } else {
      const reason = `nix copy failed: ${r.stderr.trim().split("\n").slice(-2).join(" ")}`;
      for (const p of batch) outcome.failed.push({ path: p, reason });
    }
  }
  return outcome;
}
async function signLocally(paths, keyText) {
  const dir = await mkdtemp(join2(host().tempDir, "nix-buildtime-cache-key-"));
  const keyFile = join2(dir, "secret-key");
  try {
    await writeFile(keyFile, keyText, { mode: 384 });
    await chmod(keyFile, 384);
    let command = ["store", "sign"];
    for (const batch of batches(paths)) {
      let r = await runNix("nix", [...command, "--recursive", "--key-file", keyFile, ...batch], { allowFailure: true });
      if (r.exitCode !== 0 && command.length === 2) {
        command = ["sign-paths"];
        r = await runNix("nix", [...command, "--recursive", "--key-file", keyFile, ...batch], { allowFailure: true });
      }
      if (r.exitCode !== 0) {
        log.warning(`Could not sign paths locally (${r.stderr.trim().split("\n").pop()}); they are copied unsigned.`);
        return;
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// src/push.ts
function selectFromFacts(inputs, facts) {
  return selectPaths({
    newPaths: facts.newPaths,
    closure: facts.closure,
    signatures: new Map([...facts.infos].map(([p, i]) => [p, i.signatures])),
    policy: {
      includeDerivations: inputs.includeDerivations,
      includePreExisting: inputs.pushPreExisting,
      skipSignedBy: inputs.skipSignedBy,
      exclude: inputs.exclude
    }
  });
}
async function withoutExisting(selection, backend) {
  if (selection.push.length === 0) return selection;
  const present = await backend.existing(selection.push.map(hashPart));
  return withoutCached(selection, new Set(selection.push.filter((p) => present.has(hashPart(p)))));
}
async function selectAndPush(inputs, store, facts) {
  let selection = selectFromFacts(inputs, facts);
  const outcome = { pushed: [], failed: [], vanished: [] };
  const backend = await binaryCacheBackend(inputs);
  if (!backend) {
    if (inputs.dryRun) return { selection, outcome, mode: "dry-run" };
    const narSizes = new Map([...facts.infos].map(([p, i]) => [p, i.narSize]));
    const copied = await pushWithNixCopy(selection.push, {
      uri: inputs.cache.url,
      secretKeyText: inputs.secretKeyText,
      narSizes
    });
    return { selection, outcome: copied, mode: "push" };
  }
  if (selection.push.length === 0) return { selection, outcome, mode: inputs.dryRun ? "dry-run" : "push" };
  const signer = inputs.secretKey;
  if (!inputs.dryRun && !signer) {
    const note = "No secret-key: this job only pulls from the cache (as on pull requests from forks). Nothing was uploaded.";
    log.notice(note);
    return { selection, outcome, mode: "pull-only", note };
  }
  if (!inputs.dryRun) await backend.prepare(store.storeDir);
  selection = await withoutExisting(selection, backend);
  if (inputs.dryRun || !signer || selection.push.length === 0) return { selection, outcome, mode: inputs.dryRun ? "dry-run" : "push" };
  const infos = selection.push.map((p) => facts.infos.get(p)).filter((i) => i !== void 0);
  const result = await uploadPaths(infos, {
    backend,
    signer,
    compression: inputs.compression,
    parallelism: inputs.parallelism,
    realStoreDir: store.realStoreDir
  });
  return { selection, outcome: result, mode: "push" };
}

export {
  selectFromFacts,
  selectAndPush
};
