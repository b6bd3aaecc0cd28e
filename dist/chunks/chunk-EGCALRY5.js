#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  CacheUnavailableError,
  log,
  seconds,
  timings
} from "./chunk-LXHOX3IK.js";

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
function retryOptions(opts = {}) {
  const t = timings();
  return {
    ...DEFAULT_RETRY_OPTIONS,
    attempts: t.retryAttempts,
    baseDelayMs: t.retryBaseDelayMs,
    maxDelayMs: t.retryMaxDelayMs,
    ...stripUndefined(opts)
  };
}
function retryDelay(e, attempt, o, retryAfterMs = retryAfterOf(e)) {
  if (attempt >= Math.max(1, Math.floor(o.attempts)) || !o.isRetryable(e)) return void 0;
  const delay = retryAfterMs !== void 0 ? Math.min(Math.max(0, retryAfterMs), o.maxRetryAfterMs) : backoffDelay(attempt, o.baseDelayMs, o.maxDelayMs, o.random);
  if (o.remainingMs !== void 0 && delay >= o.remainingMs()) return void 0;
  return delay;
}
async function withRetry(fn, opts = {}) {
  const o = retryOptions(opts);
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      const delay = retryDelay(e, attempt, o);
      if (delay === void 0) throw e;
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

// src/runtime/request.ts
var RequestTimeout = class extends Error {
  constructor(idleMs) {
    super(`no answer for ${seconds(idleMs)}`);
    this.idleMs = idleMs;
    this.name = "RequestTimeout";
  }
  idleMs;
  /** Read by isTransientError: worth another attempt, as a dropped packet would be. */
  code = "ETIMEDOUT";
};
function channelOf(what) {
  const [method = "", url = ""] = what.split(" ");
  const kind = url.endsWith(".narinfo") ? "narinfo" : /\/nar\/[^/]+$/.test(url) ? "nar" : url.slice(url.lastIndexOf("/") + 1);
  return `${method} ${kind}`;
}
var BudgetedRequest = class {
  constructor(budget, what, channel = channelOf(what)) {
    this.budget = budget;
    this.what = what;
    this.channel = channel;
  }
  budget;
  what;
  channel;
  /** Before every attempt: throws CacheUnavailableError once the breaker is open or the budget is spent. */
  check() {
    this.budget.check();
  }
  /** An attempt failed with trouble (not an answer such as a 404); it costs the budget from `since`, its last sign of life. */
  attemptFailed(since, text) {
    this.budget.attemptFailed(since, text);
  }
  /**
   * For a client that retries by itself: the wait before its next attempt, or undefined when there
   * is none (the breaker is open, the attempts are used up, or the budget cannot afford the wait).
   */
  retryDelay(e, attempt, schedule, retryAfterMs) {
    if (this.budget.tripped !== void 0) return void 0;
    return retryDelay(e, attempt, retryOptions({ ...schedule, remainingMs: () => this.budget.remainingMs() }), retryAfterMs);
  }
  /** Any answer ends a trouble spell, and its channel's failure streak. */
  succeeded() {
    this.budget.succeeded(this.channel);
  }
  /** The request failed for good, after its retries. */
  failed(kind, text) {
    this.budget.requestFailed(kind, text, this.channel);
  }
};
var DEADLINE_POLL_MS = 250;
var Watchdog = class {
  constructor(idleMs, budget) {
    this.idleMs = idleMs;
    this.budget = budget;
    this.schedule();
  }
  idleMs;
  budget;
  controller = new AbortController();
  /** A record, not a number, so that a caller learning of progress by other means (captured output) can keep it. */
  progress = { at: Date.now() };
  timer;
  get signal() {
    return this.controller.signal;
  }
  touch() {
    this.progress.at = Date.now();
  }
  schedule() {
    const now = Date.now();
    const deadline = this.budget?.deadline();
    if (deadline !== void 0 && now >= deadline) {
      this.controller.abort(new CacheUnavailableError("the job's time budget for a failing cache ran out"));
      return;
    }
    let next = deadline ?? Infinity;
    if (this.idleMs !== void 0) {
      const idleAt = this.progress.at + this.idleMs;
      if (now >= idleAt) {
        this.controller.abort(new RequestTimeout(this.idleMs));
        return;
      }
      next = Math.min(next, idleAt);
    }
    if (this.budget !== void 0) next = Math.min(next, now + DEADLINE_POLL_MS);
    if (next === Infinity) return;
    this.timer = setTimeout(() => this.schedule(), Math.max(1, next - now));
    this.timer.unref();
  }
  stop() {
    clearTimeout(this.timer);
  }
};
function messageOf(e) {
  return e instanceof Error ? e.message : String(e);
}
var RequestGuard = class {
  constructor(policy) {
    this.policy = policy;
    this.attempts = retryOptions(policy.retry).attempts;
  }
  policy;
  attempts;
  cause(e, what) {
    return this.policy.cause?.(e, what) ?? messageOf(e);
  }
  text(e, what) {
    return this.policy.text?.(e, what) ?? `${this.cause(e, what)} from ${what}`;
  }
  /** `attempt` makes the request once, and throws when it failed; retried as the policy says. */
  async run(what, attempt) {
    const p = this.policy;
    const request = new BudgetedRequest(p.budget, what, p.channel);
    let tries = 0;
    try {
      return await withRetry(
        (n) => {
          tries = n;
          return this.once(request, attempt);
        },
        {
          ...p.retry,
          remainingMs: () => p.budget.remainingMs(),
          onRetry: (e, n, delayMs) => {
            const line = p.retryLine?.(e, what, n, this.attempts, delayMs) ?? retryLine(this.cause(e, what), what, n, this.attempts, delayMs);
            log.info(line);
            p.retry?.onRetry?.(e, n, delayMs);
          }
        }
      );
    } catch (e) {
      const verdict = e instanceof CacheUnavailableError ? void 0 : p.verdict(e);
      if (verdict === "answer") request.succeeded();
      else if (verdict !== void 0) request.failed(verdict, this.text(e, what));
      throw p.final ? p.final(e, what, tries) : e;
    }
  }
  async once(request, attempt) {
    const p = this.policy;
    request.check();
    const idleMs = typeof p.idleMs === "function" ? p.idleMs() : p.idleMs;
    const startedAt = Date.now();
    const dog = new Watchdog(idleMs, p.followDeadline ? p.budget : void 0);
    const a = { signal: dog.signal, touch: () => dog.touch(), progress: dog.progress, request };
    try {
      const value = p.abortable === false ? await abandonOnAbort(attempt(a), dog.signal, p.budget) : await attempt(a);
      request.succeeded();
      return value;
    } catch (e) {
      const err = dog.signal.aborted ? dog.signal.reason : e;
      if (err instanceof CacheUnavailableError) request.check();
      else if (p.isTrouble?.(err) ?? p.verdict(err) !== "answer") {
        const since = p.costFromStart && !(err instanceof RequestTimeout) ? startedAt : dog.progress.at;
        request.attemptFailed(since, this.text(err, request.what));
      }
      throw err;
    } finally {
      dog.stop();
    }
  }
};
async function abandonOnAbort(call, signal, budget) {
  let abandon = () => void 0;
  const abandoned = new Promise((_, reject) => {
    abandon = () => {
      budget.abandonedWork = true;
      reject(signal.reason);
    };
    if (signal.aborted) abandon();
    else signal.addEventListener("abort", abandon, { once: true });
  });
  try {
    return await Promise.race([call, abandoned]);
  } finally {
    signal.removeEventListener("abort", abandon);
  }
}

export {
  RetryableHttpError,
  isTransientError,
  retryOptions,
  withRetry,
  parseRetryAfter,
  retryLine,
  RequestTimeout,
  BudgetedRequest,
  RequestGuard
};
