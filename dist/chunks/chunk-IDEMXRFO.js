#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);

// src/runtime/exec.ts
import { spawn } from "node:child_process";
function execCapture(command, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    const out = [];
    const err = [];
    child.stdout.on("data", (b) => out.push(b));
    child.stderr.on("data", (b) => err.push(b));
    child.on("error", reject);
    child.stdin.on("error", () => void 0);
    child.on(
      "close",
      (code, signal) => resolve({
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        exitCode: code ?? (signal ? 128 : 1)
      })
    );
    child.stdin.end(opts.input ?? "");
  });
}

// src/nix/cli.ts
var NixCommandError = class extends Error {
  constructor(command, result) {
    const detail = result.stderr.trim().split("\n").slice(-3).join(" | ");
    super(`${command} exited with ${result.exitCode}: ${detail}`);
    this.command = command;
    this.result = result;
  }
  command;
  result;
};
var OUR_SETTINGS = "extra-experimental-features = nix-command";
function nixEnv(base = process.env, extraConfig) {
  const env = {};
  for (const [k, v] of Object.entries(base)) if (v !== void 0) env[k] = v;
  const ours = extraConfig ? `${OUR_SETTINGS}
${extraConfig}` : OUR_SETTINGS;
  env.NIX_CONFIG = base.NIX_CONFIG ? `${base.NIX_CONFIG}
${ours}` : ours;
  return env;
}
async function runNix(command, args, opts = {}) {
  const result = await execCapture(command, args, { env: nixEnv(opts.env ?? process.env, opts.extraConfig), input: opts.input });
  if (result.exitCode !== 0 && !opts.allowFailure) {
    throw new NixCommandError(`${command} ${args.slice(0, 3).join(" ")}`, result);
  }
  return result;
}
function batches(paths, maxBytes = 256 * 1024) {
  const out = [];
  let current = [];
  let size = 0;
  for (const p of paths) {
    if (current.length > 0 && size + p.length + 1 > maxBytes) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(p);
    size += p.length + 1;
  }
  if (current.length > 0) out.push(current);
  return out;
}
function lines(text) {
  return text.split("\n").filter((l) => l.length > 0);
}

export {
  execCapture,
  NixCommandError,
  nixEnv,
  runNix,
  batches,
  lines
};
