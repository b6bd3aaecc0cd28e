#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);

// src/runtime/units.ts
function formatBytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}
function seconds(ms) {
  return ms >= 6e4 && ms % 6e4 === 0 ? `${ms / 6e4} min` : `${(ms / 1e3).toFixed(ms < 1e4 ? 1 : 0)} s`;
}

// src/runtime/budget.ts
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
var TIMINGS = {
  idleMs: 3e4,
  connectMs: 1e4,
  jobBudgetMs: 11e4,
  breakerThreshold: 5,
  retryAttempts: 5,
  retryBaseDelayMs: 500,
  retryMaxDelayMs: 3e4
};
function timings(env = process.env) {
  const text = env.NIX_BUILDTIME_CACHE_TEST_TIMEOUTS;
  const t = { ...TIMINGS };
  if (!text) return t;
  let over;
  try {
    over = JSON.parse(text);
  } catch {
    return t;
  }
  if (typeof over !== "object" || over === null) return t;
  for (const key of Object.keys(t)) {
    const v = over[key];
    if (typeof v === "number" && Number.isFinite(v) && v >= 0) t[key] = v;
  }
  return t;
}
var KIND_TEXT = {
  timeout: "timed out",
  connection: "could not connect",
  "server-error": "failed on the server",
  refused: "were refused"
};
var CacheUnavailableError = class extends Error {
  constructor(message) {
    super(message);
    this.name = "CacheUnavailableError";
  }
};
var JobBudget = class {
  constructor(opts) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.spentMs = opts.spentMs ?? 0;
    this.trippedReason = opts.tripped;
  }
  opts;
  spentMs;
  troubleSince;
  /** Failures in a row, per channel (say, narinfo PUTs): a cache refusing narinfos while taking NARs still trips. */
  streaks = /* @__PURE__ */ new Map();
  /** The first failure of the current trouble spell, to say what went wrong when the budget runs out. */
  firstTrouble;
  trippedReason;
  now;
  /** A call was abandoned while still running (the GitHub Actions cache library): the process must exit by itself. */
  abandonedWork = false;
  /** Why the cache is no longer asked, or undefined while it still is. */
  get tripped() {
    this.expire();
    return this.trippedReason;
  }
  expire() {
    if (this.trippedReason === void 0 && this.remainingMs() <= 0) {
      this.trippedReason = `the cache kept failing for ${seconds(this.opts.budgetMs)} in this job${this.firstTrouble ? ` (first: ${this.firstTrouble})` : ""}`;
    }
  }
  /** Trouble time spent so far in the job, including a trouble spell still running. */
  spent() {
    return this.spentMs + (this.troubleSince === void 0 ? 0 : Math.max(0, this.now() - this.troubleSince));
  }
  remainingMs() {
    return Math.max(0, this.opts.budgetMs - this.spent());
  }
  /**
   * The latest time an attempt starting now may run, or undefined while the cache is healthy: a
   * long upload to a cache that answers is never cut short by the budget, only by its idle timeout.
   */
  deadline() {
    return this.troubleSince === void 0 ? void 0 : this.now() + this.remainingMs();
  }
  /** Throws when the cache must not be asked again. Call before every attempt. */
  check() {
    this.expire();
    if (this.trippedReason !== void 0) throw new CacheUnavailableError(`${this.trippedReason}; not asking it again in this job`);
  }
  /** An attempt failed; its trouble began at `since` (its start, or its last progress). */
  attemptFailed(since, message) {
    if (this.troubleSince === void 0) this.firstTrouble = message;
    this.troubleSince = Math.min(this.troubleSince ?? since, since);
  }
  /** A request failed for good (after its retries). `channel` groups requests of one sort, e.g. `PUT narinfo`. */
  requestFailed(kind, message, channel = "") {
    let streak = this.streaks.get(channel);
    if (streak?.kind === kind) streak.count++;
    else this.streaks.set(channel, streak = { kind, count: 1, first: message });
    if (this.trippedReason === void 0 && streak.count >= this.opts.breakerThreshold) {
      this.trippedReason = `${streak.count} requests in a row ${KIND_TEXT[kind]} (first: ${streak.first})`;
    }
  }
  /** A request succeeded: the trouble spell (if any) ends, and so does its channel's failure streak. */
  succeeded(channel = "") {
    if (this.troubleSince !== void 0) {
      this.spentMs += Math.max(0, this.now() - this.troubleSince);
      this.troubleSince = void 0;
      this.firstTrouble = void 0;
    }
    this.streaks.delete(channel);
  }
  toJSON() {
    const p = { spentMs: this.spent() };
    if (this.trippedReason !== void 0) p.tripped = this.trippedReason;
    return p;
  }
};
function budgetFile(env = process.env) {
  return env.RUNNER_TEMP ? join(env.RUNNER_TEMP, "nix-buildtime-cache", "budget.json") : void 0;
}
var current;
function jobBudget() {
  current ??= loadJobBudget(budgetFile());
  return current;
}
function loadJobBudget(file, t = timings()) {
  let persisted = {};
  if (file) {
    try {
      persisted = JSON.parse(readFileSync(file, "utf8"));
    } catch {
    }
  }
  return new JobBudget({
    budgetMs: t.jobBudgetMs,
    breakerThreshold: t.breakerThreshold,
    spentMs: typeof persisted.spentMs === "number" ? persisted.spentMs : 0,
    tripped: typeof persisted.tripped === "string" ? persisted.tripped : void 0
  });
}
function saveJobBudget(file = budgetFile()) {
  if (!file || !current) return;
  try {
    mkdirSync(join(file, ".."), { recursive: true });
    writeFileSync(file, JSON.stringify(current));
  } catch {
  }
}
function finishBudget() {
  saveJobBudget();
  if (current?.abandonedWork) process.exit();
}

// src/format/cache-info.ts
function cacheInfoText(storeDir) {
  return `StoreDir: ${storeDir}
WantMassQuery: 1
Priority: 41
`;
}
function readCacheInfoStoreDir(text) {
  return /^StoreDir:\s*(\S+)/m.exec(text)?.[1];
}

// src/executors/binary-cache/backend.ts
var CONTENT_TYPES = {
  nar: "application/x-nix-nar",
  narinfo: "text/x-nix-narinfo",
  cacheInfo: "text/x-nix-cache-info"
};

// src/runtime/retry.ts
import { types } from "node:util";
var RetryableHttpError = class extends Error {
  status;
  retryAfterMs;
  constructor(message, status, retryAfterMs) {
    super(message);
    this.name = "RetryableHttpError";
    this.status = status;
    if (retryAfterMs !== void 0) this.retryAfterMs = retryAfterMs;
  }
};
var DEFAULT_RETRY_OPTIONS = {
  attempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 3e4,
  maxRetryAfterMs: 12e4,
  isRetryable: isTransientError,
  onRetry: () => {
  },
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random
};
var TRANSIENT_CODES = /* @__PURE__ */ new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CLOSED"
]);
function errorCode(e) {
  if (typeof e === "object" && e !== null && "code" in e) {
    const code = e.code;
    if (typeof code === "string") return code;
  }
  return void 0;
}
function isTransientError(e) {
  if (e instanceof RetryableHttpError) return true;
  const code = errorCode(e);
  if (code !== void 0 && TRANSIENT_CODES.has(code)) return true;
  if (types.isNativeError(e) && e.name === "TypeError" && e.cause !== void 0) return true;
  return false;
}
function backoffDelay(attempt, baseDelayMs, maxDelayMs, random = Math.random) {
  const window = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(window / 2 + random() * (window / 2));
}
function retryAfterOf(e) {
  if (e instanceof RetryableHttpError) return e.retryAfterMs;
  return void 0;
}
async function withRetry(fn, opts = {}) {
  const t = timings();
  const o = {
    ...DEFAULT_RETRY_OPTIONS,
    // The real schedule, or the shortened one a test asked for (budget.ts keeps both).
    attempts: t.retryAttempts,
    baseDelayMs: t.retryBaseDelayMs,
    maxDelayMs: t.retryMaxDelayMs,
    ...stripUndefined(opts)
  };
  const attempts = Math.max(1, Math.floor(o.attempts));
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt >= attempts || !o.isRetryable(e)) throw e;
      const retryAfter = retryAfterOf(e);
      const delay = retryAfter !== void 0 ? Math.min(Math.max(0, retryAfter), o.maxRetryAfterMs) : backoffDelay(attempt, o.baseDelayMs, o.maxDelayMs, o.random);
      if (o.remainingMs !== void 0 && delay >= o.remainingMs()) throw e;
      o.onRetry(e, attempt, delay);
      await o.sleep(delay);
    }
  }
}
function stripUndefined(o) {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== void 0));
}
function parseRetryAfter(header, now = Date.now()) {
  if (header == null) return void 0;
  const value = header.trim();
  if (value === "") return void 0;
  if (/^\d+$/.test(value)) return Number(value) * 1e3;
  if (!/[a-z]/i.test(value)) return void 0;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return void 0;
  return Math.max(0, at - now);
}
function retryLine(cause, what, attempt, attempts, delayMs) {
  return `${cause} from ${what}; retry ${attempt + 1}/${attempts} in ${(delayMs / 1e3).toFixed(1)} s`;
}

// src/runtime/limiter.ts
function limiter(n) {
  let active = 0;
  const waiting = [];
  return async (task) => {
    if (active >= n) await new Promise((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

export {
  formatBytes,
  seconds,
  timings,
  CacheUnavailableError,
  JobBudget,
  jobBudget,
  saveJobBudget,
  finishBudget,
  cacheInfoText,
  readCacheInfoStoreDir,
  CONTENT_TYPES,
  RetryableHttpError,
  backoffDelay,
  withRetry,
  parseRetryAfter,
  retryLine,
  limiter
};
