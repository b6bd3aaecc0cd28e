#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);

// src/plan/result.ts
function emptyOutcome() {
  return { pushed: [], failed: [], vanished: [], unsubstitutable: [] };
}
function pushedByJob(r) {
  return [...r.published ?? [], ...r.outcome.pushed];
}
function selectedByJob(r) {
  return [...(r.published ?? []).map((p) => p.path), ...r.selection.push];
}

// src/format/store-path.ts
var hashPart = (storePath) => {
  const base = storePath.slice(storePath.lastIndexOf("/") + 1);
  return base.slice(0, 32);
};

export {
  emptyOutcome,
  pushedByJob,
  selectedByJob,
  hashPart
};
