#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);

// src/executors/binary-cache/listing.ts
var DELETE_BATCH = 1e3;
var AnotherGcDeleting = class extends Error {
};

export {
  DELETE_BATCH,
  AnotherGcDeleting
};
