#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  RequestGuard,
  RequestTimeout,
  RetryableHttpError,
  parseRetryAfter
} from "./chunk-R2G23YRC.js";
import {
  CacheUnavailableError,
  JobBudget,
  timings
} from "./chunk-24U267C3.js";

// src/executors/cachix/api.ts
import { STATUS_CODES } from "node:http";
var CachixRefused = class extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
    this.name = "CachixRefused";
  }
  status;
};
var CachixError = class extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
    this.name = "CachixError";
  }
  status;
};
function failureKind(e) {
  if (e instanceof RequestTimeout) return "timeout";
  if (e instanceof RetryableHttpError) return "server-error";
  if (e instanceof CachixRefused || e instanceof CachixError) return "refused";
  return "connection";
}
var isRetryableStatus = (status) => status === 408 || status === 429 || status >= 500;
async function errorText(res) {
  const status = `HTTP ${res.status} ${res.statusText || STATUS_CODES[res.status] || ""}`.trim();
  const body = (await res.text().catch(() => "")).trim();
  return body !== "" && body.length <= 300 && !body.startsWith("<") ? `${status}: ${body}` : status;
}
var MISSING_BATCH = 32768;
var CachixApi = class {
  constructor(opts) {
    this.opts = opts;
    const t = timings();
    this.requests = new RequestGuard({
      budget: opts.budget ?? new JobBudget({ budgetMs: t.jobBudgetMs, breakerThreshold: t.breakerThreshold }),
      idleMs: t.idleMs,
      followDeadline: true,
      retry: { ...opts.retry, isRetryable: (e) => !(e instanceof CachixRefused || e instanceof CachixError || e instanceof CacheUnavailableError) },
      verdict: failureKind,
      cause: (e, what) => {
        const text = e instanceof Error ? e.message : String(e);
        return text.startsWith(`${what}: `) ? text.slice(what.length + 2) : text;
      },
      final: (e, what, attempts) => attempts > 1 && e instanceof Error && !(e instanceof CachixRefused || e instanceof CachixError) ? new Error(`${what}: ${e.message} (gave up after ${attempts} attempts)`, { cause: e }) : e
    });
  }
  opts;
  requests;
  get cacheName() {
    return this.opts.cacheName;
  }
  url(route) {
    return new URL(route, this.opts.apiBase).toString();
  }
  headers(extra = {}) {
    return { ...extra, ...this.opts.token ? { Authorization: `Bearer ${this.opts.token}` } : {} };
  }
  async check(what, res) {
    if (res.ok) return;
    const text = await errorText(res);
    if (isRetryableStatus(res.status)) throw new RetryableHttpError(`${what}: ${text}`, res.status, parseRetryAfter(res.headers.get("retry-after")));
    if (res.status === 401 || res.status === 403) throw new CachixRefused(`${what}: ${text}`, res.status);
    throw new CachixError(`${what}: ${text}`, res.status);
  }
  /** One JSON call to the API, guarded. `display` names it in logs without the query string. */
  call(method, route, body) {
    const what = `${method} ${this.url(route).split("?")[0]}`;
    return this.requests.run(what, async (a) => {
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
    return this.requests.run(what, async (a) => {
      const res = await fetch(uploadUrl, {
        method: "PUT",
        headers: { "Content-Type": "application/octet-stream", "Content-MD5": contentMD5 },
        body: part,
        signal: a.signal
      });
      await this.check(what, res);
      await res.body?.cancel();
      const etag = res.headers.get("etag");
      if (!etag) throw new CachixError(`${what}: the storage answered without an ETag`, res.status);
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
  const cause = e.message.slice(e.message.indexOf(": ") + 2);
  const why = e.status === 401 ? "it is not valid, or has expired" : "it may not write to the cache (a read-only or another cache's token)";
  return `Cachix refused the auth-token for cache ${cacheName} (${cause}): ${why}. Nothing more was uploaded to it.`;
}

export {
  CachixRefused,
  CachixApi,
  cachixRefusalMessage
};
