#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);

// src/backends/cache-info.ts
function cacheInfoText(storeDir) {
  return `StoreDir: ${storeDir}
WantMassQuery: 1
Priority: 41
`;
}
function readCacheInfoStoreDir(text) {
  return /^StoreDir:\s*(\S+)/m.exec(text)?.[1];
}

// src/backends/backend.ts
var CONTENT_TYPES = {
  nar: "application/x-nix-nar",
  narinfo: "text/x-nix-narinfo",
  cacheInfo: "text/x-nix-cache-info"
};

// src/upload/limiter.ts
function limiter(n) {
  let active = 0;
  const waiting = [];
  return async (task) => {
    if (active >= n) await new Promise((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

export {
  cacheInfoText,
  readCacheInfoStoreDir,
  CONTENT_TYPES,
  limiter
};
