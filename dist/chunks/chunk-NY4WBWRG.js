#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  GcStopped,
  GcUsageError,
  collectGarbage,
  gcLines,
  gcMarkdown,
  parseGcArgs,
  parseGcOptions
} from "./chunk-K6IOJQO7.js";
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
import {
  NotCollectable,
  collectableCache
} from "./chunk-DZZ52KV5.js";
import {
  InputError,
  parseCache
} from "./chunk-DDPCELID.js";
import {
  host,
  log,
  setHost
} from "./chunk-LXHOX3IK.js";

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

// src/action/gc.ts
var gcAsked = (input) => input("gc").trim() !== "";
async function collectIfAsked(processHost, input) {
  if (!gcAsked(input)) return false;
  setHost(processHost);
  const words = input("gc").trim().split(/\s+/);
  let args;
  let options;
  try {
    args = parseGcArgs(words, { cacheOption: false });
    if (args === "help") throw new GcUsageError("--help is not an option here");
    options = parseGcOptions(args.options);
  } catch (e) {
    if (e instanceof GcUsageError) throw new InputError("gc", `${e.message}; expected options of nix-buildtime-cache gc, such as '--keep-days 30 --max-size 50G'`);
    if (e instanceof InputError) throw new InputError("gc", `--${e.message.replace(/^Input '([^']*)': /, "$1: ")}`);
    throw e;
  }
  let cache;
  try {
    cache = await collectableCache(parseCache(input("cache")));
  } catch (e) {
    if (e instanceof NotCollectable) throw new InputError("cache", e.message);
    throw e;
  }
  try {
    const result = await collectGarbage(cache, options);
    for (const line of gcLines(result)) log.info(line);
    await host().writeSummary(gcMarkdown(result));
  } catch (e) {
    if (e instanceof GcStopped) host().fail(`gc stopped: ${e.message}`);
    else throw e;
  } finally {
    cache.close?.();
  }
  return true;
}

export {
  githubHost,
  actionInput,
  gcAsked,
  collectIfAsked
};
