#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);

// src/cli/node-version.ts
import * as zlib from "node:zlib";
var MINIMUM = [22, 15];
function supported(version) {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  const recentEnough = major > MINIMUM[0] || major === MINIMUM[0] && minor >= MINIMUM[1];
  return recentEnough && typeof zlib.zstdCompressSync === "function";
}
if (!supported(process.versions.node)) {
  process.stderr.write(
    `nix-buildtime-cache: needs Node ${MINIMUM.join(".")} or later (for zstd in node:zlib); this is Node ${process.versions.node}.
`
  );
  process.exit(1);
}

// src/entry/cli.ts
var { runProcess } = await import("./chunks/lifecycle-JU52JNV4.js");
var { main } = await import("./chunks/main-7ZZ6D3XQ.js");
await runProcess("cli", () => main(process.argv.slice(2)));
