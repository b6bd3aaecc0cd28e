#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  actionInput,
  collectIfAsked,
  githubHost
} from "./chunks/chunk-6V2SCVVB.js";
import {
  beginJob
} from "./chunks/chunk-HHTBWAVJ.js";
import "./chunks/chunk-7WSUJEUL.js";
import "./chunks/chunk-IVZWKGW4.js";
import "./chunks/chunk-HT6RKKWU.js";
import "./chunks/chunk-Q5DT6Z5U.js";
import "./chunks/chunk-6UTL6CQ3.js";
import "./chunks/chunk-SWKWKHL2.js";
import "./chunks/chunk-MQDBRMBZ.js";
import "./chunks/chunk-XK72OWUU.js";
import "./chunks/chunk-UTKKREKS.js";
import {
  openJob,
  runProcess
} from "./chunks/chunk-RFSXYZAW.js";
import "./chunks/chunk-NG6KIHJA.js";
import "./chunks/chunk-AOV4FCBB.js";
import "./chunks/chunk-IDEMXRFO.js";
import "./chunks/chunk-JWQLIVU5.js";
import "./chunks/chunk-WODUGNK7.js";
import "./chunks/chunk-4ERHW5T6.js";
import "./chunks/chunk-WWDDLBZ6.js";
import "./chunks/chunk-WPHW6MTC.js";
import "./chunks/chunk-72I3IZBR.js";
import "./chunks/chunk-SUVJ4ZAQ.js";
import "./chunks/chunk-Z3KDMJWA.js";
import "./chunks/chunk-EXJRYZJU.js";
import "./chunks/chunk-RBL4TPKM.js";
import "./chunks/chunk-WSR6M3NS.js";

// src/entry/action-main.ts
await runProcess("action-main", async () => {
  if (await collectIfAsked(githubHost, actionInput)) return;
  await beginJob(openJob(githubHost, actionInput));
});
