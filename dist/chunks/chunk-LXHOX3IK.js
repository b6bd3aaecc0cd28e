#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);

// src/runtime/host.ts
import { tmpdir } from "node:os";
var StderrHost = class {
  constructor(tempDir = tmpdir()) {
    this.tempDir = tempDir;
  }
  tempDir;
  state = /* @__PURE__ */ new Map();
  secrets = [];
  /** `text` with every registered secret replaced by `***`. */
  redact(text) {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join("***");
    return out;
  }
  say(prefix, message) {
    process.stderr.write(`${prefix}${this.redact(message)}
`);
  }
  info(m) {
    this.say("", m);
  }
  warning(m) {
    this.say("warning: ", m);
  }
  error(m) {
    this.say("error: ", m);
  }
  notice(m) {
    this.say("", m);
  }
  debug(m) {
    if (process.env.NIX_BUILDTIME_CACHE_DEBUG) this.say("debug: ", m);
  }
  setSecret(v) {
    if (v === "" || this.secrets.includes(v)) return;
    this.secrets.push(v);
    this.secrets.sort((a, b) => b.length - a.length);
  }
  exportVariable(name, value) {
    process.env[name] = value;
  }
  setOutput(_name, _value) {
  }
  saveState(name, value) {
    this.state.set(name, value);
  }
  getState(name) {
    return this.state.get(name) ?? "";
  }
  async writeSummary(markdown) {
    this.say("", markdown);
  }
  fail(m) {
    this.say("error: ", m);
    process.exitCode = 1;
  }
};
var current = new StderrHost();
function setHost(host2) {
  current = host2;
}
function host() {
  return current;
}
var log = {
  info: (m) => current.info(m),
  warning: (m) => current.warning(m),
  error: (m) => current.error(m),
  notice: (m) => current.notice(m),
  debug: (m) => current.debug(m),
  /** A host without groups shows the name as a plain line. */
  startGroup: (name) => current.startGroup ? current.startGroup(name) : current.info(name),
  endGroup: () => current.endGroup?.()
};

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

// src/runtime/timings.ts
var TIMINGS = {
  idleMs: 3e4,
  connectMs: 1e4,
  jobBudgetMs: 11e4,
  breakerThreshold: 5,
  retryAttempts: 5,
  retryBaseDelayMs: 500,
  retryMaxDelayMs: 3e4,
  layerStallMs: 15e3,
  gcWindowMs: 2e4
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

// src/runtime/budget.ts
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname } from "node:path";
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
  /**
   * Trouble time spent by a wait that ended without ending in a success, counted at once: the
   * agent's front (pull/front.ts) giving a dead cache up after its idle timeout. A spell kept open
   * until the next success would instead charge the whole build to a cache that recovered.
   */
  charge(ms, message) {
    if (this.troubleSince === void 0 && this.firstTrouble === void 0) this.firstTrouble = message;
    this.spentMs += Math.max(0, ms);
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
var JobBudgetFile = class {
  constructor(path) {
    this.path = path;
  }
  path;
  job;
  /** What the budget this process read had spent by then (or by its last save): already on disk. */
  handedOnMs = 0;
  handedOnTripped = false;
  /** Begins a new job's budget, with nothing spent. */
  startNewJob() {
    try {
      this.write({ job: randomBytes(6).toString("hex"), spentMs: 0 });
    } catch {
      try {
        rmSync(this.path, { force: true });
      } catch {
      }
    }
  }
  load(t = timings()) {
    const persisted = this.read();
    this.job = persisted.job;
    const budget = new JobBudget({ budgetMs: t.jobBudgetMs, breakerThreshold: t.breakerThreshold, spentMs: persisted.spentMs, tripped: persisted.tripped });
    this.handedOnMs = budget.spent();
    return budget;
  }
  /** Whether `budget` has spent time, or tripped, since it was loaded or last saved. */
  behind(budget) {
    return budget.spent() > this.handedOnMs || budget.tripped !== void 0 && !this.handedOnTripped;
  }
  /** Hands what `budget` spent since it was loaded to the job's other processes. Never throws: losing it only loosens the bound. */
  save(budget) {
    try {
      const onDisk = this.read();
      if (onDisk.job !== this.job) return;
      const mine = budget.toJSON();
      const next = { spentMs: onDisk.spentMs + Math.max(0, mine.spentMs - this.handedOnMs) };
      if (this.job !== void 0) next.job = this.job;
      const tripped = onDisk.tripped ?? mine.tripped;
      if (tripped !== void 0) next.tripped = tripped;
      this.write(next);
      this.handedOnMs = mine.spentMs;
      this.handedOnTripped = mine.tripped !== void 0;
    } catch {
    }
  }
  read() {
    let raw = {};
    try {
      raw = JSON.parse(readFileSync(this.path, "utf8"));
    } catch {
    }
    const content = { spentMs: typeof raw.spentMs === "number" ? raw.spentMs : 0 };
    if (typeof raw.tripped === "string") content.tripped = raw.tripped;
    if (typeof raw.job === "string") content.job = raw.job;
    return content;
  }
  /** Renamed into place, so that a process reading it at the same time never sees half of it. */
  write(content) {
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(content));
    renameSync(tmp, this.path);
  }
};
var jobFile;
var current2;
var KEEP_SPENT_EVERY_MS = 1e3;
var keeper;
function keepSpent() {
  keeper ??= setInterval(() => {
    if (jobFile && current2 && jobFile.behind(current2)) jobFile.save(current2);
  }, KEEP_SPENT_EVERY_MS);
  keeper.unref();
}
function openJobBudget(file, opts = {}) {
  jobFile = new JobBudgetFile(file);
  current2 = void 0;
  if (opts.newJob) jobFile.startNewJob();
}
function jobBudget() {
  if (!current2) {
    const t = timings();
    current2 = jobFile ? jobFile.load(t) : new JobBudget({ budgetMs: t.jobBudgetMs, breakerThreshold: t.breakerThreshold });
    if (jobFile) keepSpent();
  }
  return current2;
}
function saveJobBudget() {
  if (jobFile && current2) jobFile.save(current2);
}
function abandonedWork() {
  return current2?.abandonedWork ?? false;
}

export {
  StderrHost,
  setHost,
  host,
  log,
  formatBytes,
  seconds,
  timings,
  CacheUnavailableError,
  JobBudget,
  openJobBudget,
  jobBudget,
  saveJobBudget,
  abandonedWork
};
