#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  ghaLayout
} from "./chunk-QDSASVNL.js";
import {
  binaryCacheBackend,
  loadSnapshot,
  loadSqlite,
  takeSnapshot,
  validPaths
} from "./chunk-VYI5KU3X.js";
import {
  CertainSession,
  buildClosure,
  heldByHash,
  isDerivation,
  planIO,
  policyOf
} from "./chunk-IVYRIK5Y.js";
import {
  FileBackend,
  limitFraming,
  reuseFrames,
  uploadPaths
} from "./chunk-UZNHWSQD.js";
import {
  recordPublished
} from "./chunk-6ZS75J6E.js";
import {
  agentFiles
} from "./chunk-LYRV4XWB.js";
import "./chunk-WUQCDREW.js";
import "./chunk-MP4OTUHC.js";
import "./chunk-GJFF52N4.js";
import {
  jobBudget,
  log,
  saveJobBudget
} from "./chunk-XPTRIRNR.js";
import "./chunk-WSR6M3NS.js";

// src/agent/run.ts
import { existsSync, writeFileSync } from "node:fs";

// src/nix/follow.ts
import { stat } from "node:fs/promises";

// src/nix/closure-tracker.ts
var BuildClosureTracker = class {
  constructor(describe) {
    this.describe = describe;
  }
  describe;
  members = /* @__PURE__ */ new Set();
  /** Outputs of member derivations that were not valid yet; they join when they appear. */
  awaited = /* @__PURE__ */ new Set();
  /** Takes one batch of newly valid paths; returns how many paths joined the closure. */
  async add(newValid) {
    const before = this.members.size;
    let queue = newValid.filter((p) => isDerivation(p) || this.awaited.has(p));
    while (queue.length > 0) {
      const todo = [...new Set(queue.filter((p) => !this.members.has(p)))];
      queue = [];
      if (todo.length === 0) break;
      const nodes = await this.describe(todo);
      for (const path of todo) {
        const node = nodes.get(path);
        if (!node) continue;
        this.members.add(path);
        this.awaited.delete(path);
        for (const r of node.references) if (!this.members.has(r)) queue.push(r);
        for (const o of node.outputs) {
          if (this.members.has(o.path)) continue;
          if (o.valid) queue.push(o.path);
          else this.awaited.add(o.path);
        }
      }
    }
    return this.members.size - before;
  }
};

// src/nix/follow.ts
async function followStore(store, snapshot) {
  if (snapshot.method === "db") {
    const db = await openDb(store.dbPath);
    if (db) return new DbFollower(db, snapshot);
  }
  return new DirFollower(store, snapshot);
}
function inSorted(names, name) {
  let lo = 0;
  let hi = names.length - 1;
  while (lo <= hi) {
    const mid = lo + hi >> 1;
    const v = names[mid];
    if (v === name) return true;
    if (v < name) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
async function openDb(path) {
  try {
    const { DatabaseSync } = await loadSqlite();
    const db = new DatabaseSync(path, { readOnly: true });
    db.prepare("SELECT max(id) FROM ValidPaths").get();
    return db;
  } catch {
    return void 0;
  }
}
var DbFollower = class {
  constructor(db, snapshot) {
    this.db = db;
    this.snapshot = snapshot;
    this.rows = db.prepare("SELECT id, path FROM ValidPaths WHERE id > ? ORDER BY id");
    this.idOf = db.prepare("SELECT id FROM ValidPaths WHERE path = ?");
    this.refs = db.prepare("SELECT v.path AS path FROM Refs r JOIN ValidPaths v ON v.id = r.reference WHERE r.referrer = ?");
    this.outs = db.prepare(
      "SELECT d.path AS path, EXISTS (SELECT 1 FROM ValidPaths v WHERE v.path = d.path) AS valid FROM DerivationOutputs d WHERE d.drv = ?"
    );
    this.tracker = new BuildClosureTracker(async (paths) => this.describe(paths));
  }
  db;
  snapshot;
  method = "db";
  lastId = 0;
  first = true;
  rows;
  idOf;
  refs;
  outs;
  tracker;
  describe(paths) {
    const out = /* @__PURE__ */ new Map();
    for (const path of paths) {
      const row = this.idOf.get(path);
      if (!row) continue;
      const references = this.refs.all(row.id).map((r) => r.path);
      const outputs = isDerivation(path) ? this.outs.all(row.id).map((o) => ({ path: o.path, valid: o.valid === 1 })) : [];
      out.set(path, { references, outputs });
    }
    return out;
  }
  async poll() {
    let fresh;
    if (this.first) {
      this.first = false;
      fresh = this.sinceSnapshot();
    } else {
      const rows = this.rows.all(this.lastId);
      if (rows.length === 0) return [];
      this.lastId = rows[rows.length - 1].id;
      fresh = rows.map((r) => r.path);
    }
    await this.tracker.add(fresh);
    return fresh;
  }
  /**
   * The rows added between the snapshot and now. Nix gives each new row a larger id than any row
   * before it, so they are the newest ids: read backwards a page at a time until a page reaches
   * a path the snapshot has. Usually that is the first page: the main step starts the agent right
   * after the snapshot, so the full table (100,000 rows, ~100 MB of row objects) is never read.
   */
  sinceSnapshot() {
    const max = this.db.prepare("SELECT max(id) AS m FROM ValidPaths").get().m ?? 0;
    this.lastId = max;
    const page = this.db.prepare("SELECT id, path FROM ValidPaths WHERE id <= ? ORDER BY id DESC LIMIT 200");
    const fresh = [];
    let below = max;
    for (; ; ) {
      const rows = page.all(below);
      for (const r of rows) {
        if (inSorted(this.snapshot.names, r.path.slice(r.path.lastIndexOf("/") + 1))) return fresh.reverse();
        fresh.push(r.path);
      }
      if (rows.length === 0) return fresh.reverse();
      below = rows[rows.length - 1].id - 1;
    }
  }
  async closure() {
    return this.tracker.members;
  }
  close() {
    this.db.close();
  }
};
var DirFollower = class {
  constructor(store, snapshot) {
    this.store = store;
    this.known = new Set(snapshot.names);
  }
  store;
  method = "dir";
  known;
  unconfirmed = /* @__PURE__ */ new Set();
  drvs = [];
  mtime = -1;
  current = /* @__PURE__ */ new Set();
  stale = false;
  async poll() {
    const m = (await stat(this.store.realStoreDir).catch(() => void 0))?.mtimeMs ?? -1;
    if (m !== this.mtime) {
      this.mtime = m;
      const now = await takeSnapshot(this.store, "dir");
      for (const name of now.names.filter((n) => !this.known.has(n))) {
        this.known.add(name);
        this.unconfirmed.add(`${this.store.storeDir}/${name}`);
      }
    }
    if (this.unconfirmed.size === 0) return [];
    const valid = await validPaths([...this.unconfirmed]);
    for (const p of valid) {
      this.unconfirmed.delete(p);
      if (isDerivation(p)) this.drvs.push(p);
    }
    if (valid.length > 0) this.stale = true;
    return valid;
  }
  async closure() {
    if (this.stale && this.drvs.length > 0) this.current = await buildClosure(this.drvs);
    this.stale = false;
    return this.current;
  }
  close() {
  }
};

// src/agent/owner.ts
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
function scriptWatcher() {
  const fromProc = groupOf("self");
  const own = fromProc ?? groupFromPs();
  if (own === void 0 || own === process.pid) return () => true;
  if (fromProc !== void 0) return () => groupOf(String(own)) === own;
  return () => alive(own);
}
function groupOf(pid) {
  try {
    const stat2 = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat2.slice(stat2.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z" || fields[0] === "X") return void 0;
    const group = Number(fields[2]);
    return Number.isInteger(group) && group > 0 ? group : void 0;
  } catch {
    return void 0;
  }
}
function groupFromPs() {
  try {
    const group = Number(execFileSync("ps", ["-o", "pgid=", "-p", String(process.pid)], { encoding: "utf8", timeout: 5e3 }).trim());
    return Number.isInteger(group) && group > 0 ? group : void 0;
  } catch {
    return void 0;
  }
}
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === "EPERM";
  }
}

// src/agent/publisher.ts
var AGENT_PARALLELISM = 1;
var Publisher = class {
  constructor(follower, opts) {
    this.follower = follower;
    this.opts = opts;
    const { store, dest } = opts;
    this.session = new CertainSession(
      planIO(
        store.storeDir,
        heldByHash(async (hashes) => {
          const found = await dest.backend.existing(hashes);
          if (dest.alsoServing) for (const h of await dest.alsoServing.existing(hashes)) found.add(h);
          return found;
        })
      ),
      opts.policy
    );
  }
  follower;
  opts;
  session;
  published = 0;
  /** One round; returns how many paths were published. Throws only on trouble with the store or the cache. */
  async round() {
    this.session.add(await this.follower.poll());
    if (!this.session.due) return 0;
    const publish = await this.session.next(await this.follower.closure());
    if (publish.length === 0) return 0;
    const { dest, store, recordFile } = this.opts;
    const outcome = await uploadPaths(publish, {
      backend: dest.backend,
      signer: this.opts.signer,
      compression: dest.compression,
      parallelism: AGENT_PARALLELISM,
      realStoreDir: store.realStoreDir,
      onPushed: (p) => recordPublished(recordFile, p)
    });
    this.session.settle(outcome);
    for (const f of outcome.failed) log.warning(`${f.path} could not be published during the build (${f.reason}); the post step tries again.`);
    this.published += outcome.pushed.length;
    return outcome.pushed.length;
  }
};

// src/agent/run.ts
var POLL_MS = 1e3;
var MAX_FAILED_ROUNDS = 5;
async function destination(inputs, config) {
  const chosen = config.destination;
  if (chosen.role === "prepare") {
    const layout = ghaLayout(config.tempDir);
    return { backend: new FileBackend(layout.prepared), alsoServing: new FileBackend(layout.binaryCache), compression: "none" };
  }
  const backend = await binaryCacheBackend(chosen.cache, { authHeader: inputs.authHeader, netrcFile: inputs.netrcFile });
  return { backend, compression: chosen.compression };
}
function keepSmall() {
  limitFraming({ compressors: 1, queuedFrames: 2 });
  const gc = globalThis.gc;
  reuseFrames({ spares: 3, collect: gc ? { everyFrames: 4, run: gc } : void 0 });
}
async function runAgent(config, inputs, control) {
  keepSmall();
  const snapshot = await loadSnapshot(config.snapshotFile);
  const follower = await followStore(config.store, snapshot);
  const dest = await destination(inputs, config);
  await dest.backend.prepare(config.store.storeDir);
  log.info(`Following the store (${follower.method === "db" ? "Nix database" : "store directory"}); publishing to ${dest.backend.displayUrl}.`);
  const publisher = new Publisher(follower, {
    policy: policyOf(inputs),
    signer: inputs.secretKey,
    store: config.store,
    dest,
    recordFile: agentFiles(config.dir).published
  });
  const scriptRunning = config.followsScript ? scriptWatcher() : () => true;
  const end = (why) => {
    log.info(`Stopping: ${why}.`);
    writeFileSync(agentFiles(config.dir).ended, why);
  };
  let failures = 0;
  const said = /* @__PURE__ */ new Set();
  try {
    while (!control.stopRequested()) {
      if (!existsSync(config.dir)) return;
      if (!scriptRunning()) return end("the script that started it has ended");
      const tripped = jobBudget().tripped;
      if (tripped) return end(`the cache was given up on (${tripped})`);
      try {
        const n = await publisher.round();
        if (n > 0) log.info(`Published ${n} path(s) (${publisher.published} so far).`);
        failures = 0;
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        if (!said.has(message)) log.warning(`Publishing during the build failed: ${message}`);
        said.add(message);
        if (++failures >= MAX_FAILED_ROUNDS) return end("it gave up after repeated failures");
      }
      if (!control.stopRequested()) await control.pause(POLL_MS);
    }
  } finally {
    follower.close();
    saveJobBudget();
  }
}
export {
  runAgent
};
