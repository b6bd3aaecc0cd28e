#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  debug,
  endGroup,
  error,
  exportVariable,
  getInput,
  getState,
  info,
  notice,
  saveState,
  setFailed,
  setOutput,
  setSecret,
  startGroup,
  summary,
  warning
} from "./chunk-Q5DT6Z5U.js";

// src/action/host.ts
import { tmpdir } from "node:os";
var githubHost = {
  tempDir: process.env.RUNNER_TEMP || tmpdir(),
  info: (m) => info(m),
  warning: (m) => warning(m),
  error: (m) => error(m),
  notice: (m) => notice(m),
  debug: (m) => debug(m),
  setSecret: (v) => setSecret(v),
  exportVariable: (n, v) => exportVariable(n, v),
  setOutput: (n, v) => setOutput(n, v),
  saveState: (n, v) => saveState(n, v),
  getState: (n) => getState(n),
  async writeSummary(markdown) {
    if (process.env.GITHUB_STEP_SUMMARY) await summary.addRaw(markdown).write();
    else info(markdown);
  },
  fail: (m) => setFailed(m),
  startGroup: (name) => startGroup(name),
  endGroup: () => endGroup()
};
var actionInput = (name) => getInput(name);

export {
  githubHost,
  actionInput
};
