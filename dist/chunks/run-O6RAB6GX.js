#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  binaryCacheBackend,
  buildClosure,
  isDerivation,
  loadSnapshot,
  loadSqlite,
  queryPathInfos,
  selectPaths,
  signedUpstream,
  takeSnapshot,
  validPaths
} from "./chunk-QFROVF5J.js";
import {
  agentFiles
} from "./chunk-HCEE444A.js";
import {
  ghaLayout
} from "./chunk-W3GBQVQF.js";
import {
  FileBackend,
  hashPart,
  limitFraming,
  reuseFrames,
  uploadPaths
} from "./chunk-62EGI3AM.js";
import "./chunk-TU6JHRST.js";
import {
  jobBudget,
  saveJobBudget
} from "./chunk-AEPLBNQV.js";
import {
  log
} from "./chunk-QUJN3JQ2.js";
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
import { appendFileSync } from "node:fs";

// src/plan/certain.ts
function certainToPublish(input) {
  const selection = selectPaths({
    newPaths: input.newPaths,
    closure: input.closure,
    signatures: input.signatures,
    policy: { ...input.policy, includePreExisting: false }
  });
  const fresh = new Set(input.newPaths);
  const upstream = new Set(selection.skipped["upstream-signed"]);
  const wanted = new Set(selection.push.filter((p) => !input.available.has(p)));
  const given = input.givenUp ?? /* @__PURE__ */ new Set();
  const looked = input.lookedUp ?? /* @__PURE__ */ new Set();
  const lookups = /* @__PURE__ */ new Set();
  const state = /* @__PURE__ */ new Map();
  const publish = [];
  const ready = (path, onStack) => {
    const known = state.get(path);
    if (known !== void 0) return known;
    if (onStack.has(path)) return false;
    onStack.add(path);
    let ok = !given.has(path);
    for (const ref of input.references.get(path) ?? []) {
      if (!ok) break;
      if (ref === path || input.available.has(ref) || upstream.has(ref)) continue;
      if (!fresh.has(ref)) {
        if (!looked.has(ref)) lookups.add(ref);
        ok = false;
        continue;
      }
      ok = wanted.has(ref) && ready(ref, onStack);
    }
    if (!input.references.has(path)) ok = false;
    onStack.delete(path);
    state.set(path, ok);
    if (ok) publish.push(path);
    return ok;
  };
  for (const path of wanted) ready(path, /* @__PURE__ */ new Set());
  return { publish, waiting: [...wanted].filter((p) => !state.get(p)), lookups: [...lookups] };
}

// src/agent/publisher.ts
var AGENT_PARALLELISM = 1;
var Publisher = class {
  constructor(follower, inputs, store, dest, recordFile) {
    this.follower = follower;
    this.inputs = inputs;
    this.store = store;
    this.dest = dest;
    this.recordFile = recordFile;
  }
  follower;
  inputs;
  store;
  dest;
  recordFile;
  newPaths = [];
  infos = /* @__PURE__ */ new Map();
  checked = /* @__PURE__ */ new Set();
  available = /* @__PURE__ */ new Set();
  givenUp = /* @__PURE__ */ new Set();
  lookedUp = /* @__PURE__ */ new Set();
  dirty = false;
  published = 0;
  /** One round; returns how many paths were published. Throws only on trouble with the store or the cache. */
  async round() {
    const fresh = await this.follower.poll();
    if (fresh.length > 0) {
      this.newPaths.push(...fresh);
      this.dirty = true;
    }
    if (!this.dirty) return 0;
    this.dirty = false;
    const closure = await this.follower.closure();
    const undescribed = this.newPaths.filter(
      (p) => closure.has(p) && !this.infos.has(p) && (!isDerivation(p) || this.inputs.includeDerivations)
    );
    if (undescribed.length > 0) for (const [p, i] of await queryPathInfos(undescribed, this.store.storeDir)) this.infos.set(p, i);
    const references = new Map([...this.infos].map(([p, i]) => [p, i.references]));
    const signatures = new Map([...this.infos].map(([p, i]) => [p, i.signatures]));
    const plan = () => certainToPublish({
      newPaths: this.newPaths,
      closure,
      references,
      signatures,
      policy: { includeDerivations: this.inputs.includeDerivations, skipSignedBy: this.inputs.skipSignedBy, exclude: this.inputs.exclude },
      available: this.available,
      givenUp: this.givenUp,
      lookedUp: this.lookedUp
    });
    let next = plan();
    if (next.lookups.length > 0) {
      const infos = await queryPathInfos(next.lookups, this.store.storeDir);
      const upstream = (p) => signedUpstream(infos.get(p)?.signatures ?? [], this.inputs.skipSignedBy);
      const unsigned = next.lookups.filter((p) => !upstream(p));
      const present = unsigned.length > 0 ? await this.existing(unsigned) : /* @__PURE__ */ new Set();
      for (const p of next.lookups) {
        this.lookedUp.add(p);
        if (upstream(p) || present.has(hashPart(p))) this.available.add(p);
      }
      next = plan();
    }
    const unchecked = [...next.publish, ...next.waiting].filter((p) => !this.checked.has(p));
    if (unchecked.length > 0) {
      const present = await this.existing(unchecked);
      for (const p of unchecked) {
        this.checked.add(p);
        if (present.has(hashPart(p))) this.available.add(p);
      }
      next = plan();
    }
    if (next.publish.length === 0) return 0;
    const outcome = await uploadPaths(
      next.publish.map((p) => this.infos.get(p)).filter((i) => i !== void 0),
      {
        backend: this.dest.backend,
        signer: this.inputs.secretKey,
        compression: this.dest.compression,
        parallelism: AGENT_PARALLELISM,
        realStoreDir: this.store.realStoreDir,
        // One line per path, written as soon as it is published: the post step may have to kill
        // the agent mid-batch, and must still count what it published.
        onPushed: (p) => {
          const record = { path: p.path, narSize: p.narSize, fileSize: p.fileSize };
          appendFileSync(this.recordFile, `${JSON.stringify(record)}
`);
        }
      }
    );
    for (const p of outcome.pushed) this.available.add(p.path);
    for (const f of outcome.failed) {
      this.givenUp.add(f.path);
      log.warning(`${f.path} could not be published during the build (${f.reason}); the post step tries again.`);
    }
    for (const p of outcome.vanished) this.givenUp.add(p);
    this.dirty = outcome.pushed.length > 0;
    this.published += outcome.pushed.length;
    return outcome.pushed.length;
  }
  async existing(paths) {
    const hashes = paths.map(hashPart);
    const found = await this.dest.backend.existing(hashes);
    if (this.dest.alsoServing) for (const h of await this.dest.alsoServing.existing(hashes)) found.add(h);
    return found;
  }
};

// src/agent/run.ts
var POLL_MS = 1e3;
var MAX_FAILED_ROUNDS = 5;
async function destination(inputs, config) {
  if (inputs.cache.kind === "github-actions") {
    return {
      backend: new FileBackend(ghaLayout(config.tempDir).prepared),
      alsoServing: new FileBackend(ghaLayout(config.tempDir).binaryCache),
      compression: "none"
    };
  }
  const backend = await binaryCacheBackend(inputs);
  if (!backend) throw new Error(`${inputs.cache.kind} caches are pushed in the post step only`);
  return { backend, compression: inputs.compression };
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
  const publisher = new Publisher(follower, inputs, config.store, dest, agentFiles(config.dir).published);
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
