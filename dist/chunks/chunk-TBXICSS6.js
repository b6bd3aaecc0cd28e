#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  InputError,
  readInputs,
  secretsOf
} from "./chunk-DDPCELID.js";
import {
  jobDir
} from "./chunk-S54S7H64.js";
import {
  abandonedWork,
  host,
  log,
  openJobBudget,
  saveJobBudget,
  setHost
} from "./chunk-LXHOX3IK.js";

// src/runtime/failure.ts
function reportFailure(e, strict) {
  const message = `nix-buildtime-cache: ${e instanceof Error ? e.message : String(e)}`;
  if (strict) host().fail(message);
  else log.warning(message);
}

// src/job/lifecycle.ts
var opened;
function openJob(processHost, inputs, opts = {}) {
  setHost(processHost);
  let parsed;
  if (typeof inputs === "function") {
    parsed = readInputs(inputs);
  } else {
    for (const s of secretsOf(inputs)) processHost.setSecret(s);
    parsed = inputs;
  }
  openJobBudget(jobDir().budget, opts);
  opened = parsed;
  return parsed;
}
var messageOf = (e) => e instanceof Error ? e.message : String(e);
var step = (failed) => ({
  failed,
  end() {
    if (abandonedWork()) process.exit();
  }
});
var RULES = {
  // A bad input is one ::error:: line, without a stack; trouble with the cache is the job's (strict or not).
  "action-main": step((e) => {
    if (opened) reportFailure(e, opened.strict);
    else host().fail(e instanceof InputError ? e.message : String(e));
    return void 0;
  }),
  // A bad input: the main step has already failed with its error, and saying it twice helps nobody.
  "action-post": step((e) => {
    if (opened) reportFailure(e, opened.strict);
    return void 0;
  }),
  cli: {
    // The command sorts out its own failures (cli/main.ts); this is the last resort.
    failed(e) {
      host().error(`nix-buildtime-cache: ${messageOf(e)}`);
      return 1;
    },
    // Explicitly: an HTTP client's keep-alive sockets must not hold the command open. The empty
    // write's callback runs once what was written to stdout before it has been handed over.
    end: (status) => void process.stdout.write("", () => process.exit(status ?? 0))
  },
  agent: {
    // The job never fails because of the agent: the post step pushes whatever it did not.
    failed(e) {
      log.warning(`The background agent stopped: ${messageOf(e)}; the post step pushes the rest.`);
      return 0;
    },
    end: () => process.exit(0)
  }
};
async function runProcess(kind, body) {
  const rules = RULES[kind];
  let status;
  try {
    status = await body() ?? void 0;
  } catch (e) {
    status = rules.failed(e);
  }
  saveJobBudget();
  rules.end(status);
}

export {
  reportFailure,
  openJob,
  runProcess
};
