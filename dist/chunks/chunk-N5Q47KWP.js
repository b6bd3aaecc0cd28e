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
} from "./chunk-R2G23YRC.js";
import {
  CacheUnavailableError,
  JobBudget,
  timings
} from "./chunk-24U267C3.js";

// src/executors/niks3/api.ts
import { STATUS_CODES } from "node:http";
var Niks3Refused = class extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
    this.name = "Niks3Refused";
  }
  status;
};
var Niks3Error = class extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
    this.name = "Niks3Error";
  }
  status;
};
function failureKind(e) {
  if (e instanceof RequestTimeout) return "timeout";
  if (e instanceof RetryableHttpError) return "server-error";
  if (e instanceof Niks3Refused || e instanceof Niks3Error) return "refused";
  return "connection";
}
var isRetryableStatus = (status) => status === 408 || status === 429 || status >= 500;
async function errorText(res) {
  const status = `HTTP ${res.status} ${res.statusText || STATUS_CODES[res.status] || ""}`.trim();
  const body = (await res.text().catch(() => "")).trim();
  return body !== "" && body.length <= 300 && !body.startsWith("<") ? `${status}: ${body}` : status;
}
var Niks3Api = class {
  constructor(opts) {
    this.opts = opts;
    const t = timings();
    this.requests = new RequestGuard({
      budget: opts.budget ?? new JobBudget({ budgetMs: t.jobBudgetMs, breakerThreshold: t.breakerThreshold }),
      idleMs: t.idleMs,
      followDeadline: true,
      retry: { ...opts.retry, isRetryable: (e) => !(e instanceof Niks3Refused || e instanceof Niks3Error || e instanceof CacheUnavailableError) },
      verdict: failureKind,
      cause: (e, what) => {
        const text = e instanceof Error ? e.message : String(e);
        return text.startsWith(`${what}: `) ? text.slice(what.length + 2) : text;
      },
      final: (e, what, attempts) => attempts > 1 && e instanceof Error && !(e instanceof Niks3Refused || e instanceof Niks3Error) ? new Error(`${what}: ${e.message} (gave up after ${attempts} attempts)`, { cause: e }) : e
    });
  }
  opts;
  requests;
  url(route) {
    return new URL(route, this.opts.endpoint).toString();
  }
  /** `Bearer ` exactly: the server compares the prefix case-sensitively (server/server.go). */
  headers(extra = {}) {
    return { ...extra, ...this.opts.token ? { Authorization: `Bearer ${this.opts.token}` } : {} };
  }
  async check(what, res) {
    if (res.ok) return;
    const text = await errorText(res);
    if (isRetryableStatus(res.status)) throw new RetryableHttpError(`${what}: ${text}`, res.status, parseRetryAfter(res.headers.get("retry-after")));
    if (res.status === 401) throw new Niks3Refused(`${what}: ${text}`, res.status);
    throw new Niks3Error(`${what}: ${text}`, res.status);
  }
  call(method, route, body) {
    const what = `${method} ${this.url(route)}`;
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
          const what = `HEAD ${this.url(`api/objects/${key}`)}`;
          const held = await this.requests.run(what, async (a) => {
            const res = await fetch(this.url(`api/objects/${key}`), { method: "HEAD", headers: this.headers(), signal: a.signal });
            await res.body?.cancel();
            if (res.status === 404) return false;
            await this.check(what, res);
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
    return this.requests.run(what, async (a) => {
      const res = await fetch(url, { method: "PUT", headers, body, signal: a.signal });
      await this.check(what, res);
      await res.body?.cancel();
      return res.headers.get("etag") ?? "";
    });
  }
};
function niks3RefusalMessage(e, endpoint) {
  const cause = e.message.slice(e.message.indexOf(": ") + 2);
  return `The niks3 server ${endpoint} refused the auth-token (${cause}): it is not a token the server accepts (static token, or an OIDC token for its audience). Nothing more was uploaded to it.`;
}

export {
  Niks3Refused,
  Niks3Error,
  Niks3Api,
  niks3RefusalMessage
};
