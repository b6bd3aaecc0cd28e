import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);

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

// src/backends/backend.ts
var CONTENT_TYPES = {
  nar: "application/x-nix-nar",
  narinfo: "text/x-nix-narinfo",
  cacheInfo: "text/x-nix-cache-info"
};

export {
  limiter,
  CONTENT_TYPES
};
