#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  host
} from "./chunk-XPTRIRNR.js";

// src/runtime/job-dir.ts
import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
var hash = (text, length) => createHash("sha256").update(text).digest("hex").slice(0, length);
var unique = () => randomBytes(6).toString("hex");
function jobDir(tempDir = host().tempDir) {
  const root = join(tempDir, "nix-buildtime-cache");
  return {
    root,
    budget: join(root, "budget.json"),
    newSnapshot: () => join(root, `snapshot-${unique()}`),
    newPullNetrc: () => join(root, `netrc-${unique()}`),
    fileCacheAlias: (cacheDir) => join(root, `file-cache-${hash(cacheDir, 16)}`),
    agent: (cacheUrl) => join(root, `agent-${hash(cacheUrl, 12)}`),
    gha: join(root, "gha")
  };
}
function agentFiles(dir) {
  return {
    log: join(dir, "agent.log"),
    ready: join(dir, "ready.json"),
    published: join(dir, "published.jsonl"),
    job: join(dir, "job.json"),
    ended: join(dir, "ended.txt")
  };
}

// src/format/nix32.ts
var ALPHABET = "0123456789abcdfghijklmnpqrsvwxyz";
var DIGIT = new Map([...ALPHABET].map((c, i) => [c, i]));
var SHA256_BYTES = 32;
function toNix32(bytes) {
  const len = Math.ceil(bytes.length * 8 / 5);
  let out = "";
  for (let n = len - 1; n >= 0; n--) {
    const b = n * 5;
    const i = b >> 3;
    const j = b & 7;
    const hi = i + 1 < bytes.length ? bytes[i + 1] << 8 - j : 0;
    out += ALPHABET[(bytes[i] >> j | hi) & 31];
  }
  return out;
}
function fromNix32(s) {
  const size = Math.floor(s.length * 5 / 8);
  if (Math.ceil(size * 8 / 5) !== s.length || size === 0) {
    throw new Error(`invalid nix32 string of length ${s.length}`);
  }
  const out = Buffer.alloc(size);
  for (let n = 0; n < s.length; n++) {
    const digit = DIGIT.get(s[s.length - n - 1]);
    if (digit === void 0) throw new Error(`invalid character in nix32 string '${s}'`);
    const b = n * 5;
    const i = b >> 3;
    const j = b & 7;
    out[i] |= digit << j & 255;
    const carry = digit >> 8 - j;
    if (i + 1 < size) out[i + 1] |= carry;
    else if (carry !== 0) throw new Error(`nix32 string '${s}' has bits beyond its length`);
  }
  return out;
}
function parseHash(s) {
  let rest;
  if (s.startsWith("sha256-")) {
    rest = s.slice("sha256-".length);
    if (!isBase64Sha256(rest)) throw new Error(`invalid SRI sha256 hash '${s}'`);
    return Buffer.from(rest, "base64");
  }
  if (!s.startsWith("sha256:")) throw new Error(`not a sha256 hash: '${s}'`);
  rest = s.slice("sha256:".length);
  if (rest.length === 64 && /^[0-9a-fA-F]+$/.test(rest)) return Buffer.from(rest, "hex");
  if (rest.length === 52) return fromNix32(rest);
  if (isBase64Sha256(rest)) return Buffer.from(rest, "base64");
  throw new Error(`invalid sha256 hash '${s}'`);
}
function formatNix32Hash(bytes) {
  if (bytes.length !== SHA256_BYTES) throw new Error(`expected a 32-byte sha256, got ${bytes.length} bytes`);
  return `sha256:${toNix32(bytes)}`;
}
function isBase64Sha256(s) {
  return /^[A-Za-z0-9+/]{43}=$/.test(s);
}

// src/format/signing.ts
import { createPrivateKey, createPublicKey, sign, verify } from "node:crypto";
var PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
var SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
var BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
function parseSecretKey(text) {
  const { name, bytes } = splitKey(text.trim(), 64, "secret key");
  const seed = bytes.subarray(0, 32);
  const storedPublic = bytes.subarray(32);
  let privateKey;
  try {
    privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: "der", type: "pkcs8" });
  } catch {
    throw new Error("secret key is not a valid Ed25519 key");
  }
  const derivedPublic = createPublicKey(privateKey).export({ format: "der", type: "spki" }).subarray(SPKI_ED25519_PREFIX.length);
  if (!derivedPublic.equals(storedPublic)) {
    throw new Error("secret key is corrupt: its public half does not match its seed");
  }
  return {
    name,
    publicKey: `${name}:${derivedPublic.toString("base64")}`,
    sign: (data) => `${name}:${sign(null, Buffer.from(data, "utf8"), privateKey).toString("base64")}`
  };
}
function fingerprint(storePath, narHash, narSize, references) {
  if (!Number.isSafeInteger(narSize) || narSize < 0) throw new Error(`invalid NAR size ${narSize}`);
  const refs = [...new Set(references)].sort();
  return `1;${storePath};${formatNix32Hash(parseHash(narHash))};${narSize};${refs.join(",")}`;
}
function splitKey(text, size, what) {
  const parts = text.split(":");
  if (parts.length !== 2) throw new Error(`${what} must have the form <name>:<base64>`);
  const [name, encoded] = parts;
  if (name.length === 0) throw new Error(`${what} has an empty name`);
  const bytes = BASE64.test(encoded) ? Buffer.from(encoded, "base64") : void 0;
  if (bytes?.length !== size) throw new Error(`${what} must be ${size} bytes of base64 after the name`);
  return { name, bytes };
}

export {
  toNix32,
  fromNix32,
  parseHash,
  formatNix32Hash,
  parseSecretKey,
  fingerprint,
  jobDir,
  agentFiles
};
