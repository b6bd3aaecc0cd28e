#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  probeEach
} from "./chunk-MR5IPH4H.js";
import {
  CONTENT_TYPES,
  NarMismatch,
  ensureCacheInfo
} from "./chunk-WPHW6MTC.js";
import {
  require_dist_cjs,
  s3ClientConfig
} from "./chunk-AJY2XOBS.js";
import {
  BudgetedRequest,
  RequestGuard,
  retryLine
} from "./chunk-EGCALRY5.js";
import {
  CacheUnavailableError,
  JobBudget,
  log,
  timings
} from "./chunk-LXHOX3IK.js";
import {
  __toESM
} from "./chunk-WSR6M3NS.js";

// src/executors/binary-cache/s3.ts
var import_client_s33 = __toESM(require_dist_cjs(), 1);
import { AsyncLocalStorage } from "node:async_hooks";
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";

// src/executors/binary-cache/s3-object-writer.ts
var import_client_s3 = __toESM(require_dist_cjs(), 1);
var PartSlots = class {
  constructor(total, size) {
    this.total = total;
    this.size = size;
  }
  total;
  size;
  made = 0;
  spare = [];
  waiting = [];
  async acquire() {
    const spare = this.spare.pop();
    if (spare) return spare;
    if (this.made < this.total) {
      this.made++;
      return Buffer.allocUnsafe(this.size);
    }
    return await new Promise((resolve) => this.waiting.push(resolve));
  }
  /** Gives a buffer back once nothing reads it any more (its part was sent, or will not be). */
  release(buffer) {
    const next = this.waiting.shift();
    if (next) next(buffer);
    else this.spare.push(buffer);
  }
};
async function* partsOf(body, slots) {
  let buffer = await slots.acquire();
  let size = 0;
  try {
    for await (const c of body) {
      let chunk = typeof c === "string" ? Buffer.from(c) : c;
      while (chunk.length > 0) {
        const take = Math.min(chunk.length, slots.size - size);
        chunk.copy(buffer, size, 0, take);
        size += take;
        chunk = chunk.subarray(take);
        if (size === slots.size) {
          const full = buffer;
          buffer = void 0;
          size = 0;
          yield { bytes: full, buffer: full, last: false };
          buffer = await slots.acquire();
        }
      }
    }
    const rest = buffer;
    buffer = void 0;
    yield { bytes: rest.subarray(0, size), buffer: rest, last: true };
  } finally {
    if (buffer) slots.release(buffer);
  }
}
async function writeObject(ctx, body, params) {
  const { key } = params;
  const condition = params.ifNoneMatch ? { IfNoneMatch: "*" } : {};
  const parts = partsOf(body, ctx.slots);
  try {
    const first = await parts.next();
    if (first.done) throw new Error("no body");
    if (first.value.last) {
      try {
        const bytes = first.value.bytes;
        await ctx.guarded(
          `PUT ${ctx.where(key)}`,
          (abortSignal) => ctx.client.send(
            new import_client_s3.PutObjectCommand({ Bucket: ctx.bucket, Key: key, Body: bytes, ContentLength: bytes.length, ContentType: params.contentType, ...condition }),
            { abortSignal }
          )
        );
      } finally {
        ctx.slots.release(first.value.buffer);
      }
      return;
    }
    await writeMultipart(ctx, first.value, parts, params, condition);
  } finally {
    await parts.return(void 0);
    body.destroy();
  }
}
async function writeMultipart(ctx, first, rest, params, condition) {
  const { key } = params;
  let uploadId;
  try {
    try {
      const created = await ctx.guarded(
        `POST ${ctx.where(key)}?uploads`,
        (abortSignal) => ctx.client.send(new import_client_s3.CreateMultipartUploadCommand({ Bucket: ctx.bucket, Key: key, ContentType: params.contentType }), { abortSignal })
      );
      uploadId = created.UploadId;
      if (!uploadId) throw new Error(`POST ${ctx.where(key)}?uploads: the server named no upload`);
    } catch (e) {
      ctx.slots.release(first.buffer);
      throw e;
    }
    const id = uploadId;
    const inFlight = /* @__PURE__ */ new Set();
    let partFailed = false;
    const done = [];
    const send = (part, n) => {
      const p = (async () => {
        try {
          const res = await ctx.guarded(
            `PUT ${ctx.where(key)} (part ${n})`,
            (abortSignal) => ctx.client.send(
              new import_client_s3.UploadPartCommand({ Bucket: ctx.bucket, Key: key, UploadId: id, PartNumber: n, Body: part.bytes, ContentLength: part.bytes.length }),
              { abortSignal }
            )
          );
          return { PartNumber: n, ETag: res.ETag };
        } finally {
          ctx.slots.release(part.buffer);
        }
      })();
      const settled = p.then(
        () => void inFlight.delete(settled),
        () => {
          partFailed = true;
          inFlight.delete(settled);
        }
      );
      inFlight.add(settled);
      done.push(p);
    };
    let failure;
    try {
      let n = 1;
      send(first, n);
      for (; ; ) {
        while (inFlight.size >= ctx.partsInFlight) await Promise.race(inFlight);
        if (partFailed) break;
        const next = await rest.next();
        if (next.done) break;
        const part = next.value;
        if (part.last && part.bytes.length === 0) {
          ctx.slots.release(part.buffer);
          break;
        }
        send(part, ++n);
      }
    } catch (e) {
      failure = { error: e };
    }
    const results = await Promise.allSettled(done);
    if (failure) throw failure.error;
    const rejected = results.find((r) => r.status === "rejected");
    if (rejected) throw rejected.reason;
    const completed = results.map((r) => r.value);
    await ctx.guarded(
      `POST ${ctx.where(key)}?uploadId`,
      (abortSignal) => ctx.client.send(
        new import_client_s3.CompleteMultipartUploadCommand({ Bucket: ctx.bucket, Key: key, UploadId: id, MultipartUpload: { Parts: completed }, ...condition }),
        { abortSignal }
      )
    );
    uploadId = void 0;
  } finally {
    if (uploadId !== void 0) await abortUpload(ctx, key, uploadId);
  }
}
async function abortUpload(ctx, key, uploadId) {
  try {
    await ctx.guarded(
      `DELETE ${ctx.where(key)}?uploadId`,
      (abortSignal) => ctx.client.send(new import_client_s3.AbortMultipartUploadCommand({ Bucket: ctx.bucket, Key: key, UploadId: uploadId }), { abortSignal })
    );
  } catch {
  }
}

// src/executors/binary-cache/gc-window.ts
var GC_HEARTBEAT_KEY = "nix-buildtime-cache/gc-heartbeat";
var heartbeatEveryMs = (windowMs) => windowMs / 2;
var SLACK_MS = 3e3;
var heartbeatLiveMs = (windowMs) => windowMs + heartbeatEveryMs(windowMs) + SLACK_MS;
function touchMayBeLost(lastBeatAt, touchedAt, windowMs) {
  if (lastBeatAt === void 0) return false;
  return lastBeatAt > touchedAt - heartbeatLiveMs(windowMs);
}

// src/executors/binary-cache/touch-settler.ts
import { setTimeout as sleep } from "node:timers/promises";
var TouchSettler = class {
  constructor(io, windowMs, now = () => performance.now(), onFirstWait = () => void 0) {
    this.io = io;
    this.windowMs = windowMs;
    this.now = now;
    this.onFirstWait = onFirstWait;
  }
  io;
  windowMs;
  now;
  onFirstWait;
  touches = /* @__PURE__ */ new Map();
  /** Found gone after a touch, and not written since. */
  lost = /* @__PURE__ */ new Set();
  checks = /* @__PURE__ */ new Map();
  beat;
  told = false;
  /** `key` was touched by a request sent at `sent`, answered just now. */
  touched(key, sent) {
    this.touches.set(key, { sent, answered: this.now() });
    this.lost.delete(key);
  }
  /** `key` was written anew: a GC's check made before the write found nothing to delete. */
  written(key) {
    this.touches.delete(key);
    this.lost.delete(key);
  }
  /** Those of `keys` this push touched and a GC then deleted; keys it never touched are not its to check. */
  async settle(keys) {
    const gone = new Set(keys.filter((k) => this.lost.has(k)));
    const open = keys.filter((k) => this.touches.has(k));
    if (open.length === 0) return gone;
    const lastBeatAt = await this.lastBeatAfter(Math.max(...open.map((k) => this.touches.get(k).sent)));
    await Promise.all(
      open.map(async (key) => {
        const touch = this.touches.get(key);
        if (touch === void 0) {
          if (this.lost.has(key)) gone.add(key);
          return;
        }
        if (!touchMayBeLost(lastBeatAt, touch.sent, this.windowMs)) {
          this.touches.delete(key);
          return;
        }
        if (!await this.check(key, touch)) gone.add(key);
      })
    );
    return gone;
  }
  /**
   * When the latest heartbeat was renewed (monotonic clock), read after `after`: one read serves
   * every caller whose touches it follows. Unknown (the read failed) counts as just now.
   */
  lastBeatAfter(after) {
    if (this.beat && this.beat.sent >= after) return this.beat.lastBeatAt;
    const sent = this.now();
    const lastBeatAt = this.io.heartbeatAge().then(
      (age) => age === void 0 ? void 0 : this.now() - age,
      () => Infinity
    );
    this.beat = { sent, lastBeatAt };
    return lastBeatAt;
  }
  /** Asked once the window has passed since the touch, when no GC can still delete on an older check. */
  check(key, touch) {
    const pending = this.checks.get(key);
    if (pending) return pending;
    const run = (async () => {
      const wait = touch.answered + this.windowMs - this.now();
      if (!this.told) {
        this.told = true;
        this.onFirstWait(this.windowMs);
      }
      if (wait > 0) await sleep(Math.ceil(wait));
      const present = await this.io.exists(key).catch(() => false);
      if (this.touches.get(key) === touch) {
        this.touches.delete(key);
        if (!present) this.lost.add(key);
      }
      return present;
    })().finally(() => this.checks.delete(key));
    this.checks.set(key, run);
    return run;
  }
};

// src/executors/binary-cache/s3-heartbeat.ts
var import_client_s32 = __toESM(require_dist_cjs(), 1);
async function readHeartbeat(client, bucket, abortSignal) {
  const command = new import_client_s32.HeadObjectCommand({ Bucket: bucket, Key: GC_HEARTBEAT_KEY });
  let date;
  command.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      date = result.response?.headers?.date;
      return result;
    },
    { step: "deserialize", name: "serverDate" }
  );
  const res = await client.send(command, { abortSignal });
  const now = date === void 0 ? NaN : Date.parse(date);
  const renewed = res.LastModified?.getTime();
  const ageMs = renewed === void 0 || Number.isNaN(now) ? 0 : Math.max(0, now - renewed);
  return { ageMs, run: res.Metadata?.run, ended: res.Metadata?.state === "ended" };
}
async function writeHeartbeat(client, bucket, run, state, abortSignal) {
  const body = JSON.stringify({ run, [state]: (/* @__PURE__ */ new Date()).toISOString() });
  await client.send(new import_client_s32.PutObjectCommand({ Bucket: bucket, Key: GC_HEARTBEAT_KEY, Body: body, ContentType: "application/json", Metadata: { run, state } }), { abortSignal });
}

// src/executors/binary-cache/s3.ts
var currentRequest = new AsyncLocalStorage();
var token = (count, delay) => ({
  getRetryCount: () => count,
  getRetryDelay: () => delay,
  startsAt: Date.now() + delay
});
var BudgetedRetryStrategy = class {
  constructor(budget, maxAttempts, baseDelayMs, maxDelayMs, where) {
    this.budget = budget;
    this.maxAttempts = maxAttempts;
    this.baseDelayMs = baseDelayMs;
    this.maxDelayMs = maxDelayMs;
    this.where = where;
  }
  budget;
  maxAttempts;
  baseDelayMs;
  maxDelayMs;
  where;
  /** Every SDK call runs inside `guarded`; the fallback only keeps a stray one accounted for. */
  request() {
    return currentRequest.getStore() ?? new BudgetedRequest(this.budget, this.where);
  }
  async acquireInitialRetryToken() {
    this.request().check();
    return token(0, 0);
  }
  async refreshRetryTokenForRetry(previous, info) {
    if (info.errorType === "CLIENT_ERROR") throw info.error ?? new Error("not retried");
    const request = this.request();
    const cause = describeS3Error(info.error);
    request.attemptFailed(previous.startsAt ?? Date.now(), `${cause} from ${request.what}`);
    const attempt = previous.getRetryCount() + 1;
    const hinted = info.retryAfterHint ? info.retryAfterHint.getTime() - Date.now() : void 0;
    const schedule = { attempts: this.maxAttempts, baseDelayMs: this.baseDelayMs, maxDelayMs: this.maxDelayMs, isRetryable: () => true };
    const delay = request.retryDelay(info.error, attempt, schedule, hinted !== void 0 && hinted > 0 ? hinted : void 0);
    if (delay === void 0) throw info.error ?? new Error("not retried");
    log.info(retryLine(cause, request.what, attempt, this.maxAttempts, delay));
    return token(attempt, delay);
  }
  recordSuccess() {
    this.request().succeeded();
  }
};
function s3FailureKind(e) {
  const name = nameOf(e);
  const code = e?.code;
  if (name === "TimeoutError" || code === "ETIMEDOUT" || code === "ECONNRESET" && /timeout/i.test(String(e.message))) {
    return "timeout";
  }
  const status = statusOf(e);
  if (status === void 0) return "connection";
  return status >= 500 || status === 429 ? "server-error" : "refused";
}
var MiB = 1024 * 1024;
function statusOf(e) {
  return e?.$metadata?.httpStatusCode;
}
function nameOf(e) {
  const name = e?.name;
  return typeof name === "string" ? name : "";
}
function redact(text) {
  let out = text;
  for (const name of ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]) {
    const secret = process.env[name];
    if (secret && secret.length >= 8) out = out.split(secret).join("***");
  }
  return out;
}
function describeS3Error(e) {
  if (!(e instanceof Object)) return redact(String(e));
  const err = e;
  const name = nameOf(e);
  const message = typeof err.message === "string" ? err.message.replace(/^AWS SDK error wrapper for (\w*Error: )?/, "") : "";
  let what;
  if (name === "CredentialsProviderError") {
    what = "no AWS credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile=, or a role with aws-actions/configure-aws-credentials, listed before this action so that its cleanup runs after this push)";
  } else {
    const useful = message !== "" && message !== "UnknownError" && message !== name;
    const code = typeof err.code === "string" && !message.includes(err.code) ? ` (${err.code})` : "";
    const label = name && name !== "Error" && !/^\d+$/.test(name) ? `${name}: ` : "";
    what = useful ? `${label}${message}${code}` : name || message || "unknown error";
  }
  const meta = [];
  const status = statusOf(e);
  if (status !== void 0) meta.push(`HTTP ${status}`);
  const attempts = err.$metadata?.attempts;
  if (attempts !== void 0 && attempts > 1) meta.push(`gave up after ${attempts} attempts`);
  return redact(`${what}${meta.length ? ` (${meta.join(", ")})` : ""}`);
}
function isAbsent(e) {
  const name = nameOf(e);
  if (name === "NoSuchBucket") return false;
  const status = statusOf(e);
  return status === 404 || status === 403 || name === "NoSuchKey" || name === "NotFound";
}
function isPreconditionFailed(e) {
  return statusOf(e) === 412 || nameOf(e) === "PreconditionFailed";
}
var S3Backend = class {
  displayUrl;
  /** Part buffers and the SDK: pushes collect at once (job/push.ts) and send one large NAR fewer at once (upload.ts). */
  memoryTight = true;
  /** Objects are made only from ended bodies (s3-object-writer.ts). */
  dropsCutBodies() {
    return true;
  }
  client;
  bucket;
  concurrency;
  partSize;
  writer;
  warn;
  requests;
  touchFound;
  settler;
  constructor(opts) {
    const { location } = opts;
    this.bucket = location.bucket;
    this.displayUrl = `s3://${location.bucket}`;
    this.concurrency = opts.concurrency ?? 32;
    this.partSize = Math.max(opts.partSize ?? 8 * MiB, 5 * MiB);
    this.warn = opts.warn ?? (() => {
    });
    this.touchFound = opts.touchFound ?? true;
    const t = timings();
    this.settler = new TouchSettler(
      { heartbeatAge: () => this.heartbeatAge(), exists: (key) => this.exists(key) },
      t.gcWindowMs,
      void 0,
      (windowMs) => log.info(`A retention GC has been deleting from ${this.displayUrl}: what this job found there is checked again ${windowMs / 1e3} s after it was marked in use, before a narinfo names it (docs/gc.md).`)
    );
    const budget = opts.budget ?? new JobBudget({ budgetMs: t.jobBudgetMs, breakerThreshold: t.breakerThreshold });
    this.requests = new RequestGuard({
      budget,
      // The SDK's socketTimeout is the idle timeout; we only end a call when the budget runs out.
      followDeadline: true,
      // The SDK retries (BudgetedRetryStrategy), and accounts for each failed attempt.
      retry: { attempts: 1 },
      isTrouble: () => false,
      verdict: (e) => isAbsent(e) || isPreconditionFailed(e) ? "answer" : s3FailureKind(e),
      cause: describeS3Error
    });
    const config = {
      ...s3ClientConfig(location, opts.credentials),
      retryStrategy: new BudgetedRetryStrategy(
        budget,
        opts.maxAttempts ?? t.retryAttempts,
        t.retryBaseDelayMs,
        t.retryMaxDelayMs,
        this.displayUrl
      ),
      requestHandler: {
        connectionTimeout: t.connectMs,
        // An idle timeout, not a total one: a large part still uploading is progress.
        socketTimeout: t.idleMs,
        // Room for the HEAD probes plus every part in flight, so neither starves the other.
        httpAgent: { keepAlive: true, maxSockets: 64 },
        httpsAgent: { keepAlive: true, maxSockets: 64 }
      }
    };
    this.client = new import_client_s33.S3Client(config);
    this.writer = {
      client: this.client,
      bucket: this.bucket,
      partsInFlight: opts.queueSize ?? 4,
      slots: new PartSlots(Math.max(opts.partBuffers ?? 4, 1), this.partSize),
      guarded: (what, run) => this.guarded(what, run),
      where: (key) => this.where(key)
    };
  }
  where(key) {
    return `${this.displayUrl}/${key}`;
  }
  /**
   * Runs one SDK call as one request of the job (runtime/request.ts): refused at once when the
   * breaker is open, abandoned when a failing cache's budget runs out, and its outcome counted.
   */
  guarded(what, run) {
    return this.requests.run(what, (a) => currentRequest.run(a.request, () => run(a.signal)));
  }
  async prepare(storeDir) {
    const key = "nix-cache-info";
    await ensureCacheInfo(storeDir, {
      displayUrl: this.displayUrl,
      read: async () => {
        try {
          return await this.guarded(`GET ${this.where(key)}`, async (abortSignal) => {
            const res = await this.client.send(new import_client_s33.GetObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal });
            return await res.Body?.transformToString() ?? "";
          });
        } catch (e) {
          if (e instanceof CacheUnavailableError) throw e;
          if (isAbsent(e)) return void 0;
          throw new Error(`GET ${this.where(key)}: ${describeS3Error(e)}`, { cause: e });
        }
      },
      write: async (text) => {
        try {
          await this.guarded(
            `PUT ${this.where(key)}`,
            (abortSignal) => this.client.send(new import_client_s33.PutObjectCommand({ Bucket: this.bucket, Key: key, Body: text, ContentType: CONTENT_TYPES.cacheInfo }), { abortSignal })
          );
        } catch (e) {
          if (e instanceof CacheUnavailableError) throw e;
          throw new Error(`PUT ${this.where(key)}: ${describeS3Error(e)}`, { cause: e });
        }
      }
    });
  }
  existing(hashParts) {
    return probeEach(hashParts, {
      concurrency: this.concurrency,
      warn: this.warn,
      describe: (hash, e) => `HEAD ${this.where(`${hash}.narinfo`)}: ${describeS3Error(e)}`,
      probe: async (hash) => {
        try {
          await this.guarded(
            `HEAD ${this.where(`${hash}.narinfo`)}`,
            (abortSignal) => this.client.send(new import_client_s33.HeadObjectCommand({ Bucket: this.bucket, Key: `${hash}.narinfo` }), { abortSignal })
          );
          if (this.touchFound === false) return true;
          return await this.touch(`${hash}.narinfo`, CONTENT_TYPES.narinfo);
        } catch (e) {
          if (isAbsent(e)) return false;
          throw e;
        }
      }
    });
  }
  /**
   * Streams the body: small objects go up in one PUT, larger ones as a multipart upload of
   * buffered parts, so each part can be retried by the SDK without reading the source again.
   */
  async put(key, body, contentType) {
    await this.write(key, body, contentType, false);
  }
  /** A NAR found is touched (a CopyObject onto itself), unless the job only reads; see the interface. */
  async has(key) {
    const there = await this.exists(key).catch((e) => {
      if (e instanceof CacheUnavailableError) throw e;
      return false;
    });
    if (!there || this.touchFound === false) return there;
    return await this.touch(key, CONTENT_TYPES.nar);
  }
  /**
   * Uploads the verified file with `If-None-Match: *` (on PutObject, or on completing a multipart
   * upload), so S3 and the servers that support conditional writes never replace a NAR another
   * job wrote meanwhile: their 412 means it is there. Servers that ignore the header overwrite
   * it with the same verified contents, a window only as wide as the upload.
   */
  async publish(key, file, contentType) {
    return await this.write(key, () => createReadStream(file), contentType, true);
  }
  /** `publish` for a small verified NAR in memory: no spool file to write and read back. */
  async publishBytes(key, bytes, contentType) {
    return await this.write(key, () => Readable.from([bytes]), contentType, true);
  }
  /**
   * `publish` straight from the store: parts are sent while the path is still being compressed,
   * and the object is created only once the body has ended, checked (s3-object-writer.ts). A body
   * that fails aborts the multipart upload. Not retried as a whole: the SDK retries each part
   * from its buffer, and a mismatch is final.
   */
  async publishStream(key, body, contentType) {
    return await this.write(key, body, contentType, true);
  }
  settle(keys) {
    return this.settler.settle(keys);
  }
  /** See TouchSettler: the heartbeat's age by S3's own clock (its `Date` less the object's `Last-Modified`). */
  async heartbeatAge() {
    try {
      return (await this.guarded(`HEAD ${this.where(GC_HEARTBEAT_KEY)}`, (abortSignal) => readHeartbeat(this.client, this.bucket, abortSignal))).ageMs;
    } catch (e) {
      if (isAbsent(e) || statusOf(e) === 403) return void 0;
      throw e;
    }
  }
  /** A plain check, no touch; throws when it cannot tell. */
  async exists(key) {
    try {
      await this.guarded(`HEAD ${this.where(key)}`, (abortSignal) => this.client.send(new import_client_s33.HeadObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal }));
      return true;
    } catch (e) {
      if (isAbsent(e)) return false;
      throw e;
    }
  }
  /**
   * Renews an object's LastModified by copying it onto itself (S3 has no other way); false when
   * it is gone. A touch that fails otherwise counts as done: the object is there, and only a
   * retention GC running at this moment could miss that it is in use. Either way the settler
   * checks it before a narinfo names it, if a GC was deleting meanwhile.
   */
  async touch(key, contentType) {
    const sent = performance.now();
    try {
      await this.guarded(
        `COPY ${this.where(key)}`,
        (abortSignal) => this.client.send(
          new import_client_s33.CopyObjectCommand({
            Bucket: this.bucket,
            Key: key,
            CopySource: `${this.bucket}/${encodeURIComponent(key).replace(/%2F/g, "/")}`,
            MetadataDirective: "REPLACE",
            ContentType: contentType,
            Metadata: { touched: (/* @__PURE__ */ new Date()).toISOString() }
          }),
          { abortSignal }
        )
      );
      this.settler.touched(key, sent);
      return true;
    } catch (e) {
      if (e instanceof CacheUnavailableError) throw e;
      if (statusOf(e) === 404 || nameOf(e) === "NoSuchKey") return false;
      this.warn(`COPY ${this.where(key)} (marking it in use): ${describeS3Error(e)}`);
      this.settler.touched(key, sent);
      return true;
    }
  }
  /**
   * With `ifNoneMatch` (NARs): the 412 of a NAR already there means this job's narinfo will name
   * it, so it is touched for the retention GC, as the narinfos found are; one taken by a GC
   * meanwhile is written again, once.
   */
  async write(key, body, contentType, ifNoneMatch, again = true) {
    const stream = body();
    try {
      await writeObject(this.writer, stream, { key, contentType, ifNoneMatch });
      this.settler.written(key);
      return "written";
    } catch (e) {
      if (e instanceof CacheUnavailableError || e instanceof NarMismatch) throw e;
      if (!ifNoneMatch || !isPreconditionFailed(e)) throw new Error(`PUT ${this.where(key)}: ${describeS3Error(e)}`, { cause: e });
    } finally {
      stream.destroy();
    }
    if (await this.touch(key, contentType)) return "existed";
    if (again) return await this.write(key, body, contentType, true, false);
    throw new Error(`PUT ${this.where(key)}: the object was there, and gone before it could be marked in use`);
  }
  /** Closes pooled connections, so a short-lived process is not kept alive by idle keep-alive sockets. */
  close() {
    this.client.destroy();
  }
};

export {
  GC_HEARTBEAT_KEY,
  heartbeatEveryMs,
  heartbeatLiveMs,
  readHeartbeat,
  writeHeartbeat,
  describeS3Error,
  S3Backend
};
