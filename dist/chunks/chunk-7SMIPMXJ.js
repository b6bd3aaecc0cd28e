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

export {
  cacheInfoText,
  readCacheInfoStoreDir
};
