#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);

// src/format/cache-info.ts
function cacheInfoText(storeDir) {
  return `StoreDir: ${storeDir}
WantMassQuery: 1
Priority: 41
`;
}
function readCacheInfoStoreDir(text) {
  return /^StoreDir:\s*(\S+)/m.exec(text)?.[1];
}

// src/executors/binary-cache/cache-info.ts
async function ensureCacheInfo(storeDir, file, foreign = (theirs) => `${file.displayUrl} is a binary cache for store directory ${theirs}, but this machine's store is ${storeDir}`) {
  const existing = await file.read();
  if (existing === void 0) {
    await file.write(cacheInfoText(storeDir));
    return;
  }
  const theirs = readCacheInfoStoreDir(existing);
  if (theirs !== void 0 && theirs !== storeDir) throw new Error(foreign(theirs));
}

// src/executors/binary-cache/backend.ts
var CONTENT_TYPES = {
  nar: "application/x-nix-nar",
  narinfo: "text/x-nix-narinfo",
  cacheInfo: "text/x-nix-cache-info"
};

export {
  cacheInfoText,
  ensureCacheInfo,
  CONTENT_TYPES
};
