#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  generateSecretKey,
  parseSecretKey
} from "./chunk-WODUGNK7.js";
import {
  log
} from "./chunk-LXHOX3IK.js";

// src/executors/gha/serving-key.ts
import { randomBytes } from "node:crypto";
import { link, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
function machineKeyFile(env = process.env) {
  return join(env.NIX_CONF_DIR || "/etc/nix", "nix-buildtime-cache", "substituter.sec");
}
async function jobServingKey(file) {
  try {
    return parseSecretKey(await readFile(file, "utf8"));
  } catch (e) {
    if (e.code !== "ENOENT") throw e;
  }
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${randomBytes(6).toString("hex")}`;
  await writeFile(tmp, generateSecretKey(`nix-buildtime-cache-job-${randomBytes(6).toString("hex")}`), { mode: 384, flag: "wx" });
  try {
    await link(tmp, file);
  } catch (e) {
    if (e.code !== "EEXIST") throw e;
  } finally {
    await rm(tmp, { force: true });
  }
  return parseSecretKey(await readFile(file, "utf8"));
}
async function machineServingKey(file = machineKeyFile()) {
  let text;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    const code = e.code;
    if (code === "ENOENT" || code === "ENOTDIR") return void 0;
    log.warning(`The machine's substituter key ${file} cannot be read (${code ?? String(e)}): the local substituter signs with this job's key only.`);
    return void 0;
  }
  try {
    return parseSecretKey(text);
  } catch (e) {
    log.warning(`The machine's substituter key ${file} is not a Nix secret key (${e.message}): the local substituter signs with this job's key only.`);
    return void 0;
  }
}
async function servingKeys(jobKeyFile) {
  const [job, machine] = await Promise.all([jobServingKey(jobKeyFile), machineServingKey()]);
  return { job, ...machine ? { machine } : {}, all: machine ? [job, machine] : [job] };
}
async function removeJobServingKey(file) {
  await rm(file, { force: true });
}
function localPull(url, keys, stable) {
  return { url, keys: keys.all.map((k) => k.publicKey), ...keys.machine ? { machineKey: keys.machine.publicKey } : {}, stable };
}

export {
  servingKeys,
  removeJobServingKey,
  localPull
};
