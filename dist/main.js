#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  actionInput,
  collectIfAsked,
  githubHost
} from "./chunks/chunk-NY4WBWRG.js";
import {
  beginJob
} from "./chunks/chunk-K6IOJQO7.js";
import "./chunks/chunk-GTGXA4Q6.js";
import "./chunks/chunk-OIXLTF4U.js";
import "./chunks/chunk-QKB2IMY3.js";
import "./chunks/chunk-Q5DT6Z5U.js";
import "./chunks/chunk-DZZ52KV5.js";
import "./chunks/chunk-SWKWKHL2.js";
import "./chunks/chunk-ZDZD7BZ6.js";
import "./chunks/chunk-XK72OWUU.js";
import "./chunks/chunk-UTKKREKS.js";
import {
  openJob,
  runProcess
} from "./chunks/chunk-TBXICSS6.js";
import "./chunks/chunk-DDPCELID.js";
import "./chunks/chunk-AOV4FCBB.js";
import "./chunks/chunk-IDEMXRFO.js";
import "./chunks/chunk-S54S7H64.js";
import "./chunks/chunk-WODUGNK7.js";
import "./chunks/chunk-NYSGCFNQ.js";
import "./chunks/chunk-MR5IPH4H.js";
import "./chunks/chunk-WPHW6MTC.js";
import "./chunks/chunk-72I3IZBR.js";
import "./chunks/chunk-SUVJ4ZAQ.js";
import "./chunks/chunk-Z3KDMJWA.js";
import "./chunks/chunk-EGCALRY5.js";
import "./chunks/chunk-LXHOX3IK.js";
import "./chunks/chunk-WSR6M3NS.js";

// src/entry/action-main.ts
await runProcess("action-main", async () => {
  if (await collectIfAsked(githubHost, actionInput)) return;
  await beginJob(openJob(githubHost, actionInput));
});
