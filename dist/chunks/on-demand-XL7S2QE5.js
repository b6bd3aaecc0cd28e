#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  LazyLayers
} from "./chunk-VMFHUUXY.js";
import {
  RESTORED_STATE_KEY,
  withSignatures
} from "./chunk-SHD2LOKY.js";
import {
  actionsCacheClient,
  cacheMode,
  unavailableReason
} from "./chunk-L4FJVMRZ.js";
import {
  ghaLayout,
  keyScheme
} from "./chunk-I2MKXC5P.js";
import {
  localPull,
  servingKeys
} from "./chunk-QKB2IMY3.js";
import "./chunk-Q5DT6Z5U.js";
import "./chunk-ZDZD7BZ6.js";
import "./chunk-XK72OWUU.js";
import {
  DEFAULT_SUBSTITUTER_PORT
} from "./chunk-DDPCELID.js";
import {
  jobDir
} from "./chunk-S54S7H64.js";
import "./chunk-WODUGNK7.js";
import "./chunk-WPHW6MTC.js";
import "./chunk-72I3IZBR.js";
import "./chunk-SUVJ4ZAQ.js";
import "./chunk-Z3KDMJWA.js";
import "./chunk-EGCALRY5.js";
import {
  host,
  timings
} from "./chunk-LXHOX3IK.js";
import "./chunk-WSR6M3NS.js";

// src/executors/gha/lazy-server.ts
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { createServer } from "node:http";
import { join } from "node:path";
var NARINFO = /^\/([0-9a-df-np-sv-z]{32})\.narinfo$/;
var NAR = /^\/nar\/[0-9a-df-np-sv-z]{52}\.nar$/;
async function serveLazyLayers(layers, binaryCache, opts) {
  const port = opts.port ?? DEFAULT_SUBSTITUTER_PORT;
  const server = createServer((req, res) => {
    handle(layers, binaryCache, opts, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await listen(server, port);
  const { port: bound } = server.address();
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    })
  };
}
async function listen(server, port) {
  const attempt = (p) => new Promise((resolve, reject) => {
    const onError = (e) => reject(e);
    server.once("error", onError);
    server.listen(p, "127.0.0.1", () => {
      server.off("error", onError);
      resolve();
    });
  });
  try {
    await attempt(port);
  } catch (e) {
    if (port === 0 || e.code !== "EADDRINUSE") throw e;
    await attempt(0);
  }
}
async function handle(layers, dir, opts, req, res) {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { Allow: "GET, HEAD" }).end();
    return;
  }
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  if (path === "/nix-cache-info") return sendFile(join(dir, "nix-cache-info"), "text/x-nix-cache-info", req, res);
  const narinfo = NARINFO.exec(path);
  if (narinfo) {
    if (!await layers.lookup(narinfo[1])) {
      res.writeHead(404).end();
      return;
    }
    return sendNarInfo(join(dir, `${narinfo[1]}.narinfo`), opts, req, res);
  }
  if (NAR.test(path)) return sendFile(join(dir, path), "application/x-nix-nar", req, res);
  res.writeHead(404).end();
}
async function sendFile(file, type, req, res) {
  let size;
  try {
    size = (await stat(file)).size;
  } catch {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { "Content-Type": type, "Content-Length": size });
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  createReadStream(file).on("error", () => res.destroy()).pipe(res);
}
async function sendNarInfo(file, opts, req, res) {
  let body;
  try {
    body = Buffer.from(withSignatures(await readFile(file, "utf8"), opts.storeDir, opts.keys));
  } catch {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { "Content-Type": "text/x-nix-narinfo", "Content-Length": body.length });
  res.end(req.method === "HEAD" ? void 0 : body);
}

// src/executors/gha/on-demand.ts
async function serveGithubActionsCache(opts, store) {
  if (unavailableReason() || !cacheMode().readable) return void 0;
  const layout = ghaLayout(host().tempDir);
  const layers = new LazyLayers({ client: actionsCacheClient({ stallMs: timings().layerStallMs }), layout, keys: keyScheme(opts.keyPrefix), storeDir: store.storeDir });
  const keys = await servingKeys(jobDir().substituterKey);
  const substituter = await serveLazyLayers(layers, layout.binaryCache, { port: opts.port, keys: keys.all, storeDir: store.storeDir });
  return {
    url: substituter.url,
    close: async () => {
      await substituter.close();
      await layers.settled();
    }
  };
}
async function pullFromLocalSubstituter(url, port) {
  host().saveState(RESTORED_STATE_KEY, ghaLayout(host().tempDir).restoredFile);
  return localPull(url, await servingKeys(jobDir().substituterKey), url === `http://127.0.0.1:${port}`);
}
export {
  pullFromLocalSubstituter,
  serveGithubActionsCache
};
