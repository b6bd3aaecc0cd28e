#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  parseSecretKey
} from "./chunk-WODUGNK7.js";

// src/agent/owner.ts
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
function scriptWatcher(ancestors = [], settleMs = SETTLE_MS) {
  const fromProc = groupOf("self");
  const own = fromProc ?? groupFromPs();
  const leaderRunning = own === void 0 || own === process.pid ? () => true : fromProc !== void 0 ? () => groupOf(String(own)) === own : () => alive(own);
  const settledAt = Date.now() + settleMs;
  let script;
  return () => {
    if (!leaderRunning()) return false;
    if (script === void 0) {
      if (Date.now() < settledAt) return true;
      script = [...ancestors].reverse().find(isRunning) ?? null;
    }
    return script === null || isRunning(script);
  };
}
var SETTLE_MS = 2e3;
function scriptAncestors() {
  const chain = [];
  let pid = statOf("self")?.ppid;
  for (let depth = 0; pid !== void 0 && pid > 1 && depth < 32; depth++) {
    const stat = statOf(String(pid));
    if (!stat || stat.pgrp === pid) break;
    chain.push({ pid, startTime: stat.startTime });
    pid = stat.ppid;
  }
  return chain;
}
function isRunning(p) {
  return statOf(String(p.pid))?.startTime === p.startTime;
}
function statOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z" || fields[0] === "X") return void 0;
    const ppid = Number(fields[1]);
    const pgrp = Number(fields[2]);
    if (!Number.isInteger(pgrp) || pgrp <= 0) return void 0;
    return { ppid, pgrp, startTime: fields[19] ?? "" };
  } catch {
    return void 0;
  }
}
function groupOf(pid) {
  return statOf(pid)?.pgrp;
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

// src/agent/protocol.ts
import { appendFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
function recordPublished(file, pushed) {
  const record = { path: pushed.path, narSize: pushed.narSize, fileSize: pushed.fileSize };
  appendFileSync(file, `${JSON.stringify(record)}
`);
}
async function readPublished(file) {
  const seen = /* @__PURE__ */ new Set();
  const published = [];
  for (const line of (await readFile(file, "utf8").catch(() => "")).split("\n")) {
    if (line === "") continue;
    try {
      const r = JSON.parse(line);
      if (!seen.has(r.path)) published.push({ path: r.path, narSize: r.narSize, fileSize: r.fileSize });
      seen.add(r.path);
    } catch {
    }
  }
  return published;
}
function recordStaged(file, nar) {
  appendFileSync(file, `${JSON.stringify({ url: nar.url, fileHash: nar.fileHash, fileSize: nar.fileSize })}
`);
}
async function readStaged(file) {
  const byUrl = /* @__PURE__ */ new Map();
  for (const line of (await readFile(file, "utf8").catch(() => "")).split("\n")) {
    if (line === "") continue;
    try {
      const r = JSON.parse(line);
      if (typeof r.url === "string" && typeof r.fileHash === "string" && r.fileHash !== "" && typeof r.fileSize === "number") {
        byUrl.set(r.url, { url: r.url, fileHash: r.fileHash, fileSize: r.fileSize });
      }
    } catch {
    }
  }
  return [...byUrl.values()];
}
var AGENT_NICE = 10;
var WARNING_PREFIX = "warning: ";
function encodeInputs(inputs) {
  return JSON.stringify({ ...inputs, secretKey: void 0, exclude: inputs.exclude.map((r) => ({ source: r.source, flags: r.flags })) });
}
function decodeInputs(text) {
  const raw = JSON.parse(text);
  return {
    ...raw,
    exclude: raw.exclude.map((r) => new RegExp(r.source, r.flags)),
    secretKey: raw.secretKeyText ? parseSecretKey(raw.secretKeyText) : void 0
  };
}

// src/config/netrc.ts
import { readFile as readFile2 } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
var Tokenizer = class {
  constructor(text) {
    this.text = text;
  }
  text;
  pos = 0;
  next() {
    const t = this.text;
    while (this.pos < t.length && /\s/.test(t[this.pos])) this.pos++;
    if (this.pos >= t.length) return void 0;
    if (t[this.pos] === '"') {
      this.pos++;
      let out = "";
      while (this.pos < t.length && t[this.pos] !== '"') {
        let c = t[this.pos++];
        if (c === "\\" && this.pos < t.length) {
          const e = t[this.pos++];
          c = e === "n" ? "\n" : e === "r" ? "\r" : e === "t" ? "	" : e;
        }
        out += c;
      }
      this.pos++;
      return out;
    }
    const start = this.pos;
    while (this.pos < t.length && !/\s/.test(t[this.pos])) this.pos++;
    return t.slice(start, this.pos);
  }
  skipLine() {
    const nl = this.text.indexOf("\n", this.pos);
    this.pos = nl === -1 ? this.text.length : nl + 1;
  }
  /** A macro body runs from the line after `macdef name` up to the first empty line. */
  skipMacroBody() {
    this.skipLine();
    while (this.pos < this.text.length) {
      const nl = this.text.indexOf("\n", this.pos);
      const line = this.text.slice(this.pos, nl === -1 ? void 0 : nl);
      this.pos = nl === -1 ? this.text.length : nl + 1;
      if (line.trim() === "") return;
    }
  }
};
function parseNetrc(text) {
  const entries = [];
  const tok = new Tokenizer(text.replace(/\r\n/g, "\n"));
  let current;
  for (let t = tok.next(); t !== void 0; t = tok.next()) {
    switch (t) {
      case "machine": {
        const machine = tok.next();
        current = machine === void 0 ? void 0 : { machine };
        if (current !== void 0) entries.push(current);
        break;
      }
      case "default":
        current = {};
        entries.push(current);
        break;
      case "login":
      case "password":
      case "account": {
        const value = tok.next();
        if (current !== void 0 && value !== void 0) current[t] = value;
        break;
      }
      case "macdef":
        tok.next();
        tok.skipMacroBody();
        break;
      default:
        if (t.startsWith("#")) tok.skipLine();
    }
  }
  return entries;
}
function credentialsFor(host, entries) {
  const h = host.toLowerCase();
  return entries.find((e) => e.machine !== void 0 && e.machine.toLowerCase() === h) ?? entries.find((e) => e.machine === void 0);
}
function netrcPath(file) {
  if (file !== void 0 && file !== "") return file;
  const env = process.env["NETRC"];
  if (env !== void 0 && env !== "") return env;
  return join(process.env["HOME"] || homedir(), ".netrc");
}
async function loadNetrc(file) {
  let text;
  try {
    text = await readFile2(netrcPath(file), "utf8");
  } catch (e) {
    const code = e.code;
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    throw e;
  }
  return parseNetrc(text);
}

export {
  parseNetrc,
  credentialsFor,
  netrcPath,
  loadNetrc,
  scriptWatcher,
  scriptAncestors,
  recordPublished,
  readPublished,
  recordStaged,
  readStaged,
  AGENT_NICE,
  WARNING_PREFIX,
  encodeInputs,
  decodeInputs
};
