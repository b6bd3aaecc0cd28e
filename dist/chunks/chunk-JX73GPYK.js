#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  limiter
} from "./chunk-SUVJ4ZAQ.js";
import {
  RequestGuard,
  RequestTimeout,
  RetryableHttpError,
  parseRetryAfter
} from "./chunk-EGCALRY5.js";
import {
  CacheUnavailableError,
  JobBudget,
  timings
} from "./chunk-LXHOX3IK.js";

// src/executors/attic/api.ts
import { Readable } from "node:stream";

// src/executors/server-api.ts
import { STATUS_CODES } from "node:http";
var ServerRefused = class extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
    this.name = "ServerRefused";
  }
  status;
};
var ServerError = class extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
    this.name = "ServerError";
  }
  status;
};
var isFinal = (e) => e instanceof ServerRefused || e instanceof ServerError;
function failureKind(e) {
  if (e instanceof RequestTimeout) return "timeout";
  if (e instanceof RetryableHttpError) return "server-error";
  if (isFinal(e)) return "refused";
  return "connection";
}
var isRetryableStatus = (status) => status === 408 || status === 429 || status >= 500;
async function plainErrorText(res) {
  const status = statusLine(res);
  const body = (await res.text().catch(() => "")).trim();
  return body !== "" && body.length <= 300 && !body.startsWith("<") ? `${status}: ${body}` : status;
}
var statusLine = (res) => `HTTP ${res.status} ${res.statusText || STATUS_CODES[res.status] || ""}`.trim();
var ServerRequests = class {
  constructor(dialect) {
    this.dialect = dialect;
    this.base = dialect.base;
    const t = timings();
    this.guard = new RequestGuard({
      budget: dialect.budget ?? new JobBudget({ budgetMs: t.jobBudgetMs, breakerThreshold: t.breakerThreshold }),
      idleMs: t.idleMs,
      followDeadline: true,
      retry: { ...dialect.retry, isRetryable: (e) => !isFinal(e) && !(e instanceof CacheUnavailableError) },
      verdict: failureKind,
      // Our errors begin with the request's name, which the guard's lines give already.
      cause: (e, what) => {
        const text = e instanceof Error ? e.message : String(e);
        return text.startsWith(`${what}: `) ? text.slice(what.length + 2) : text;
      },
      final: (e, what, attempts) => attempts > 1 && e instanceof Error && !isFinal(e) ? new Error(`${what}: ${e.message} (gave up after ${attempts} attempts)`, { cause: e }) : e
    });
  }
  dialect;
  guard;
  /** Public: a server may name another API endpoint for later calls (Attic's `api_endpoint`). */
  base;
  url(route) {
    return new URL(route, this.base).toString();
  }
  headers(extra = {}) {
    return { ...extra, ...this.dialect.token ? { Authorization: `${this.dialect.authScheme} ${this.dialect.token}` } : {} };
  }
  /** One guarded request; `what` names it in the guard's lines and in errors. */
  run(what, attempt) {
    return this.guard.run(what, attempt);
  }
  /** Throws what a non-2xx answer means: retried (408, 429, 5xx), refused (the token), or final. */
  async check(what, res) {
    if (res.ok) return;
    const text = await (this.dialect.errorText ?? plainErrorText)(res);
    if (isRetryableStatus(res.status)) throw new RetryableHttpError(`${what}: ${text}`, res.status, parseRetryAfter(res.headers.get("retry-after")));
    if (this.dialect.refusedStatuses.includes(res.status)) throw this.dialect.refused(`${what}: ${text}`, res.status);
    throw this.dialect.error(`${what}: ${text}`, res.status);
  }
  /** One JSON call to the API; an empty answer is undefined. Logs name it without the query string. */
  call(method, route, body) {
    const what = `${method} ${this.url(route).split("?")[0]}`;
    return this.run(what, async (a) => {
      const res = await fetch(this.url(route), {
        method,
        headers: this.headers(body === void 0 ? {} : { "Content-Type": "application/json" }),
        body: body === void 0 ? void 0 : JSON.stringify(body),
        signal: a.signal
      });
      await this.check(what, res);
      const text = await res.text();
      return text === "" ? void 0 : JSON.parse(text);
    });
  }
  /**
   * A PUT of bytes to a presigned storage URL (the bucket, not the server: no token). `etag` reads
   * the answer's ETag inside the attempt, so a server that must give one can refuse its absence.
   */
  put(what, url, body, headers, etag) {
    return this.run(what, async (a) => {
      const res = await fetch(url, { method: "PUT", headers, body, signal: a.signal });
      await this.check(what, res);
      await res.body?.cancel();
      return etag(res.headers.get("etag"), res.status);
    });
  }
};
var refusalCause = (e) => e.message.slice(e.message.indexOf(": ") + 2);

// src/executors/attic/api.ts
var NAR_INFO_PREAMBLE_THRESHOLD = 4 * 1024;
var AtticRefused = class extends ServerRefused {
  name = "AtticRefused";
};
function refusalMessage(e, cacheName) {
  const why = e.status === 401 ? "it is not valid for the cache, or has expired" : "it lacks push permission (w) on the cache";
  return `The Attic server refused the auth-token for cache ${cacheName} (${refusalCause(e)}): ${why}. Nothing more was uploaded to it.`;
}
var AtticError = class extends ServerError {
  name = "AtticError";
};
async function errorText(res) {
  const status = statusLine(res);
  const body = await res.text().catch(() => "");
  try {
    const parsed = JSON.parse(body);
    if (typeof parsed.error === "string") return `${status}: ${parsed.error}${typeof parsed.message === "string" ? `: ${parsed.message}` : ""}`;
  } catch {
  }
  return status;
}
var AtticApi = class {
  constructor(opts) {
    this.opts = opts;
    this.requests = new ServerRequests({
      ...opts,
      base: opts.endpoint,
      // `bearer`, as the Attic client sends it (client/src/api/mod.rs, build_http_client).
      authScheme: "bearer",
      refusedStatuses: [401, 403],
      refused: (m, s) => new AtticRefused(m, s),
      error: (m, s) => new AtticError(m, s),
      errorText
    });
  }
  opts;
  requests;
  get cacheName() {
    return this.opts.cacheName;
  }
  /** The cache's config; later calls go to its `api_endpoint`, as `attic push` does. */
  async cacheConfig() {
    const config = await this.requests.call("GET", `_api/v1/cache-config/${this.opts.cacheName}`);
    if (config.api_endpoint) this.requests.base = config.api_endpoint.endsWith("/") ? config.api_endpoint : `${config.api_endpoint}/`;
    return config;
  }
  /** The hashes the cache lacks, of `hashes` (server/src/api/v1/get_missing_paths.rs). */
  async missingPaths(hashes) {
    const missing = /* @__PURE__ */ new Set();
    for (let i = 0; i < hashes.length; i += 1e4) {
      const batch = hashes.slice(i, i + 1e4);
      const answer = await this.requests.call("POST", "_api/v1/get-missing-paths", { cache: this.opts.cacheName, store_path_hashes: batch });
      for (const h of answer.missing_paths ?? []) missing.add(h);
    }
    return missing;
  }
  /**
   * One `PUT /_api/v1/upload-path`: the raw NAR (the server compresses, chunks and signs), the
   * info in a header or, from 4 KiB, as a preamble. `nar` is called once per attempt.
   */
  async uploadPath(info, nar) {
    const route = "_api/v1/upload-path";
    const what = `PUT ${this.requests.url(route)} (${info.store_path_hash})`;
    const json = JSON.stringify(info);
    const preamble = Buffer.byteLength(json) >= NAR_INFO_PREAMBLE_THRESHOLD;
    return this.requests.run(what, async (a) => {
      const source = nar();
      async function* withPreamble() {
        if (preamble) yield Buffer.from(json);
        for await (const chunk of source) {
          a.touch();
          yield chunk;
        }
      }
      const headers = this.requests.headers({
        "Content-Type": "application/octet-stream",
        ...preamble ? { "X-Attic-Nar-Info-Preamble-Size": String(Buffer.byteLength(json)) } : { "X-Attic-Nar-Info": json }
      });
      try {
        const res = await fetch(this.requests.url(route), {
          method: "PUT",
          headers,
          body: Readable.toWeb(Readable.from(withPreamble())),
          duplex: "half",
          signal: a.signal
        });
        await this.requests.check(what, res);
        return await res.json().catch(() => ({}));
      } finally {
        source.destroy();
      }
    });
  }
};

// src/executors/cachix/api.ts
var CachixRefused = class extends ServerRefused {
  name = "CachixRefused";
};
var CachixError = class extends ServerError {
  name = "CachixError";
};
var MISSING_BATCH = 32768;
var CachixApi = class {
  constructor(opts) {
    this.opts = opts;
    this.requests = new ServerRequests({
      ...opts,
      base: opts.apiBase,
      authScheme: "Bearer",
      refusedStatuses: [401, 403],
      refused: (m, s) => new CachixRefused(m, s),
      error: (m, s) => new CachixError(m, s)
    });
  }
  opts;
  requests;
  get cacheName() {
    return this.opts.cacheName;
  }
  call(method, route, body) {
    return this.requests.call(method, route, body);
  }
  /** `GET /cache/{name}` (API.hs:69-74). */
  cache() {
    return this.call("GET", `cache/${this.opts.cacheName}`);
  }
  /** `POST /cache/{name}/narinfo`: the hashes the cache lacks (API.hs:75-83). */
  async missing(hashes) {
    const missing = /* @__PURE__ */ new Set();
    for (let i = 0; i < hashes.length; i += MISSING_BATCH) {
      const answer = await this.call("POST", `cache/${this.opts.cacheName}/narinfo`, hashes.slice(i, i + MISSING_BATCH));
      for (const h of answer ?? []) missing.add(h);
    }
    return missing;
  }
  /** `POST /cache/{name}/multipart-nar?compression=` (API.hs:103-111). */
  startUpload(compression) {
    return this.call("POST", `cache/${this.opts.cacheName}/multipart-nar?compression=${compression}`);
  }
  /** A presigned URL for one part (API.hs:112-123). */
  async partUrl(narId, uploadId, partNumber, contentMD5) {
    const r = await this.call(
      "POST",
      `cache/${this.opts.cacheName}/multipart-nar/${narId}?uploadId=${encodeURIComponent(uploadId)}&partNumber=${partNumber}`,
      { contentMD5 }
    );
    return r.uploadUrl;
  }
  /** `PUT` of one part to its presigned URL, with Content-MD5; returns the ETag (Push/S3.hs:98-122). */
  putPart(uploadUrl, part, contentMD5, partNumber) {
    const what = `PUT part ${partNumber} (presigned)`;
    return this.requests.put(what, uploadUrl, part, { "Content-Type": "application/octet-stream", "Content-MD5": contentMD5 }, (etag, status) => {
      if (!etag) throw new CachixError(`${what}: the storage answered without an ETag`, status);
      return etag;
    });
  }
  /** Completes the upload with the narinfo: the path is published (API.hs:124-136). */
  async complete(narId, uploadId, parts, narInfoCreate) {
    await this.call("POST", `cache/${this.opts.cacheName}/multipart-nar/${narId}/complete?uploadId=${encodeURIComponent(uploadId)}`, { parts, narInfoCreate });
  }
  /** Abandons an upload whose parts failed, so the storage drops them (API.hs:137-147). */
  async abort(narId, uploadId) {
    await this.call("POST", `cache/${this.opts.cacheName}/multipart-nar/${narId}/abort?uploadId=${encodeURIComponent(uploadId)}`);
  }
};
function cachixRefusalMessage(e, cacheName) {
  const cause = refusalCause(e);
  const why = e.status === 401 ? "it is not valid, or has expired" : "it may not write to the cache (a read-only or another cache's token)";
  return `Cachix refused the auth-token for cache ${cacheName} (${cause}): ${why}. Nothing more was uploaded to it.`;
}

// src/executors/niks3/api.ts
var Niks3Refused = class extends ServerRefused {
  name = "Niks3Refused";
};
var Niks3Error = class extends ServerError {
  name = "Niks3Error";
};
var Niks3Api = class {
  constructor(opts) {
    this.opts = opts;
    this.requests = new ServerRequests({
      ...opts,
      base: opts.endpoint,
      // `Bearer ` exactly: the server compares the prefix case-sensitively (server/server.go).
      authScheme: "Bearer",
      // Only 401 is about the token (AuthMiddleware); the server's 403 says a narinfo key is not part
      // of the pending closure, which is what signing a closure the server cleaned up gets.
      refusedStatuses: [401],
      refused: (m, s) => new Niks3Refused(m, s),
      error: (m, s) => new Niks3Error(m, s)
      // The niks3 client retries 429 and 503 after Retry-After (client/retry.go:21-49); ServerRequests
      // also retries other 5xx. Errors come in plain text (http.Error, server/uploads.go:34-45).
    });
  }
  opts;
  requests;
  call(method, route, body) {
    return this.requests.call(method, route, body);
  }
  cacheConfig() {
    return this.call("GET", "api/cache-config");
  }
  /** Which narinfo keys the bucket holds: `HEAD /api/objects/{key}`, 204 or 404 (server/uploads.go:403-426). */
  async present(keys) {
    const found = /* @__PURE__ */ new Set();
    const limit = limiter(this.opts.concurrency ?? 16);
    await Promise.all(
      keys.map(
        (key) => limit(async () => {
          const what = `HEAD ${this.requests.url(`api/objects/${key}`)}`;
          const held = await this.requests.run(what, async (a) => {
            const res = await fetch(this.requests.url(`api/objects/${key}`), { method: "HEAD", headers: this.requests.headers(), signal: a.signal });
            await res.body?.cancel();
            if (res.status === 404) return false;
            await this.requests.check(what, res);
            return true;
          });
          if (held) found.add(key);
        })
      )
    );
    return found;
  }
  openClosure(closure, objects) {
    return this.call("POST", "api/pending_closures", { closure, objects });
  }
  async requestParts(objectKey, uploadId, startPartNumber, numParts) {
    const r = await this.call("POST", "api/multipart/request-parts", { object_key: objectKey, upload_id: uploadId, start_part_number: startPartNumber, num_parts: numParts });
    return r.part_urls;
  }
  async completeMultipart(objectKey, uploadId, parts) {
    await this.call("POST", "api/multipart/complete", { object_key: objectKey, upload_id: uploadId, parts });
  }
  async sign(id, narinfos) {
    const r = await this.call("POST", `api/pending_closures/${id}/sign`, { narinfos });
    return r.signatures;
  }
  async commit(id) {
    await this.call("POST", `api/pending_closures/${id}/complete`);
  }
  /** A PUT to a presigned URL (the bucket, not the server: no token). Returns the ETag. */
  put(url, body, headers, what) {
    return this.requests.put(what, url, body, headers, (etag) => etag ?? "");
  }
};
function niks3RefusalMessage(e, endpoint) {
  const cause = refusalCause(e);
  return `The niks3 server ${endpoint} refused the auth-token (${cause}): it is not a token the server accepts (static token, or an OIDC token for its audience). Nothing more was uploaded to it.`;
}

export {
  AtticRefused,
  refusalMessage,
  AtticApi,
  CachixRefused,
  CachixApi,
  cachixRefusalMessage,
  Niks3Refused,
  Niks3Error,
  Niks3Api,
  niks3RefusalMessage
};
