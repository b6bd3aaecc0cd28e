#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  hashPart
} from "./chunk-XK72OWUU.js";
import {
  batches,
  lines,
  runNix
} from "./chunk-IDEMXRFO.js";
import {
  formatNix32Hash,
  fromNix32,
  toNix32
} from "./chunk-Z3KDMJWA.js";

// src/nix/version.ts
function parseNixVersion(text) {
  const line = text.trim().split("\n")[0] ?? "";
  const m = /\(([^)]*)\)\s+(\d+)\.(\d+)/.exec(line);
  if (!m) return void 0;
  const implementation = /Lix/.test(m[1]) ? "lix" : /Determinate/.test(m[1]) ? "determinate" : "nix";
  return { implementation, major: Number(m[2]), minor: Number(m[3]), text: line };
}
var upstreamBefore = (v, minor) => v.implementation !== "lix" && v.major === 2 && v.minor < minor;
var isNix23 = (v) => v !== void 0 && upstreamBefore(v, 4);
var drvArgumentMeansOutputs = (v) => !isNix23(v) && upstreamBefore(v, 15);
var cached;
function nixVersion() {
  cached ??= runNix("nix", ["--version"], { allowFailure: true }).then((r) => r.exitCode === 0 ? parseNixVersion(r.stdout) : void 0);
  return cached;
}

// src/plan/selection.ts
var SKIP_REASONS = [
  "pre-existing",
  "upstream-signed",
  "already-cached",
  "excluded",
  "unserved-reference",
  "outside-closure",
  "derivation"
];
function emptySkipped() {
  return {
    "pre-existing": [],
    "outside-closure": [],
    derivation: [],
    excluded: [],
    "upstream-signed": [],
    "already-cached": [],
    "unserved-reference": []
  };
}
var keyName = (sig) => sig.slice(0, sig.indexOf(":"));
function signedUpstream(signatures, skipSignedBy) {
  return signatures.some((s) => skipSignedBy.includes(keyName(s)));
}
function reasonFor(path, input) {
  const { policy } = input;
  if (!input.closure.has(path)) return "outside-closure";
  if (!policy.includeDerivations && path.endsWith(".drv")) return "derivation";
  if (policy.exclude.some((re) => re.test(path))) return "excluded";
  const sigs = input.signatures.get(path) ?? [];
  if (signedUpstream(sigs, policy.skipSignedBy)) return "upstream-signed";
  return void 0;
}
function selectPaths(input) {
  const skipped = emptySkipped();
  const push = [];
  const fresh = new Set(input.newPaths);
  for (const path of input.newPaths) {
    const reason = reasonFor(path, input);
    if (reason) skipped[reason].push(path);
    else push.push(path);
  }
  for (const path of input.closure) {
    if (fresh.has(path)) continue;
    const reason = input.policy.includePreExisting ? reasonFor(path, input) : "pre-existing";
    if (reason) skipped[reason].push(path);
    else push.push(path);
  }
  return { push, skipped };
}
function withoutCached(selection, cached2) {
  const push = selection.push.filter((p) => !cached2.has(p));
  const already = selection.push.filter((p) => cached2.has(p));
  return { ...selection, push, skipped: { ...selection.skipped, "already-cached": [...selection.skipped["already-cached"], ...already] } };
}
function completeClosure(selection, facts, policy) {
  const push = new Set(selection.push);
  const served = /* @__PURE__ */ new Set([...selection.skipped["already-cached"], ...selection.skipped["upstream-signed"]]);
  const excluded = new Set(selection.skipped.excluded);
  const added = [];
  const unservable = /* @__PURE__ */ new Set();
  const unserved = [];
  const lookups = { infos: [], cache: [] };
  const seen = new Set(selection.push);
  const queue = [...selection.push];
  for (let i = 0; i < queue.length; i++) {
    const p = queue[i];
    const info = facts.infos.get(p);
    if (!info) {
      if (!facts.missing.has(p)) lookups.infos.push(p);
      continue;
    }
    for (const r of info.references) {
      if (r === p || push.has(r) || served.has(r)) continue;
      if (excluded.has(r) || policy.exclude.some((re) => re.test(r)) || facts.missing.has(r)) {
        unservable.add(r);
        unserved.push({ path: r, referrer: p });
        continue;
      }
      if (seen.has(r)) continue;
      seen.add(r);
      const refInfo = facts.infos.get(r);
      if (!refInfo) {
        lookups.infos.push(r);
        continue;
      }
      if (signedUpstream(refInfo.signatures, policy.skipSignedBy)) continue;
      const cached2 = facts.cached.get(r);
      if (cached2 === void 0) lookups.cache.push(r);
      else if (!cached2) {
        push.add(r);
        added.push(r);
        queue.push(r);
      }
    }
  }
  const withheld = /* @__PURE__ */ new Set();
  for (let changed = unservable.size > 0; changed; ) {
    changed = false;
    for (const p of push) {
      if (withheld.has(p)) continue;
      const refs = facts.infos.get(p)?.references ?? [];
      if (refs.some((r) => r !== p && (unservable.has(r) || withheld.has(r)))) {
        withheld.add(p);
        changed = true;
      }
    }
  }
  const completion = added.filter((p) => !withheld.has(p));
  const moved = new Set(completion);
  const skipped = emptySkipped();
  for (const reason of SKIP_REASONS) skipped[reason] = selection.skipped[reason].filter((p) => !moved.has(p));
  skipped["unserved-reference"].push(...selection.push.filter((p) => withheld.has(p)));
  return {
    selection: {
      push: [...push].filter((p) => !withheld.has(p)),
      completion: [...selection.completion ?? [], ...completion],
      skipped
    },
    lookups,
    unserved
  };
}

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

// src/plan/planner.ts
function heldByHash(existing) {
  return async (paths) => {
    const found = await existing(paths.map(hashPart));
    return new Set(paths.filter((p) => found.has(hashPart(p))));
  };
}
var Lookups = class {
  constructor(io, known = /* @__PURE__ */ new Map()) {
    this.io = io;
    this.infos = new Map(known);
  }
  io;
  infos;
  /** Paths described that the store does not hold. */
  missing = /* @__PURE__ */ new Set();
  /** The destination's answers. */
  held = /* @__PURE__ */ new Map();
  async describe(paths) {
    if (paths.length === 0) return;
    const found = await this.io.describe(paths);
    for (const p of paths) {
      const info = found.get(p);
      if (info) this.infos.set(p, info);
      else this.missing.add(p);
    }
  }
  /** Asks the destination about the paths it was not asked about yet. */
  async ask(paths) {
    const unasked = paths.filter((p) => !this.held.has(p));
    if (unasked.length === 0) return;
    const found = await this.io.held(unasked);
    for (const p of unasked) this.held.set(p, found.has(p));
  }
  isHeld(path) {
    return this.held.get(path) === true;
  }
};
function selectFinal(facts, policy) {
  return selectPaths({
    newPaths: facts.newPaths,
    closure: facts.closure,
    signatures: new Map([...facts.infos].map(([p, i]) => [p, i.signatures])),
    policy
  });
}
function planAsSelected(selected, published, infos) {
  const ours = new Set(published.map((p) => p.path));
  return { selection: { ...selected, push: selected.push.filter((p) => !ours.has(p)) }, published, unserved: [], infos };
}
async function planFinal(selected, input, io) {
  const lookups = new Lookups(io, input.facts.infos);
  const published = new Set(input.published.map((p) => p.path));
  for (const p of published) lookups.held.set(p, true);
  let selection = { ...selected, push: selected.push.filter((p) => !published.has(p)) };
  await lookups.ask(selection.push);
  selection = withoutCached(selection, new Set(selection.push.filter((p) => lookups.isHeld(p))));
  for (; ; ) {
    const c = completeClosure(selection, { infos: lookups.infos, missing: lookups.missing, cached: lookups.held }, input.policy);
    if (c.lookups.infos.length > 0) await lookups.describe(c.lookups.infos);
    else if (c.lookups.cache.length > 0) await lookups.ask(c.lookups.cache);
    else return { selection: c.selection, published: input.published, unserved: c.unserved, infos: lookups.infos };
  }
}
function infosToPush(plan) {
  return plan.selection.push.map((p) => plan.infos.get(p)).filter((i) => i !== void 0);
}
function planStage(candidates, closure, infos, policy) {
  const selected = new Set(
    selectPaths({
      newPaths: [...candidates],
      closure,
      signatures: new Map([...infos].map(([p, i]) => [p, i.signatures])),
      policy: { ...policy, includePreExisting: false }
    }).push
  );
  return [...infos.values()].filter((i) => selected.has(i.path));
}
var CertainSession = class {
  constructor(io, policy) {
    this.policy = policy;
    this.lookups = new Lookups(io);
  }
  policy;
  newPaths = [];
  lookups;
  /** Served by someone: found at the destination, signed upstream, or published by the session. */
  available = /* @__PURE__ */ new Set();
  /** Publications that failed or vanished: left to the post step, and so are their referrers. */
  givenUp = /* @__PURE__ */ new Set();
  /** References from before the job already asked about. */
  lookedUp = /* @__PURE__ */ new Set();
  dirty = false;
  /** New valid paths the store follower saw. */
  add(fresh) {
    if (fresh.length === 0) return;
    this.newPaths.push(...fresh);
    this.dirty = true;
  }
  /** The closure changed without new paths (roots added or dropped): plan again next round. */
  reconsider() {
    this.dirty = true;
  }
  /** Whether anything happened since the last round that may let a path go. */
  get due() {
    return this.dirty;
  }
  /** One round over the build closure known now: the infos to publish, references before referrers. */
  async next(closure) {
    this.dirty = false;
    const { infos } = this.lookups;
    const undescribed = this.newPaths.filter((p) => closure.has(p) && !infos.has(p) && (!p.endsWith(".drv") || this.policy.includeDerivations));
    await this.lookups.describe(undescribed);
    const references = new Map([...infos].map(([p, i]) => [p, i.references]));
    const signatures = new Map([...infos].map(([p, i]) => [p, i.signatures]));
    const plan = () => certainToPublish({
      newPaths: this.newPaths,
      closure,
      references,
      signatures,
      policy: this.policy,
      available: this.available,
      givenUp: this.givenUp,
      lookedUp: this.lookedUp
    });
    let next = plan();
    if (next.lookups.length > 0) {
      await this.lookups.describe(next.lookups);
      const upstream = (p) => signedUpstream(infos.get(p)?.signatures ?? [], this.policy.skipSignedBy);
      await this.lookups.ask(next.lookups.filter((p) => !upstream(p)));
      for (const p of next.lookups) {
        this.lookedUp.add(p);
        if (upstream(p) || this.lookups.isHeld(p)) this.available.add(p);
      }
      next = plan();
    }
    const unchecked = [...next.publish, ...next.waiting].filter((p) => !this.lookups.held.has(p));
    if (unchecked.length > 0) {
      await this.lookups.ask(unchecked);
      for (const p of unchecked) if (this.lookups.isHeld(p)) this.available.add(p);
      next = plan();
    }
    return next.publish.map((p) => infos.get(p)).filter((i) => i !== void 0);
  }
  /** What became of a round's publications. */
  settle(outcome) {
    for (const p of outcome.pushed) this.available.add(p.path);
    for (const f of outcome.failed) this.givenUp.add(f.path);
    for (const p of outcome.vanished) this.givenUp.add(p);
    this.dirty = outcome.pushed.length > 0;
  }
};

// src/nix/flake.ts
var FLAKES = "extra-experimental-features = flakes";
function flakeOf(installable) {
  const hash = installable.indexOf("#");
  return hash < 0 ? installable : installable.slice(0, hash);
}
async function flakeSource(installable) {
  const r = await runNix("nix", ["flake", "metadata", "--json", "--no-write-lock-file", flakeOf(installable)], { extraConfig: FLAKES });
  const path = JSON.parse(r.stdout).path;
  if (typeof path !== "string") throw new Error(`nix flake metadata gave no source path for '${installable}'`);
  return path;
}
async function flakeDerivations(installable) {
  const r = await runNix("nix", ["path-info", "--derivation", "--no-write-lock-file", installable], { extraConfig: FLAKES });
  return lines(r.stdout);
}

// src/nix/closure.ts
var isDerivation = (p) => p.endsWith(".drv");
async function buildClosure(roots) {
  const closure = /* @__PURE__ */ new Set();
  for (const batch of batches(roots)) {
    const r = await runNix("nix-store", ["--query", "--requisites", "--include-outputs", ...batch]);
    for (const p of lines(r.stdout)) closure.add(p);
  }
  return closure;
}
function classifyInstallable(installable, storeDir) {
  if (installable.startsWith(`${storeDir}/`)) return isDerivation(installable) ? "derivation" : "store-path";
  return "flake-ref";
}
async function resolveRoots(installables, storeDir) {
  const roots = [];
  const legacy = isNix23(await nixVersion());
  for (const item of installables) {
    const kind = classifyInstallable(item, storeDir);
    if (kind === "derivation") {
      roots.push(item);
    } else if (kind === "store-path") {
      roots.push(await validDeriver(item) ?? item);
    } else if (legacy) {
      const r = await runNix("nix", ["path-info", item]);
      for (const out of lines(r.stdout)) roots.push(await validDeriver(out) ?? out);
    } else {
      const r = await runNix("nix", ["path-info", "--derivation", item], { extraConfig: FLAKES });
      roots.push(...lines(r.stdout));
    }
  }
  return roots;
}
async function validDeriver(outPath) {
  const r = await runNix("nix-store", ["--query", "--deriver", outPath], { allowFailure: true });
  const drv = r.stdout.trim();
  if (r.exitCode !== 0 || !isDerivation(drv)) return void 0;
  const check = await runNix("nix-store", ["--check-validity", drv], { allowFailure: true });
  return check.exitCode === 0 ? drv : void 0;
}

// src/nix/path-info.ts
var PathInfoParseError = class extends Error {
  constructor(message) {
    super(`cannot parse nix path-info JSON: ${message}`);
    this.name = "PathInfoParseError";
  }
};
function isObject(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
var HASH_SIZES = { md5: 16, sha1: 20, sha256: 32, sha512: 64 };
function base64Len(size) {
  return 4 * Math.ceil(size / 3);
}
function nix32Len(size) {
  return Math.ceil(size * 8 / 5);
}
function decodeBase64Strict(s, size) {
  if (s.length !== base64Len(size) || !/^[A-Za-z0-9+/]+={0,2}$/.test(s)) return void 0;
  const bytes = Buffer.from(s, "base64");
  return bytes.length === size ? bytes : void 0;
}
function decodeDigest(digest, algorithm, format) {
  const size = HASH_SIZES[algorithm];
  if (size === void 0) throw new Error(`unknown hash algorithm '${algorithm}'`);
  const fmt = format === "base32" ? "nix32" : format;
  if ((fmt === void 0 || fmt === "base16") && digest.length === size * 2 && /^[0-9a-fA-F]+$/.test(digest)) {
    return Buffer.from(digest, "hex");
  }
  if ((fmt === void 0 || fmt === "nix32") && digest.length === nix32Len(size)) return fromNix32(digest);
  if (fmt === void 0 || fmt === "base64" || fmt === "sri") {
    const bytes = decodeBase64Strict(digest, size);
    if (bytes) return bytes;
  }
  throw new Error(`invalid ${algorithm} hash '${digest}'${format ? ` in format ${format}` : ""}`);
}
function decodeHashUnchecked(value) {
  if (typeof value === "string") {
    const sri = /^([a-z0-9]+)-(.*)$/.exec(value);
    if (sri && HASH_SIZES[sri[1]] !== void 0) {
      return { algorithm: sri[1], bytes: decodeDigest(sri[2], sri[1], "sri") };
    }
    const prefixed = /^([a-z0-9]+):(.*)$/.exec(value);
    if (prefixed && HASH_SIZES[prefixed[1]] !== void 0) {
      return { algorithm: prefixed[1], bytes: decodeDigest(prefixed[2], prefixed[1]) };
    }
    throw new Error(`unrecognised hash '${value}'`);
  }
  if (isObject(value)) {
    const { algorithm, format, hash } = value;
    if (typeof algorithm !== "string" || typeof hash !== "string") {
      throw new Error(`hash object needs string 'algorithm' and 'hash'`);
    }
    if (hash.startsWith(`${algorithm}-`) || hash.startsWith(`${algorithm}:`)) return decodeHashUnchecked(hash);
    return { algorithm, bytes: decodeDigest(hash, algorithm, typeof format === "string" ? format : void 0) };
  }
  throw new Error(`expected a hash, got ${JSON.stringify(value ?? null)}`);
}
function decodeHash(value, what) {
  try {
    return decodeHashUnchecked(value);
  } catch (e) {
    throw new PathInfoParseError(`${what}: ${e.message}`);
  }
}
function narHashOf(value, path) {
  const { algorithm, bytes } = decodeHash(value, `narHash of ${path}`);
  if (algorithm !== "sha256") throw new PathInfoParseError(`narHash of ${path} is ${algorithm}, expected sha256`);
  return formatNix32Hash(bytes);
}
var CA_PREFIX = {
  text: "text:",
  flat: "fixed:",
  nar: "fixed:r:",
  git: "fixed:git:"
};
function caOf(value, path) {
  if (value === void 0 || value === null || value === "") return void 0;
  if (typeof value === "string") return value;
  if (isObject(value) && typeof value["method"] === "string") {
    const prefix = CA_PREFIX[value["method"]];
    if (prefix === void 0) throw new PathInfoParseError(`ca of ${path}: unknown method '${value["method"]}'`);
    const { algorithm, bytes } = decodeHash(value["hash"], `ca of ${path}`);
    return `${prefix}${algorithm}:${toNix32(bytes)}`;
  }
  throw new PathInfoParseError(`ca of ${path}: unexpected value ${JSON.stringify(value)}`);
}
function signatureOf(value, path) {
  if (typeof value === "string") return value;
  if (isObject(value) && typeof value["keyName"] === "string" && typeof value["sig"] === "string") {
    return `${value["keyName"]}:${value["sig"]}`;
  }
  throw new PathInfoParseError(`signature of ${path}: unexpected value ${JSON.stringify(value)}`);
}
function fullPath(p, storeDir) {
  return p.startsWith("/") ? p : `${storeDir}/${p}`;
}
function entryToPathInfo(path, e, storeDir) {
  const narSize = e["narSize"];
  if (typeof narSize !== "number" || !Number.isSafeInteger(narSize) || narSize < 0) {
    throw new PathInfoParseError(`narSize of ${path}: expected a non-negative integer, got ${JSON.stringify(narSize ?? null)}`);
  }
  const refs = e["references"] ?? [];
  if (!Array.isArray(refs) || !refs.every((r) => typeof r === "string")) {
    throw new PathInfoParseError(`references of ${path}: expected a list of store paths`);
  }
  const sigs = e["signatures"] ?? [];
  if (!Array.isArray(sigs)) throw new PathInfoParseError(`signatures of ${path}: expected a list`);
  const deriver = e["deriver"];
  if (deriver !== void 0 && deriver !== null && typeof deriver !== "string") {
    throw new PathInfoParseError(`deriver of ${path}: expected a store path`);
  }
  const info = {
    path,
    narHash: narHashOf(e["narHash"], path),
    narSize,
    references: [...new Set(refs.map((r) => fullPath(r, storeDir)))].sort(),
    signatures: sigs.map((s) => signatureOf(s, path)),
    ultimate: e["ultimate"] === true
  };
  if (typeof deriver === "string" && deriver !== "") info.deriver = fullPath(deriver, storeDir);
  const ca = caOf(e["ca"], path);
  if (ca !== void 0) info.ca = ca;
  return info;
}
function isInvalidMarker(e) {
  return e === null || isObject(e) && e["valid"] === false;
}
function storeDirOf(o, fallback) {
  const dir = o["storeDir"];
  return typeof dir === "string" && dir !== "" ? dir.replace(/\/+$/, "") : fallback;
}
function parseKeyed(entries, storeDir) {
  const out = [];
  for (const [key, e] of Object.entries(entries)) {
    if (isInvalidMarker(e)) continue;
    if (!isObject(e)) throw new PathInfoParseError(`entry for ${key}: expected an object`);
    const dir = storeDirOf(e, storeDir);
    out.push(entryToPathInfo(fullPath(key, dir), e, dir));
  }
  return out;
}
function parsePathInfoJson(text, storeDir = "/nix/store") {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new PathInfoParseError(e.message);
  }
  const dir = storeDir.replace(/\/+$/, "");
  if (Array.isArray(doc)) {
    const out = [];
    for (const e of doc) {
      if (isInvalidMarker(e)) continue;
      if (!isObject(e) || typeof e["path"] !== "string") {
        throw new PathInfoParseError("list entry without a path");
      }
      const d = storeDirOf(e, dir);
      out.push(entryToPathInfo(fullPath(e["path"], d), e, d));
    }
    return out;
  }
  if (isObject(doc)) {
    const info = doc["info"];
    if (isObject(info) && typeof doc["version"] === "number") return parseKeyed(info, storeDirOf(doc, dir));
    return parseKeyed(doc, dir);
  }
  throw new PathInfoParseError(`expected a list or an object, got ${JSON.stringify(doc)}`);
}

// src/nix/query-path-info.ts
var jsonFormatFlag;
async function pathInfoJson(args, allowFailure = false) {
  if (jsonFormatFlag === void 0) {
    const r2 = await runNix("nix", ["path-info", "--json", "--json-format", "1", ...args], { allowFailure: true });
    if (r2.exitCode === 0) {
      jsonFormatFlag = ["--json-format", "1"];
      return r2.stdout;
    }
    jsonFormatFlag = [];
  }
  const r = await runNix("nix", ["path-info", "--json", ...jsonFormatFlag, ...args], { allowFailure });
  return r.exitCode === 0 ? r.stdout : "[]";
}
async function query(paths, extra, storeDir, allowFailure = false) {
  const out = [];
  for (const batch of batches(paths)) {
    out.push(...parsePathInfoJson(await pathInfoJson([...extra, ...batch], allowFailure), storeDir));
  }
  return out;
}
async function drvArgumentIsLiteral(drv, storeDir) {
  const version = await nixVersion();
  if (version) return !drvArgumentMeansOutputs(version);
  const probe = await query([drv], [], storeDir, true);
  return probe.some((i) => i.path === drv);
}
async function queryPathInfos(paths, storeDir) {
  const result = /* @__PURE__ */ new Map();
  const drvs = paths.filter(isDerivation);
  const others = paths.filter((p) => !isDerivation(p));
  for (const info of await query(others, [], storeDir)) result.set(info.path, info);
  if (drvs.length > 0) {
    const literal = await drvArgumentIsLiteral(drvs[0], storeDir);
    const infos = await query(drvs, literal ? [] : ["--derivation"], storeDir);
    for (const info of infos) if (isDerivation(info.path)) result.set(info.path, info);
  }
  return result;
}

// src/plan/io.ts
function policyOf(inputs) {
  return {
    includeDerivations: inputs.includeDerivations,
    includePreExisting: inputs.pushPreExisting,
    skipSignedBy: inputs.skipSignedBy,
    exclude: inputs.exclude
  };
}
function planIO(storeDir, held) {
  return { describe: (paths) => queryPathInfos(paths, storeDir), held };
}

export {
  isNix23,
  nixVersion,
  flakeSource,
  flakeDerivations,
  isDerivation,
  buildClosure,
  classifyInstallable,
  resolveRoots,
  validDeriver,
  drvArgumentIsLiteral,
  queryPathInfos,
  SKIP_REASONS,
  heldByHash,
  selectFinal,
  planAsSelected,
  planFinal,
  infosToPush,
  planStage,
  CertainSession,
  policyOf,
  planIO
};
