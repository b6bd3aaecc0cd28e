#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);

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

export {
  toNix32,
  fromNix32,
  parseHash,
  formatNix32Hash
};
