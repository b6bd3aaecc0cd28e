#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  actionInput,
  collectIfAsked,
  githubHost
} from "./chunks/chunk-H2OD3ESM.js";
import {
  beginJob
} from "./chunks/chunk-NDHMAULK.js";
import "./chunks/chunk-3ARRIUSE.js";
import "./chunks/chunk-OYOJZ7RY.js";
import "./chunks/chunk-VBOFLXGS.js";
import "./chunks/chunk-5ILJGSWS.js";
import "./chunks/chunk-X7FR3O4X.js";
import "./chunks/chunk-LYDSLQSI.js";
import "./chunks/chunk-Q5DT6Z5U.js";
import "./chunks/chunk-JR4ZI3K7.js";
import "./chunks/chunk-SGWZFH3B.js";
import "./chunks/chunk-5QZJIT2Z.js";
import {
  openJob,
  runProcess
} from "./chunks/chunk-SQTPPINL.js";
import "./chunks/chunk-Q5ALDPOL.js";
import "./chunks/chunk-3KWS2PPE.js";
import "./chunks/chunk-WODUGNK7.js";
import "./chunks/chunk-Z3KDMJWA.js";
import "./chunks/chunk-4ERHW5T6.js";
import "./chunks/chunk-M7ISI6RW.js";
import "./chunks/chunk-AKU3OAVM.js";
import "./chunks/chunk-SUVJ4ZAQ.js";
import "./chunks/chunk-R2G23YRC.js";
import "./chunks/chunk-24U267C3.js";
import "./chunks/chunk-WSR6M3NS.js";

// src/entry/action-main.ts
await runProcess("action-main", async () => {
  if (await collectIfAsked(githubHost, actionInput)) return;
  await beginJob(openJob(githubHost, actionInput));
});
