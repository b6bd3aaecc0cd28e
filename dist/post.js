#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  actionInput,
  githubHost
} from "./chunks/chunk-CW3PDJGU.js";
import {
  finishJob
} from "./chunks/chunk-CG57F63K.js";
import "./chunks/chunk-SSK6N5DH.js";
import "./chunks/chunk-OYOJZ7RY.js";
import "./chunks/chunk-VBOFLXGS.js";
import "./chunks/chunk-5ILJGSWS.js";
import "./chunks/chunk-X7FR3O4X.js";
import "./chunks/chunk-3RHMKCPP.js";
import "./chunks/chunk-Q5DT6Z5U.js";
import "./chunks/chunk-JR4ZI3K7.js";
import "./chunks/chunk-SGWZFH3B.js";
import "./chunks/chunk-5QZJIT2Z.js";
import {
  openJob,
  runProcess
} from "./chunks/chunk-DCKXWRIJ.js";
import "./chunks/chunk-Q3BSRRBX.js";
import "./chunks/chunk-3KWS2PPE.js";
import "./chunks/chunk-WODUGNK7.js";
import "./chunks/chunk-Z3KDMJWA.js";
import "./chunks/chunk-M7ISI6RW.js";
import "./chunks/chunk-AKU3OAVM.js";
import "./chunks/chunk-SUVJ4ZAQ.js";
import "./chunks/chunk-R2G23YRC.js";
import "./chunks/chunk-24U267C3.js";
import "./chunks/chunk-WSR6M3NS.js";

// src/entry/action-post.ts
await runProcess("action-post", async () => {
  await finishJob(openJob(githubHost, actionInput));
});
