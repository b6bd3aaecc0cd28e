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

// src/executors/attic/api.ts
import { Readable } from "node:stream";
import { STATUS_CODES } from "node:http";
var NAR_INFO_PREAMBLE_THRESHOLD = 4 * 1024;
var AtticRefused = class extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
    this.name = "AtticRefused";
  }
  status;
};
function refusalMessage(e, cacheName) {
  const cause = e.message.slice(e.message.indexOf(": ") + 2);
  const why = e.status === 401 ? "it is not valid for the cache, or has expired" : "it lacks push permission (w) on the cache";
  return `The Attic server refused the auth-token for cache ${cacheName} (${cause}): ${why}. Nothing more was uploaded to it.`;
}
var AtticError = class extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
    this.name = "AtticError";
  }
  status;
};
function failureKind(e) {
  if (e instanceof RequestTimeout) return "timeout";
  if (e instanceof RetryableHttpError) return "server-error";
  if (e instanceof AtticRefused || e instanceof AtticError) return "refused";
  return "connection";
}
var isRetryableStatus = (status) => status === 408 || status === 429 || status >= 500;
async function errorText(res) {
  const status = `HTTP ${res.status} ${res.statusText || STATUS_CODES[res.status] || ""}`.trim();
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
    this.endpoint = opts.endpoint;
    const t = timings();
    this.requests = new RequestGuard({
      budget: opts.budget ?? new JobBudget({ budgetMs: t.jobBudgetMs, breakerThreshold: t.breakerThreshold }),
      idleMs: t.idleMs,
      followDeadline: true,
      retry: { ...opts.retry, isRetryable: (e) => !(e instanceof AtticRefused || e instanceof AtticError) && !(e instanceof CacheUnavailableError) },
      verdict: failureKind,
      // Our errors begin with the request's name, which the guard's lines give already.
      cause: (e, what) => {
        const text = e instanceof Error ? e.message : String(e);
        return text.startsWith(`${what}: `) ? text.slice(what.length + 2) : text;
      },
      final: (e, what, attempts) => attempts > 1 && e instanceof Error && !(e instanceof AtticRefused || e instanceof AtticError) ? new Error(`${what}: ${e.message} (gave up after ${attempts} attempts)`, { cause: e }) : e
    });
  }
  opts;
  requests;
  endpoint;
  get cacheName() {
    return this.opts.cacheName;
  }
  /** `bearer`, as the Attic client sends it (client/src/api/mod.rs, build_http_client). */
  headers(extra = {}) {
    return { ...extra, ...this.opts.token ? { Authorization: `bearer ${this.opts.token}` } : {} };
  }
  url(route) {
    return new URL(route, this.endpoint).toString();
  }
  /** Throws what a non-2xx answer means: retried (5xx, 429), refused (401, 403), or final. */
  async check(what, res) {
    if (res.ok) return;
    const text = await errorText(res);
    if (isRetryableStatus(res.status)) throw new RetryableHttpError(`${what}: ${text}`, res.status, parseRetryAfter(res.headers.get("retry-after")));
    if (res.status === 401 || res.status === 403) throw new AtticRefused(`${what}: ${text}`, res.status);
    throw new AtticError(`${what}: ${text}`, res.status);
  }
  /** The cache's config; later calls go to its `api_endpoint`, as `attic push` does. */
  async cacheConfig() {
    const route = `_api/v1/cache-config/${this.opts.cacheName}`;
    const what = `GET ${this.url(route)}`;
    const config = await this.requests.run(what, async (a) => {
      const res = await fetch(this.url(route), { headers: this.headers(), signal: a.signal });
      await this.check(what, res);
      return await res.json();
    });
    if (config.api_endpoint) this.endpoint = config.api_endpoint.endsWith("/") ? config.api_endpoint : `${config.api_endpoint}/`;
    return config;
  }
  /** The hashes the cache lacks, of `hashes` (server/src/api/v1/get_missing_paths.rs). */
  async missingPaths(hashes) {
    const missing = /* @__PURE__ */ new Set();
    for (let i = 0; i < hashes.length; i += 1e4) {
      const batch = hashes.slice(i, i + 1e4);
      const what = `POST ${this.url("_api/v1/get-missing-paths")}`;
      const answer = await this.requests.run(what, async (a) => {
        const res = await fetch(this.url("_api/v1/get-missing-paths"), {
          method: "POST",
          headers: this.headers({ "Content-Type": "application/json" }),
          body: JSON.stringify({ cache: this.opts.cacheName, store_path_hashes: batch }),
          signal: a.signal
        });
        await this.check(what, res);
        return await res.json();
      });
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
    const what = `PUT ${this.url(route)} (${info.store_path_hash})`;
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
      const headers = this.headers({
        "Content-Type": "application/octet-stream",
        ...preamble ? { "X-Attic-Nar-Info-Preamble-Size": String(Buffer.byteLength(json)) } : { "X-Attic-Nar-Info": json }
      });
      try {
        const res = await fetch(this.url(route), {
          method: "PUT",
          headers,
          body: Readable.toWeb(Readable.from(withPreamble())),
          duplex: "half",
          signal: a.signal
        });
        await this.check(what, res);
        return await res.json().catch(() => ({}));
      } finally {
        source.destroy();
      }
    });
  }
};

export {
  AtticRefused,
  refusalMessage,
  AtticApi
};
