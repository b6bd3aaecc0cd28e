#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  nixConfig
} from "./chunks/chunk-UTKKREKS.js";
import {
  openJob,
  runProcess
} from "./chunks/chunk-TBXICSS6.js";
import {
  bucketHttpUrl,
  urlCredentials,
  withoutCredentials
} from "./chunks/chunk-DDPCELID.js";
import {
  AGENT_NICE,
  WARNING_PREFIX,
  credentialsFor,
  decodeInputs,
  loadNetrc,
  scriptWatcher
} from "./chunks/chunk-AOV4FCBB.js";
import "./chunks/chunk-IDEMXRFO.js";
import {
  agentFiles
} from "./chunks/chunk-S54S7H64.js";
import "./chunks/chunk-WODUGNK7.js";
import {
  require_dist_cjs,
  s3ClientConfig
} from "./chunks/chunk-AJY2XOBS.js";
import "./chunks/chunk-Z3KDMJWA.js";
import {
  RequestGuard,
  RequestTimeout,
  RetryableHttpError
} from "./chunks/chunk-EGCALRY5.js";
import {
  JobBudget,
  StderrHost,
  jobBudget,
  log,
  seconds,
  timings
} from "./chunks/chunk-LXHOX3IK.js";
import "./chunks/chunk-6KE3EQZP.js";
import {
  __toESM
} from "./chunks/chunk-WSR6M3NS.js";

// src/agent/main.ts
import { rename, writeFile } from "node:fs/promises";
import { getPriority, setPriority } from "node:os";

// src/agent/host.ts
var AgentHost = class extends StderrHost {
  /** Informational lines carry the time (the agent's latency is read from them); warnings start with their prefix. */
  line(message, prefix) {
    this.say(prefix ?? `${(/* @__PURE__ */ new Date()).toISOString()} `, message);
  }
  info(m) {
    this.line(m);
  }
  warning(m) {
    this.line(m, WARNING_PREFIX);
  }
  error(m) {
    this.line(m, WARNING_PREFIX);
  }
  notice(m) {
    this.line(m);
  }
  debug(m) {
    if (process.env.NIX_BUILDTIME_CACHE_DEBUG) this.line(`debug: ${m}`);
  }
  exportVariable(_name, _value) {
  }
  setOutput(_name, _value) {
  }
  saveState(_name, _value) {
  }
  getState(_name) {
    return "";
  }
  async writeSummary(_markdown) {
  }
  fail(m) {
    this.warning(m);
  }
};

// src/agent/substituter.ts
async function serveSubstituter(inputs, store) {
  try {
    const { serveGithubActionsCache } = await import("./chunks/on-demand-XL7S2QE5.js");
    return await serveGithubActionsCache({ keyPrefix: inputs.keyPrefix, port: inputs.substituterPort }, store);
  } catch (e) {
    log.warning(`The GitHub Actions cache could not be served on demand (${e instanceof Error ? e.message : String(e)}); the main step restores it instead.`);
    return void 0;
  }
}

// src/agent/front.ts
import { existsSync } from "node:fs";

// src/pull/front.ts
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
var ServerTrouble = class extends RetryableHttpError {
};
var ClientGone = class extends Error {
};
var HOP_BY_HOP = /* @__PURE__ */ new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer", "proxy-authenticate", "proxy-authorization"]);
function passOn(headers) {
  const out = {};
  for (const [k, v] of Object.entries(headers)) if (v !== void 0 && !HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}
function kindOf(e) {
  if (e instanceof ClientGone) return void 0;
  if (e instanceof RequestTimeout) return "timeout";
  if (e instanceof ServerTrouble) return "server-error";
  return "connection";
}
function causeOf(e) {
  if (e instanceof RequestTimeout) return `no answer for ${seconds(e.idleMs)}`;
  return e instanceof Error ? e.message : String(e);
}
var MAX_CACHE_INFO = 64 * 1024;
var PASSED_REQUEST_HEADERS = ["accept", "accept-encoding", "range", "if-none-match", "if-modified-since"];
function relayBody(body, res, a, keep) {
  return new Promise((resolve, reject) => {
    body.on("data", (chunk) => {
      a.touch();
      keep?.(chunk);
      if (!res.write(chunk)) {
        body.pause();
        const waiting = setInterval(() => a.touch(), 250);
        const resume = () => {
          clearInterval(waiting);
          a.touch();
          body.resume();
        };
        res.once("drain", resume);
        res.once("close", () => clearInterval(waiting));
      }
    });
    body.once("end", () => {
      res.end();
      resolve();
    });
    body.once("error", reject);
    const abort = () => {
      body.destroy();
      reject(a.signal.reason);
    };
    if (a.signal.aborted) abort();
    else a.signal.addEventListener("abort", abort, { once: true });
  });
}
async function serveCacheFront(opts) {
  const { upstream } = opts;
  const secret = randomBytes(16).toString("hex");
  const prefix = `/${secret}/`;
  const budget = new JobBudget({ budgetMs: Number.MAX_SAFE_INTEGER, breakerThreshold: 1 });
  const guard = new RequestGuard({
    budget,
    idleMs: opts.idleMs,
    followDeadline: false,
    retry: { attempts: 1 },
    verdict: kindOf,
    isTrouble: (e) => kindOf(e) !== void 0,
    cause: causeOf
  });
  let down;
  let cacheInfo;
  const unavailable = () => down ?? (opts.jobGaveUp() ? `the job gave up on the cache (${opts.jobGaveUp()})` : void 0);
  const sayCacheInfo = (req, res) => {
    const body = cacheInfo ?? Buffer.from(`StoreDir: ${opts.storeDir}
`);
    res.writeHead(200, { "Content-Type": "text/x-nix-cache-info", "Content-Length": body.length });
    res.end(req.method === "HEAD" ? void 0 : body);
  };
  const forward = async (key, method, req, res) => {
    const headers = {};
    for (const h of PASSED_REQUEST_HEADERS) {
      const v = req.headers[h];
      if (typeof v === "string") headers[h] = v;
    }
    await guard.run(`${method} ${upstream.where(key)}`, async (a) => {
      const call = new AbortController();
      let clientGone = false;
      const onAbort = () => call.abort(a.signal.reason);
      a.signal.addEventListener("abort", onAbort, { once: true });
      const onClose = () => {
        if (res.writableFinished) return;
        clientGone = true;
        call.abort(new ClientGone("the client went away"));
      };
      res.once("close", onClose);
      try {
        const answer = await upstream.get(key, { method, headers }, call.signal);
        a.touch();
        if (key === "nix-cache-info" && (answer.status === 404 || answer.status === 403)) {
          answer.body?.destroy();
          sayCacheInfo(req, res);
          return;
        }
        res.writeHead(answer.status, passOn(answer.headers));
        if (answer.body === void 0 || method === "HEAD") {
          answer.body?.destroy();
          res.end();
          return;
        }
        const kept = [];
        let keptBytes = 0;
        const keep = key === "nix-cache-info" && answer.status === 200 ? (chunk) => {
          if ((keptBytes += chunk.length) <= MAX_CACHE_INFO) kept.push(chunk);
        } : void 0;
        await relayBody(answer.body, res, { ...a, signal: call.signal }, keep);
        if (kept.length > 0 && keptBytes <= MAX_CACHE_INFO) cacheInfo = Buffer.concat(kept);
      } catch (e) {
        if (clientGone) throw new ClientGone("the client went away");
        throw e;
      } finally {
        a.signal.removeEventListener("abort", onAbort);
        res.off("close", onClose);
      }
    });
  };
  const handle = async (req, res) => {
    const path = (req.url ?? "/").replace(/[?#].*$/, "");
    if (!path.startsWith(prefix)) {
      res.writeHead(404).end();
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD" }).end();
      return;
    }
    const rest = path.slice(prefix.length);
    const gone = unavailable();
    if (gone !== void 0) {
      if (rest === "nix-cache-info") sayCacheInfo(req, res);
      else res.writeHead(404).end();
      return;
    }
    const startedAt = Date.now();
    try {
      await forward(rest, req.method, req, res);
    } catch (e) {
      if (e instanceof ClientGone) return;
      if (down === void 0) {
        down = `${causeOf(e)} from ${upstream.where(rest)}`;
        opts.charge?.(Date.now() - startedAt, down);
        log.warning(`The cache stopped answering the job's Nix (${down}): for the rest of the job, Nix builds what it would have pulled from it.`);
      }
      if (res.headersSent) res.destroy();
      else if (rest === "nix-cache-info") sayCacheInfo(req, res);
      else res.writeHead(404).end();
    }
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/${secret}`,
    get down() {
      return down;
    },
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
      upstream.close();
    })
  };
}

// src/pull/front-http.ts
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
function httpUpstream(remoteUrl, auth) {
  const remote = new URL(remoteUrl.replace(/\/+$/, "") + "/");
  const request = remote.protocol === "https:" ? httpsRequest : httpRequest;
  const agent = remote.protocol === "https:" ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  let authHeaders2;
  const target = (key) => new URL(key, remote);
  return {
    where: (key) => {
      const t = target(key);
      return `${t.origin}${t.pathname}`;
    },
    async get(key, req, signal) {
      authHeaders2 ??= auth().catch(() => ({}));
      const headers = { ...req.headers, ...await authHeaders2, "User-Agent": "nix-buildtime-cache" };
      return new Promise((resolve, reject) => {
        const up = request(target(key), { method: req.method, headers, agent, signal }, (res) => {
          const status = res.statusCode ?? 502;
          if (status >= 500) {
            res.resume();
            reject(new ServerTrouble(`HTTP ${status}`, status));
            return;
          }
          resolve({ status, headers: res.headers, body: res });
        });
        up.once("error", reject);
        up.end();
      });
    },
    close: () => agent.destroy()
  };
}

// src/pull/front-s3.ts
var import_client_s3 = __toESM(require_dist_cjs(), 1);
import { Readable } from "node:stream";
function statusOf(e) {
  return e?.$metadata?.httpStatusCode;
}
function noCredentials(e) {
  return e?.name === "CredentialsProviderError";
}
var REFUSED_CREDENTIALS = /* @__PURE__ */ new Set(["InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "TokenRefreshRequired"]);
function errorName(e) {
  const name = e?.name;
  return typeof name === "string" ? name : void 0;
}
function objectHeaders(o) {
  const h = {};
  if (o.ContentType !== void 0) h["content-type"] = o.ContentType;
  if (o.ContentLength !== void 0) h["content-length"] = String(o.ContentLength);
  if (o.ContentEncoding !== void 0) h["content-encoding"] = o.ContentEncoding;
  if (o.ContentRange !== void 0) h["content-range"] = o.ContentRange;
  if (o.ETag !== void 0) h.etag = o.ETag;
  if (o.LastModified !== void 0) h["last-modified"] = o.LastModified.toUTCString();
  if (o.CacheControl !== void 0) h["cache-control"] = o.CacheControl;
  return h;
}
function s3Upstream(location, credentials) {
  const client = new import_client_s3.S3Client({
    ...s3ClientConfig(location, credentials),
    maxAttempts: 1,
    requestHandler: { httpAgent: { keepAlive: true }, httpsAgent: { keepAlive: true } }
  });
  const Bucket = location.bucket;
  let unsigned;
  let saidRefused = false;
  return {
    where: (key) => `s3://${Bucket}/${key}`,
    async get(Key, req, signal) {
      if (unsigned !== void 0) return unsigned.get(Key, req, signal);
      const Range = req.headers.range;
      try {
        if (req.method === "HEAD") {
          const head = await client.send(new import_client_s3.HeadObjectCommand({ Bucket, Key }), { abortSignal: signal });
          return { status: 200, headers: objectHeaders(head) };
        }
        const got = await client.send(new import_client_s3.GetObjectCommand({ Bucket, Key, Range }), { abortSignal: signal });
        const body = got.Body instanceof Readable ? got.Body : void 0;
        return { status: Range !== void 0 && got.ContentRange !== void 0 ? 206 : 200, headers: objectHeaders(got), body };
      } catch (e) {
        if (noCredentials(e)) {
          unsigned = httpUpstream(bucketHttpUrl(location), async () => ({}));
          log.info(`The background agent has no AWS credentials; it reads s3://${Bucket} for the job's Nix unsigned, at ${bucketHttpUrl(location)} (a public bucket).`);
          return unsigned.get(Key, req, signal);
        }
        const status = statusOf(e);
        if (status === void 0) throw e;
        if (status >= 500) throw new ServerTrouble(`HTTP ${status}`, status);
        const name = errorName(e);
        if (!saidRefused && name !== void 0 && REFUSED_CREDENTIALS.has(name)) {
          saidRefused = true;
          log.warning(
            `s3://${Bucket} refused the job's AWS credentials (${name}), so the job's Nix gets nothing from it and builds instead. Check the credentials the job has (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or the role).`
          );
        }
        return { status, headers: {} };
      }
    },
    close: () => {
      client.destroy();
      unsigned?.close();
    }
  };
}

// src/agent/front.ts
var FRONT_IDLE_MS = 1e4;
async function authHeaders(inputs) {
  if (inputs.authHeader) return { [inputs.authHeader.name]: inputs.authHeader.value };
  const basic = (login, password) => ({ Authorization: `Basic ${Buffer.from(`${login}:${password}`).toString("base64")}` });
  const fromUrl = urlCredentials(inputs.cache.url);
  if (fromUrl) return basic(fromUrl.login, fromUrl.password);
  const host = new URL(withoutCredentials(inputs.cache.url)).hostname;
  const nixNetrc = (await nixConfig().catch(() => /* @__PURE__ */ new Map())).get("netrc-file") || void 0;
  const entries = [...await loadNetrc(inputs.netrcFile).catch(() => []), ...nixNetrc ? await loadNetrc(nixNetrc).catch(() => []) : []];
  const entry = credentialsFor(host, entries);
  return entry ? basic(entry.login ?? "", entry.password ?? "") : {};
}
function upstreamFor(inputs, url) {
  if (inputs.cache.kind === "s3") return s3Upstream(inputs.cache.s3);
  return httpUpstream(withoutCredentials(url), () => authHeaders(inputs));
}
async function serveFront(config, inputs) {
  if (!config.front) return void 0;
  try {
    return await serveCacheFront({
      upstream: upstreamFor(inputs, config.front.url),
      storeDir: config.store.storeDir,
      idleMs: Math.min(FRONT_IDLE_MS, timings().idleMs),
      jobGaveUp: () => jobBudget().tripped,
      charge: (ms, why) => jobBudget().charge(ms, why)
    });
  } catch (e) {
    log.warning(`The cache could not be fronted for the job's Nix (${e instanceof Error ? e.message : String(e)}); Nix pulls from it directly.`);
    return void 0;
  }
}
async function serveUntilJobEnds(config, control) {
  const scriptRunning = config.followsScript ? scriptWatcher(config.scriptAncestors) : () => true;
  while (!control.stopRequested() && existsSync(config.dir) && scriptRunning()) await control.pause(1e3);
}

// src/agent/main.ts
async function agentProcess(openJob2) {
  const control = stopControl();
  try {
    if (getPriority() < AGENT_NICE) setPriority(AGENT_NICE);
  } catch {
  }
  const config = JSON.parse(await readStdin());
  const inputs = openJob2(new AgentHost(config.tempDir), decodeInputs(config.inputs));
  const files = agentFiles(config.dir);
  const substituter = config.destination?.role === "prepare" ? await serveSubstituter(inputs, config.store) : void 0;
  const front = await serveFront(config, inputs);
  const ready = { pid: process.pid };
  if (substituter) ready.substituterUrl = substituter.url;
  if (front) ready.frontUrl = front.url;
  await writeFile(`${files.ready}.tmp`, JSON.stringify(ready));
  await rename(`${files.ready}.tmp`, files.ready);
  log.info(`agent ${process.pid} ready`);
  try {
    const { runAgent } = await import("./chunks/run-O5KU4KGN.js");
    if (config.destination) await runAgent({ ...config, destination: config.destination }, inputs, control);
  } catch (e) {
    if (!substituter && !front) throw e;
    log.warning(`Publishing during the build stopped: ${e instanceof Error ? e.message : String(e)}; the post step pushes the rest.`);
  }
  while (substituter && !control.stopRequested()) await control.pause(6e4);
  if (front) await serveUntilJobEnds(config, control);
  await substituter?.close();
  await front?.close();
  log.info("agent stopped");
}
async function readStdin() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return Buffer.concat(chunks).toString("utf8");
}
function stopControl() {
  let stopping = false;
  let wake;
  process.on("SIGTERM", () => {
    stopping = true;
    wake?.();
  });
  return {
    stopRequested: () => stopping,
    pause: (ms) => new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    })
  };
}

// src/entry/agent.ts
await runProcess("agent", () => agentProcess(openJob));
