import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  batches,
  lines,
  runNix
} from "./chunk-HAEFNHM3.js";

// src/snapshot.ts
import { readdir, readFile, writeFile, access, constants } from "node:fs/promises";
var STORE_NAME = /^[0-9a-df-np-sv-z]{32}-[A-Za-z0-9+\-._?=]+$/;
var NOT_A_PATH = /\.(lock|chroot|check)$/;
async function readDb(dbPath, storeDir) {
  try {
    await access(dbPath, constants.R_OK);
    const { DatabaseSync } = await loadSqlite();
    const db = new DatabaseSync(dbPath, { readOnly: true });
    try {
      const row = db.prepare("SELECT group_concat(substr(path, ?), char(10)) AS names FROM (SELECT path FROM ValidPaths ORDER BY path)").get(storeDir.length + 2);
      const names = row?.names ? row.names.split("\n") : [];
      if (names.length > 0 && !STORE_NAME.test(names[0])) {
        const rows = db.prepare("SELECT path FROM ValidPaths ORDER BY path").all();
        return rows.map((r) => r.path.slice(r.path.lastIndexOf("/") + 1));
      }
      return names;
    } finally {
      db.close();
    }
  } catch {
    return void 0;
  }
}
var sqlite;
function loadSqlite() {
  sqlite ??= (async () => {
    const emit = process.emitWarning;
    process.emitWarning = (() => void 0);
    try {
      return await import("node:sqlite");
    } finally {
      process.emitWarning = emit;
    }
  })();
  return sqlite;
}
async function readStoreDir(realStoreDir) {
  let entries;
  try {
    entries = await readdir(realStoreDir);
  } catch (e) {
    if (e.code === "ENOENT") return [];
    throw e;
  }
  return entries.filter((n) => STORE_NAME.test(n) && !NOT_A_PATH.test(n));
}
async function takeSnapshot(store, method) {
  if (method !== "dir") {
    const names = await readDb(store.dbPath, store.storeDir);
    if (names) return { method: "db", names };
    if (method === "db") throw new Error(`cannot read the Nix database at ${store.dbPath} any more`);
  }
  return { method: "dir", names: await readStoreDir(store.realStoreDir) };
}
async function saveSnapshot(file, snap) {
  await writeFile(file, `${snap.method}
${snap.names.join("\n")}
`);
}
async function loadSnapshot(file) {
  const [method, ...names] = lines(await readFile(file, "utf8"));
  if (method !== "db" && method !== "dir") throw new Error(`${file} is not a snapshot`);
  return { method, names };
}
function diffSnapshots(before, after) {
  if (!isSorted(before) || !isSorted(after)) {
    const seen = new Set(before);
    return after.filter((n) => !seen.has(n));
  }
  const added = [];
  let i = 0;
  for (const name of after) {
    while (i < before.length && before[i] < name) i++;
    if (i < before.length && before[i] === name) i++;
    else added.push(name);
  }
  return added;
}
function isSorted(names) {
  for (let i = 1; i < names.length; i++) if (!(names[i - 1] < names[i])) return false;
  return true;
}
async function validPaths(paths) {
  const invalid = /* @__PURE__ */ new Set();
  for (const batch of batches(paths)) {
    const r = await runNix("nix-store", ["--check-validity", "--print-invalid", ...batch]);
    for (const p of lines(r.stdout)) invalid.add(p);
  }
  return paths.filter((p) => !invalid.has(p));
}

export {
  takeSnapshot,
  saveSnapshot,
  loadSnapshot,
  diffSnapshots,
  validPaths
};
