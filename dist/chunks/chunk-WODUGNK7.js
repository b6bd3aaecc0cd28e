#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  formatNix32Hash,
  parseHash
} from "./chunk-Z3KDMJWA.js";

// src/format/signing.ts
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from "node:crypto";
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
function generateSecretKey(name) {
  if (name === "" || name.includes(":")) throw new Error('a key name must be non-empty and without ":"');
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const seed = privateKey.export({ format: "der", type: "pkcs8" }).subarray(PKCS8_ED25519_PREFIX.length);
  const pub = publicKey.export({ format: "der", type: "spki" }).subarray(SPKI_ED25519_PREFIX.length);
  return `${name}:${Buffer.concat([seed, pub]).toString("base64")}`;
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
  parseSecretKey,
  generateSecretKey,
  fingerprint
};
