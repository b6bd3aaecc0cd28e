#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  serverSink
} from "./chunk-34U3SAPU.js";
import {
  ghaLayout
} from "./chunk-I2MKXC5P.js";
import "./chunk-JX73GPYK.js";
import {
  binaryCacheBackend,
  loadSnapshot,
  loadSqlite,
  recordContext,
  recordIdFor,
  takeSnapshot,
  validPaths,
  writeRecordPart
} from "./chunk-DZZ52KV5.js";
import {
  CertainSession,
  buildClosure,
  classifyInstallable,
  flakeDerivations,
  flakeSource,
  heldByHash,
  isDerivation,
  isNix23,
  nixVersion,
  planIO,
  planStage,
  policyOf,
  queryPathInfos,
  validDeriver
} from "./chunk-SWKWKHL2.js";
import {
  FileBackend,
  uploadPaths
} from "./chunk-ZDZD7BZ6.js";
import "./chunk-XK72OWUU.js";
import {
  recordPublished,
  recordStaged,
  scriptWatcher
} from "./chunk-AOV4FCBB.js";
import "./chunk-IDEMXRFO.js";
import {
  agentFiles
} from "./chunk-S54S7H64.js";
import "./chunk-WODUGNK7.js";
import "./chunk-MR5IPH4H.js";
import "./chunk-WPHW6MTC.js";
import {
  limitFraming,
  reuseFrames
} from "./chunk-72I3IZBR.js";
import "./chunk-SUVJ4ZAQ.js";
import "./chunk-Z3KDMJWA.js";
import "./chunk-EGCALRY5.js";
import {
  jobBudget,
  log,
  saveJobBudget
} from "./chunk-LXHOX3IK.js";
import "./chunk-WSR6M3NS.js";

// src/agent/run.ts
import { existsSync, writeFileSync } from "node:fs";

// src/nix/follow.ts
import { stat } from "node:fs/promises";

// src/nix/closure-tracker.ts
var BuildClosureTracker = class {
  /**
   * `automatic`: every new derivation is a root (the job's automatic roots). Otherwise only the
   * roots given to `addRoots` are (the `installables`), and a new path joins only as one of their
   * awaited outputs.
   */
  constructor(describe, automatic = true) {
    this.describe = describe;
    this.automatic = automatic;
  }
  describe;
  automatic;
  members = /* @__PURE__ */ new Set();
  /** Outputs of member derivations that were not valid yet; they join when they appear. */
  awaited = /* @__PURE__ */ new Set();
  /** Takes one batch of newly valid paths; returns how many paths joined the closure. */
  async add(newValid) {
    return this.walk(newValid.filter((p) => this.automatic && isDerivation(p) || this.awaited.has(p)));
  }
  /** Valid roots (derivations or other paths, new or not) whose build closure joins. */
  async addRoots(roots) {
    return this.walk(roots);
  }
  async walk(start) {
    const before = this.members.size;
    let queue = [...start];
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
  /** One tracker per given root, so that a root dropped later takes only its own closure away. */
  rooted = /* @__PURE__ */ new Map();
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
    for (const t of this.rooted.values()) await t.add(fresh);
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
  async closureOf(roots) {
    const union = /* @__PURE__ */ new Set();
    for (const root of roots) {
      let t = this.rooted.get(root);
      if (!t) {
        t = new BuildClosureTracker(async (paths) => this.describe(paths), false);
        await t.addRoots([root]);
        this.rooted.set(root, t);
      }
      for (const p of t.members) union.add(p);
    }
    return union;
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
  rootedKey = "";
  rootedCurrent = /* @__PURE__ */ new Set();
  rootedStale = false;
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
    if (valid.length > 0) {
      this.stale = true;
      this.rootedStale = true;
    }
    return valid;
  }
  async closure() {
    if (this.stale && this.drvs.length > 0) this.current = await buildClosure(this.drvs);
    this.stale = false;
    return this.current;
  }
  /** Asked of Nix again whenever something new appeared or the roots changed. */
  async closureOf(roots) {
    const key = [...roots].sort().join("\n");
    if (this.rootedStale || key !== this.rootedKey) {
      this.rootedCurrent = roots.length > 0 ? await buildClosure(roots) : /* @__PURE__ */ new Set();
      this.rootedKey = key;
      this.rootedStale = false;
    }
    return this.rootedCurrent;
  }
  close() {
  }
};

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
          if ("server" in dest) return dest.server.existing(hashes);
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
  /** Every new path seen, in order. */
  newPaths = [];
  /** Paths considered for staging (each once: what fails is left to the post step). */
  tried = /* @__PURE__ */ new Set();
  /** NARs this agent wrote itself. */
  staged = [];
  parts = 0;
  recordWarned = false;
  /** One round; returns how many paths were published. Throws only on trouble with the store or the cache. */
  async round() {
    const fresh = await this.follower.poll();
    this.session.add(fresh);
    this.newPaths.push(...fresh);
    const { roots } = this.opts;
    const current = roots ? await roots.current(fresh) : void 0;
    if (current?.changed) this.session.reconsider();
    if (!this.session.due && (!current || current.complete)) return 0;
    const closure = current ? await this.follower.closureOf(current.roots) : await this.follower.closure();
    const published = this.session.due ? await this.publish(closure) : 0;
    if (current && !current.complete) await this.stage(closure);
    return published;
  }
  async publish(closure) {
    const { dest, store, recordFile, roots } = this.opts;
    const publish = await this.session.next(closure);
    if (publish.length === 0) return 0;
    if (roots && !await roots.confirm()) {
      this.session.reconsider();
      return 0;
    }
    const onPushed = (p) => recordPublished(recordFile, p);
    const outcome = "server" in dest ? await dest.server.upload(publish, { parallelism: AGENT_PARALLELISM, realStoreDir: store.realStoreDir, spoolDir: dest.spoolDir, onPushed }) : await uploadPaths(publish, {
      backend: dest.backend,
      signer: this.opts.signer,
      compression: dest.compression,
      parallelism: AGENT_PARALLELISM,
      realStoreDir: store.realStoreDir,
      written: this.staged,
      onPushed
    });
    if (outcome.stoppedBy !== void 0) throw new Error(outcome.stoppedBy);
    this.session.settle(outcome);
    for (const f of outcome.failed) log.warning(`${f.path} could not be published during the build (${f.reason}); the post step tries again.`);
    this.published += outcome.pushed.length;
    if (outcome.pushed.length > 0) await this.record(outcome.pushed.map((p) => p.path));
    return outcome.pushed.length;
  }
  /**
   * Uploads the NARs of new paths in the build closure of the derivations instantiated so far
   * (never a stray `nix-store --add`: whoever reads the cache can read its NARs) that the policy
   * would push, without narinfos: invisible to Nix, verified before they get their name. The post
   * step writes narinfos for the selected ones only, naming these NARs (`staged.jsonl`).
   * `certain`: the resolved installables' closure, published with narinfos instead.
   */
  async stage(certain) {
    const { dest, store, policy } = this.opts;
    if ("server" in dest) return;
    const everything = await this.follower.closure();
    const candidates = this.newPaths.filter((p) => everything.has(p) && !certain.has(p) && !this.tried.has(p)).filter((p) => policy.includeDerivations || !p.endsWith(".drv")).slice(0, STAGE_PER_ROUND);
    if (candidates.length === 0) return;
    const infos = await queryPathInfos(candidates, store.storeDir);
    for (const p of candidates) if (infos.has(p)) this.tried.add(p);
    const stage = planStage(candidates, everything, infos, policy);
    if (stage.length === 0) return;
    const outcome = await uploadPaths(stage, {
      backend: dest.backend,
      compression: dest.compression,
      parallelism: AGENT_PARALLELISM,
      realStoreDir: store.realStoreDir,
      narsOnly: true,
      written: this.staged,
      onNarWritten: (nar) => {
        this.staged.push(nar);
        recordStaged(this.opts.stagedFile, nar);
      }
    });
    if (outcome.pushed.length > 0) log.info(`Uploaded ${outcome.pushed.length} NAR(s) ahead, without narinfos (installables not resolved yet).`);
  }
  /**
   * One record part per round that published, after its narinfos: a job cancelled before its post
   * step still counts for what it pushed. Trouble costs only the record (one warning): the post
   * step writes the whole record again.
   */
  async record(pushed) {
    const ctx = this.opts.jobRecord;
    const { dest } = this.opts;
    if (!ctx || "server" in dest) return;
    try {
      await writeRecordPart(dest.backend, ctx, `agent-${process.pid}-${++this.parts}`, { pushed, used: [] });
    } catch (e) {
      if (!this.recordWarned) log.warning(`Could not write the job record to ${dest.backend.displayUrl}: ${e instanceof Error ? e.message : String(e)}; the post step tries again.`);
      this.recordWarned = true;
    }
  }
};
var STAGE_PER_ROUND = 256;

// src/agent/roots.ts
var InstallableRoots = class {
  entries;
  changed = false;
  /** Whether the path installables were asked of Nix once already. */
  asked = false;
  /** The background evaluation of the flake installables, one after the other; never rejects. */
  evaluation;
  constructor(installables, storeDir, opts) {
    this.entries = installables.map((item) => {
      if (classifyInstallable(item, storeDir) !== "flake-ref") return { item, kind: "path" };
      return { item, kind: "flake", state: opts.flakes ? "evaluating" : "failed" };
    });
    const flakes = this.entries.filter((e) => e.kind === "flake" && e.state === "evaluating");
    this.evaluation = (async () => {
      for (const e of flakes) await this.evaluate(e);
    })();
  }
  async evaluate(e) {
    const set = (next) => {
      Object.assign(e, next);
      this.changed = true;
    };
    try {
      const source = await flakeSource(e.item);
      const roots = await flakeDerivations(e.item);
      if (await flakeSource(e.item) !== source) throw new Error("its source changed while it was evaluated");
      set({ item: e.item, kind: "flake", state: "ready", source, roots });
      log.info(`Evaluated '${e.item}': publishing its build closure during the build.`);
    } catch (err) {
      set({ item: e.item, kind: "flake", state: "failed" });
      const why = (err instanceof Error ? err.message : String(err)).split("\n")[0];
      log.info(`Could not evaluate '${e.item}' during the build (${why}); it is left to the post step.`);
    }
  }
  /**
   * Resolves the path installables that became valid; the roots known now. `fresh`: the paths
   * that became valid since the last call. A path installable is asked of Nix once; after that
   * it can only become valid by appearing among them.
   */
  async current(fresh) {
    const pending = this.entries.filter((e) => e.kind === "path" && e.root === void 0);
    if (pending.length > 0) {
      const valid = new Set(this.asked ? fresh : await validPaths(pending.map((e) => e.item)));
      this.asked = true;
      for (const e of pending) {
        if (!valid.has(e.item)) continue;
        e.root = e.item.endsWith(".drv") ? e.item : await validDeriver(e.item) ?? e.item;
        this.changed = true;
      }
    }
    const roots = [];
    let complete = true;
    for (const e of this.entries) {
      if (e.kind === "path" && e.root === void 0 || e.kind === "flake" && e.state !== "ready") complete = false;
      if (e.kind === "path" && e.root !== void 0) roots.push(e.root);
      if (e.kind === "flake" && e.state === "ready") roots.push(...e.roots);
    }
    const changed = this.changed;
    this.changed = false;
    return { roots, changed, complete };
  }
  /**
   * Checks, right before an upload, that each evaluated flake's source is still the one evaluated.
   * One that changed is dropped for good; false when any was (the round is planned again).
   */
  async confirm() {
    let ok = true;
    for (const e of this.entries) {
      if (e.kind !== "flake" || e.state !== "ready") continue;
      const now = await flakeSource(e.item).catch(() => void 0);
      if (now === e.source) continue;
      Object.assign(e, { state: "dropped" });
      this.changed = true;
      ok = false;
      log.info(`The source of '${e.item}' changed since it was evaluated; it is left to the post step.`);
    }
    return ok;
  }
  /** Waits for the background evaluation (tests; the agent does not wait for it to stop). */
  settled() {
    return this.evaluation;
  }
};

// src/agent/run.ts
var POLL_MS = 1e3;
var MAX_FAILED_ROUNDS = 5;
async function destination(inputs, config) {
  const chosen = config.destination;
  if (chosen.role === "publish-server") return { server: serverSink(chosen.cache, inputs.authToken, inputs.secretKey), spoolDir: config.tempDir };
  if (chosen.role === "prepare") {
    const layout = ghaLayout(config.tempDir);
    return { backend: new FileBackend(layout.prepared), alsoServing: new FileBackend(layout.binaryCache), compression: "none" };
  }
  const backend = await binaryCacheBackend(chosen.cache, { authHeader: inputs.authHeader, netrcFile: inputs.netrcFile });
  return { backend, compression: chosen.compression };
}
function jobRecordOf(config) {
  const chosen = config.destination;
  if (chosen.role !== "publish") return void 0;
  const id = recordIdFor(chosen.cache, config.snapshotFile);
  return id === void 0 ? void 0 : recordContext(id);
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
  const policy = policyOf(inputs);
  if ("server" in dest) {
    const upstream = await dest.server.prepare();
    policy.skipSignedBy = [.../* @__PURE__ */ new Set([...policy.skipSignedBy, ...upstream])];
  } else await dest.backend.prepare(config.store.storeDir);
  const displayUrl = "server" in dest ? dest.server.displayUrl : dest.backend.displayUrl;
  log.info(`Following the store (${follower.method === "db" ? "Nix database" : "store directory"}); publishing to ${displayUrl}.`);
  const roots = inputs.installables.length > 0 && (config.destination.role === "publish" || config.destination.role === "publish-server") ? new InstallableRoots(inputs.installables, config.store.storeDir, { flakes: !isNix23(await nixVersion()) }) : void 0;
  const publisher = new Publisher(follower, {
    roots,
    policy,
    signer: inputs.secretKey,
    store: config.store,
    dest,
    recordFile: agentFiles(config.dir).published,
    stagedFile: agentFiles(config.dir).staged,
    jobRecord: jobRecordOf(config)
  });
  const scriptRunning = config.followsScript ? scriptWatcher(config.scriptAncestors) : () => true;
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
