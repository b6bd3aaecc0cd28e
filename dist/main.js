#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  actionInput,
  githubHost
} from "./chunks/chunk-CW3PDJGU.js";
import "./chunks/chunk-Q5DT6Z5U.js";
import {
  beginJob
} from "./chunks/chunk-4OLRHSTR.js";
import "./chunks/chunk-NJZJKJN4.js";
import "./chunks/chunk-VYI5KU3X.js";
import "./chunks/chunk-IVYRIK5Y.js";
import "./chunks/chunk-UZNHWSQD.js";
import "./chunks/chunk-6ZS75J6E.js";
import {
  openJob,
  runProcess
} from "./chunks/chunk-2EI5SSKI.js";
import "./chunks/chunk-GW53ONQB.js";
import "./chunks/chunk-LYRV4XWB.js";
import "./chunks/chunk-WUQCDREW.js";
import "./chunks/chunk-MP4OTUHC.js";
import "./chunks/chunk-GJFF52N4.js";
import "./chunks/chunk-XPTRIRNR.js";
import "./chunks/chunk-WSR6M3NS.js";

// src/entry/action-main.ts
await runProcess("action-main", () => beginJob(openJob(githubHost, actionInput)));
