#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  AnotherGcDeleting,
  DELETE_BATCH
} from "./chunk-NYSGCFNQ.js";
import {
  GC_HEARTBEAT_KEY,
  describeS3Error,
  heartbeatEveryMs,
  heartbeatLiveMs,
  readHeartbeat,
  writeHeartbeat
} from "./chunk-3AVJ4UYM.js";
import "./chunk-MR5IPH4H.js";
import "./chunk-WPHW6MTC.js";
import "./chunk-72I3IZBR.js";
import "./chunk-SUVJ4ZAQ.js";
import {
  require_dist_cjs,
  s3ClientConfig
} from "./chunk-AJY2XOBS.js";
import "./chunk-Z3KDMJWA.js";
import {
  RequestGuard,
  isTransientError,
  retryLine,
  retryOptions,
  withRetry
} from "./chunk-EGCALRY5.js";
import {
  JobBudget,
  log,
  timings
} from "./chunk-LXHOX3IK.js";
import "./chunk-6KE3EQZP.js";
import {
  __toESM
} from "./chunk-WSR6M3NS.js";

// src/executors/binary-cache/s3-listing.ts
var import_client_s3 = __toESM(require_dist_cjs(), 1);
import { randomBytes } from "node:crypto";
var statusOf = (e) => e?.$metadata?.httpStatusCode;
var isAbsent = (e) => statusOf(e) === 404 || e?.name === "NoSuchKey" || e?.name === "NotFound";
function kindOf(e) {
  if (isAbsent(e)) return "answer";
  const status = statusOf(e);
  if (status === void 0) return "connection";
  return status >= 500 || status === 429 ? "server-error" : "refused";
}
var isRetryable = (e) => e instanceof DeleteTooLate || kindOf(e) === "server-error" || isTransientError(e);
var DeleteTooLate = class extends Error {
};
var HEAD_PARALLEL = 32;
var S3Collectable = class {
  displayUrl;
  requests = 0;
  client;
  bucket;
  guard;
  deleteGuard;
  budget;
  windowMs;
  /** When the heartbeat was last renewed (the request's start, on the monotonic clock). */
  lastBeat = -Infinity;
  /** This run, as its heartbeat names it. */
  run = randomBytes(6).toString("hex");
  constructor(opts) {
    const { location } = opts;
    this.bucket = location.bucket;
    this.displayUrl = `s3://${location.bucket}`;
    const t = timings();
    this.budget = opts.budget ?? new JobBudget({ budgetMs: t.jobBudgetMs, breakerThreshold: t.breakerThreshold });
    this.windowMs = t.gcWindowMs;
    const policy = {
      budget: this.budget,
      idleMs: t.idleMs,
      followDeadline: true,
      verdict: kindOf,
      retry: { isRetryable },
      isTrouble: (e) => kindOf(e) !== "answer" && kindOf(e) !== "refused",
      cause: describeS3Error
    };
    this.guard = new RequestGuard(policy);
    this.deleteGuard = new RequestGuard({ ...policy, retry: { attempts: 1 } });
    const config = {
      ...s3ClientConfig(location, opts.credentials),
      maxAttempts: 1,
      requestHandler: { connectionTimeout: t.connectMs, socketTimeout: t.idleMs }
    };
    this.client = new import_client_s3.S3Client(config);
    if (location.forcePathStyle) {
      const bucketPath = `/${location.bucket}/`;
      this.client.middlewareStack.add(
        (next) => async (args) => {
          const request = args.request;
          if (request.path === bucketPath) request.path = bucketPath.slice(0, -1);
          return next(args);
        },
        { step: "build", name: "bucketPathWithoutSlash" }
      );
    }
  }
  send(what, call, guard = this.guard) {
    this.requests++;
    return guard.run(`${what} ${this.displayUrl}`, (a) => call(a.signal));
  }
  async *pages() {
    let token;
    do {
      const res = await this.send(
        "LIST",
        (abortSignal) => this.client.send(new import_client_s3.ListObjectsV2Command({ Bucket: this.bucket, ContinuationToken: token, MaxKeys: 1e3 }), { abortSignal })
      ).catch((e) => {
        throw new Error(`LIST ${this.displayUrl}: ${describeS3Error(e)}`, { cause: e });
      });
      const page = [];
      for (const o of res.Contents ?? []) {
        if (o.Key === void 0 || o.Key === GC_HEARTBEAT_KEY) continue;
        page.push({ key: o.Key, size: o.Size ?? 0, mtimeMs: o.LastModified?.getTime() ?? 0 });
      }
      if (page.length > 0) yield page;
      token = res.IsTruncated ? res.NextContinuationToken : void 0;
    } while (token !== void 0);
  }
  async read(key) {
    try {
      return await this.send(`GET ${key}`, async (abortSignal) => {
        const res = await this.client.send(new import_client_s3.GetObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal });
        return await res.Body?.transformToString() ?? "";
      });
    } catch (e) {
      if (isAbsent(e)) return void 0;
      throw new Error(`GET ${this.displayUrl}/${key}: ${describeS3Error(e)}`, { cause: e });
    }
  }
  /** The modification time now, or undefined when the object is gone. */
  async lastModified(key) {
    try {
      const res = await this.send(`HEAD ${key}`, (abortSignal) => this.client.send(new import_client_s3.HeadObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal }));
      return res.LastModified?.getTime() ?? 0;
    } catch (e) {
      if (isAbsent(e)) return void 0;
      throw new Error(`HEAD ${this.displayUrl}/${key}: ${describeS3Error(e)}`, { cause: e });
    }
  }
  /**
   * S3 cannot rename, so each key's modification time is read again (HEAD) just before the batch
   * is deleted: what a push touched since the listing stays (docs/gc.md names the window left).
   * A DeleteObjects that fails (a 500) is tried again with its checks: retried on its own after a
   * backoff of up to 30 s, it would widen that window by the backoff.
   */
  async remove(keys, cutoffMs) {
    if (keys.length > DELETE_BATCH) throw new Error(`at most ${DELETE_BATCH} keys per delete`);
    const tried = /* @__PURE__ */ new Set();
    const attempts = retryOptions().attempts;
    return withRetry(() => this.checkAndDelete(keys, cutoffMs, tried), {
      isRetryable,
      remainingMs: () => this.budget.remainingMs(),
      onRetry: (e, n, delayMs) => log.info(retryLine(describeS3Error(e), `DELETE ${keys.length} objects ${this.displayUrl} (checked again first)`, n, attempts, delayMs))
    });
  }
  /**
   * Tells pushes that a GC is deleting (gc-window.ts): renewed before each round of checks when
   * older than half the window. Without it a push could not know that its touch may have come too
   * late, so a GC that cannot write it deletes nothing. The first time, a heartbeat another run
   * renewed within its live span, and did not end, stops this run before it deletes anything.
   */
  async heartbeat() {
    if (performance.now() - this.lastBeat < heartbeatEveryMs(this.windowMs)) return;
    if (this.lastBeat === -Infinity) await this.refuseBesideAnother();
    const started = performance.now();
    await this.send(`PUT ${GC_HEARTBEAT_KEY}`, (abortSignal) => writeHeartbeat(this.client, this.bucket, this.run, "deleting", abortSignal)).catch((e) => {
      throw new Error(`PUT ${this.displayUrl}/${GC_HEARTBEAT_KEY} (pushes read it to learn that a GC is deleting; the GC needs s3:PutObject there): ${describeS3Error(e)}`, { cause: e });
    });
    this.lastBeat = started;
  }
  async refuseBesideAnother() {
    let beat;
    try {
      beat = await this.send(`HEAD ${GC_HEARTBEAT_KEY}`, (abortSignal) => readHeartbeat(this.client, this.bucket, abortSignal));
    } catch (e) {
      if (isAbsent(e)) return;
      throw new Error(`HEAD ${this.displayUrl}/${GC_HEARTBEAT_KEY}: ${describeS3Error(e)}`, { cause: e });
    }
    const live = heartbeatLiveMs(this.windowMs);
    if (beat.run === this.run || beat.ended || beat.ageMs >= live) return;
    throw new AnotherGcDeleting(
      `another GC has been deleting from ${this.displayUrl} (its heartbeat ${GC_HEARTBEAT_KEY} was renewed ${Math.round(beat.ageMs / 1e3)} s ago); run one GC at a time per cache. Nothing was deleted. One that was stopped mid-way holds the cache for ${Math.round(live / 1e3)} s.`
    );
  }
  async finish() {
    if (this.lastBeat === -Infinity) return;
    await this.send(`PUT ${GC_HEARTBEAT_KEY}`, (abortSignal) => writeHeartbeat(this.client, this.bucket, this.run, "ended", abortSignal)).catch((e) => {
      log.info(`PUT ${this.displayUrl}/${GC_HEARTBEAT_KEY} (the GC has ended): ${describeS3Error(e)}`);
    });
  }
  async checkAndDelete(keys, cutoffMs, tried) {
    const out = { deleted: [], fresh: [], missing: [] };
    let pending = keys;
    let doomed = [];
    let checked;
    for (; ; ) {
      await this.heartbeat();
      checked = performance.now();
      doomed = [];
      let next = 0;
      const lane = async () => {
        while (next < pending.length) {
          const key = pending[next++];
          const m = await this.lastModified(key);
          if (m === void 0) (tried.has(key) ? out.deleted : out.missing).push(key);
          else if (m >= cutoffMs) out.fresh.push(key);
          else doomed.push(key);
        }
      };
      await Promise.all(Array.from({ length: Math.min(HEAD_PARALLEL, pending.length) }, lane));
      if (doomed.length === 0) return out;
      if (performance.now() - checked <= this.windowMs / 2) break;
      pending = doomed;
    }
    for (const k of doomed) tried.add(k);
    const late = AbortSignal.timeout(Math.max(1, Math.floor(this.windowMs - (performance.now() - checked))));
    const res = await this.send(
      `DELETE ${doomed.length} objects`,
      (abortSignal) => this.client.send(new import_client_s3.DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: doomed.map((Key) => ({ Key })), Quiet: true } }), {
        abortSignal: AbortSignal.any([abortSignal, late])
      }),
      this.deleteGuard
    ).catch((e) => {
      if (late.aborted) throw new DeleteTooLate(`DeleteObjects on ${this.displayUrl} not answered within ${this.windowMs / 1e3} s of its checks`, { cause: e });
      throw e;
    });
    const failed = new Set((res.Errors ?? []).map((e) => e.Key));
    if (failed.size > 0) {
      const first = res.Errors?.[0];
      throw new Error(`DeleteObjects on ${this.displayUrl}: ${failed.size} of ${doomed.length} not deleted, first ${first?.Key}: ${first?.Code} ${first?.Message}`);
    }
    out.deleted.push(...doomed);
    return out;
  }
  close() {
    this.client.destroy();
  }
};
export {
  S3Collectable
};
