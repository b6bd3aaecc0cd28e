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

export {
  StderrHost,
  setHost,
  host,
  log
};
