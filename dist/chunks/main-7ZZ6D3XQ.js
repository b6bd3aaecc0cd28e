#!/usr/bin/env node
import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);
import {
  GcStopped,
  GcUsageError,
  beginJob,
  collectGarbage,
  finishJob,
  gcLines,
  gcMarkdown,
  loadMainState,
  parseGcArgs,
  parseGcOptions
} from "./chunk-K6IOJQO7.js";
import "./chunk-GTGXA4Q6.js";
import "./chunk-OIXLTF4U.js";
import "./chunk-QKB2IMY3.js";
import {
  NotCollectable,
  collectableCache
} from "./chunk-DZZ52KV5.js";
import {
  SKIP_REASONS
} from "./chunk-SWKWKHL2.js";
import "./chunk-ZDZD7BZ6.js";
import {
  emptyOutcome,
  pushedByJob,
  selectedByJob
} from "./chunk-XK72OWUU.js";
import "./chunk-UTKKREKS.js";
import {
  openJob,
  reportFailure
} from "./chunk-TBXICSS6.js";
import {
  InputError,
  displayUrl,
  isAtticUri,
  isCachixUri,
  isNiks3Uri,
  parseCache
} from "./chunk-DDPCELID.js";
import "./chunk-AOV4FCBB.js";
import "./chunk-IDEMXRFO.js";
import "./chunk-S54S7H64.js";
import "./chunk-WODUGNK7.js";
import "./chunk-NYSGCFNQ.js";
import "./chunk-MR5IPH4H.js";
import "./chunk-WPHW6MTC.js";
import "./chunk-72I3IZBR.js";
import "./chunk-SUVJ4ZAQ.js";
import "./chunk-Z3KDMJWA.js";
import "./chunk-EGCALRY5.js";
import {
  StderrHost,
  formatBytes,
  log
} from "./chunk-LXHOX3IK.js";
import "./chunk-WSR6M3NS.js";

// src/cli/main.ts
import { mkdir, rm, stat as stat2, writeFile as writeFile3 } from "node:fs/promises";
import { dirname, join as join2, resolve as resolve2 } from "node:path";

// src/cli/child.ts
import { spawn } from "node:child_process";
import { constants } from "node:os";
var FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"];
function runChild(argv, env) {
  const [file, ...args] = argv;
  return new Promise((resolve3) => {
    let settled = false;
    const forward = (signal) => {
      child.kill(signal);
    };
    const done = (status) => {
      if (settled) return;
      settled = true;
      for (const s of FORWARDED) process.off(s, forward);
      resolve3(status);
    };
    const child = spawn(file, args, { stdio: "inherit", env });
    for (const s of FORWARDED) process.on(s, forward);
    child.on("error", (e) => {
      log.error(`cannot run ${file}: ${e.message}`);
      done(e.code === "ENOENT" ? 127 : 126);
    });
    child.on("close", (code, signal) => done(code ?? 128 + (signal ? constants.signals[signal] ?? 0 : 0)));
  });
}

// src/cli/options.ts
import { readFile, stat } from "node:fs/promises";
var UsageError = class extends Error {
};
var SECRET_KEY_ENV = "NIX_BUILDTIME_CACHE_SECRET_KEY";
var AUTH_HEADER_ENV = "NIX_BUILDTIME_CACHE_AUTH_HEADER";
var AUTH_TOKEN_ENV = "NIX_BUILDTIME_CACHE_AUTH_TOKEN";
var INPUT_OPTIONS = [
  { input: "cache", kind: "value", default: "", meta: "URI", help: "file:///dir, http(s)://host/path, s3://bucket?region=\u2026, attic+https://host/cache, cachix://name, niks3+https://host, or a Nix store URI (ssh-ng://host, pushed with nix copy). Required." },
  { input: "installables", kind: "list", default: "", meta: "INSTALLABLE", help: "Flake ref, .drv or output path whose build-time closure may be pushed (repeatable). Default: the derivations instantiated meanwhile." },
  { input: "public-keys", kind: "list", default: "", meta: "NAME:KEY", help: "A public key trusted for the cache, for pull-only runs (repeatable). The secret key's public half is always trusted." },
  { input: "skip-signed-by", kind: "list", default: "cache.nixos.org-1", meta: "NAME", help: "Never push paths signed by this key name (repeatable; default cache.nixos.org-1; giving any replaces it)." },
  { input: "exclude", kind: "list", default: "", meta: "REGEX", help: "Never push store paths matching this JavaScript regular expression (repeatable)." },
  { input: "include-derivations", kind: "flag", default: "false", meta: "", help: "Push .drv files too." },
  { input: "push-pre-existing", kind: "flag", default: "false", meta: "", help: "Also push closure paths that were in the store before, where the cache lacks them." },
  { input: "dry-run", kind: "flag", default: "false", meta: "", help: "Select and report, upload nothing." },
  { input: "compression", kind: "value", default: "", meta: "zstd|xz|none", help: "NAR compression (default: an s3:// URI's compression=, else zstd)." },
  { input: "parallelism", kind: "value", default: "8", meta: "N", help: "Paths compressed and uploaded at once, 1-64 (default 8)." },
  { input: "netrc-file", kind: "value", default: "", meta: "FILE", help: "Credentials for an http(s) cache (default: $NETRC, else ~/.netrc)." },
  { input: "pull", kind: "flag", default: "true", meta: "", help: "Do not make the cache a substituter for the command (or later ones, after start): only push." },
  { input: "push-during-build", kind: "flag", default: "true", meta: "", help: "Do not publish from a background agent while the command (or the build after start) runs: push everything at the end." },
  { input: "strict", kind: "flag", default: "false", meta: "", help: "Push trouble fails (exit 1) instead of being a warning." }
];
var NOT_OPTIONS = {
  "secret-key": `a key on the command line is visible to every user of the machine; use --secret-key-file FILE or ${SECRET_KEY_ENV}`,
  "auth-header": `a credential on the command line is visible to every user of the machine; use --auth-header-file FILE or ${AUTH_HEADER_ENV}`,
  "auth-token": `a token on the command line is visible to every user of the machine; use --auth-token-file FILE or ${AUTH_TOKEN_ENV}`,
  "key-prefix": "it only applies to the GitHub Actions cache, which only the GitHub Action writes",
  "max-size": "it only applies to the GitHub Actions cache, which only the GitHub Action writes",
  "substituter-port": "it only applies to the GitHub Actions cache, which only the GitHub Action reads",
  gc: "the GC is a command of its own: nix-buildtime-cache gc --cache URI [options] (see gc --help)"
};
var COMMANDS = ["run", "start", "push"];
var byName = new Map(INPUT_OPTIONS.map((o) => [o.input, o]));
function flagValue(option, inline, negated) {
  if (inline === void 0) return String(!negated);
  if (!negated && (inline === "true" || inline === "false")) return inline;
  throw new UsageError(`${option} takes no value (or =true / =false)`);
}
function parseArgs(args) {
  const [command, ...rest] = args;
  const result = { command: "help", given: {}, json: false, argv: [] };
  if (command === "-h" || command === "--help" || command === "help") return result;
  if (command === void 0) throw new UsageError("give a command: run, start, push or gc (see --help)");
  if (!COMMANDS.includes(command)) {
    throw new UsageError(`unknown command '${command}'; expected run, start, push or gc (see --help)`);
  }
  result.command = command;
  const lists = /* @__PURE__ */ new Map();
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === "--") {
      result.argv = rest.slice(i + 1);
      break;
    }
    if (arg === "-h" || arg === "--help") return { ...result, command: "help" };
    if (!arg.startsWith("-") && command === "run") {
      result.argv = rest.slice(i);
      break;
    }
    const eq = arg.indexOf("=");
    const option = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : void 0;
    if (!option.startsWith("--")) throw new UsageError(arg.startsWith("-") ? `unknown option '${option}' (see --help)` : `unexpected argument '${arg}'`);
    const name = option.slice(2);
    const value = () => {
      if (inline !== void 0) return inline;
      const v = rest[++i];
      if (v === void 0) throw new UsageError(`${option} needs a value`);
      if (v.startsWith("--")) throw new UsageError(`${option}: missing value (the next argument, ${v.split("=")[0]}, is an option; write ${option}=VALUE for a value starting with --)`);
      return v;
    };
    const negated = name.startsWith("no-") && byName.get(name.slice(3))?.kind === "flag";
    const input = byName.get(negated ? name.slice(3) : name);
    if (input?.kind === "flag") result.given[input.input] = flagValue(option, inline, negated);
    else if (input?.kind === "list") lists.set(input.input, [...lists.get(input.input) ?? [], value()]);
    else if (input) result.given[input.input] = value();
    else if (name in NOT_OPTIONS) throw new UsageError(`${option} is not an option: ${NOT_OPTIONS[name]}`);
    else if (name === "secret-key-file") result.secretKeyFile = value();
    else if (name === "auth-header-file") result.authHeaderFile = value();
    else if (name === "auth-token-file") result.authTokenFile = value();
    else if (name === "state-dir") result.stateDir = value();
    else if (name === "summary" && command !== "start") result.summaryFile = value();
    else if (name === "dotenv" && command === "start") result.dotenvFile = value();
    else if (name === "json") result.json = flagValue(option, inline, false) === "true";
    else if (name === "summary" || name === "dotenv") throw new UsageError(`${option} is not an option of ${command}`);
    else throw new UsageError(`unknown option '${option}' (see --help)`);
  }
  for (const [name, values] of lists) result.given[name] = values.join("\n");
  if (command === "run" && result.argv.length === 0) {
    throw new UsageError("run needs the command to run after --, for example: run --cache file:///srv/cache -- nix build .#app");
  }
  if (command !== "run" && result.argv.length > 0) throw new UsageError(`unexpected argument '${result.argv[0]}'`);
  return result;
}
function optionLabel(input) {
  if (input === "secret-key") return `--secret-key-file (or ${SECRET_KEY_ENV})`;
  if (input === "auth-header") return `--auth-header-file (or ${AUTH_HEADER_ENV})`;
  if (input === "auth-token") return `--auth-token-file (or ${AUTH_TOKEN_ENV})`;
  return `--${input}`;
}
function exposedSecretWarning(option, file, mode) {
  if ((mode & 63) === 0) return void 0;
  const octal = (mode & 511).toString(8).padStart(4, "0");
  return `${option}: ${file} is readable by ${mode & 7 ? "other users" : "its group"} (mode ${octal}); it is used, but it should be private to you: chmod 600 ${file}`;
}
async function secretFrom(option, file, envName, env, warn) {
  if (file === void 0) return (env[envName] ?? "").trim();
  try {
    const text = (await readFile(file, "utf8")).trim();
    const exposed = exposedSecretWarning(option, file, (await stat(file)).mode);
    if (exposed) warn(exposed);
    return text;
  } catch (e) {
    throw new UsageError(`${option}: cannot read ${file}: ${e.code ?? String(e)}`);
  }
}
async function rawInputs(opts, env = process.env, warn = () => void 0) {
  const secretKey = await secretFrom("--secret-key-file", opts.secretKeyFile, SECRET_KEY_ENV, env, warn);
  const authHeader = await secretFrom("--auth-header-file", opts.authHeaderFile, AUTH_HEADER_ENV, env, warn);
  const authToken = await secretFrom("--auth-token-file", opts.authTokenFile, AUTH_TOKEN_ENV, env, warn);
  return (name) => {
    if (name === "secret-key") return secretKey;
    if (name === "auth-header") return authHeader;
    if (name === "auth-token") return authToken;
    return opts.given[name] ?? byName.get(name)?.default ?? "";
  };
}

// src/cli/help.ts
var WIDTH = 100;
var LEFT = 28;
function column(left, right) {
  const lines = [];
  let line = "";
  for (const word of right.split(" ")) {
    if (line !== "" && 2 + LEFT + line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  lines.push(line);
  const pad = " ".repeat(2 + LEFT);
  const first = left.length >= LEFT ? `  ${left}
${pad}` : `  ${left.padEnd(LEFT)}`;
  return first + lines.join(`
${pad}`);
}
function helpText() {
  const inputs = INPUT_OPTIONS.map(
    (o) => column(o.kind === "flag" ? o.default === "true" ? `--no-${o.input}` : `--${o.input}` : `--${o.input} ${o.meta}`, o.help)
  );
  return `nix-buildtime-cache: push exactly the build-time closure a job newly realised to a Nix
binary cache, and pull from it meanwhile. The GitHub Action's engine, for other CI systems and laptops.

Usage:
  nix-buildtime-cache run [options] -- COMMAND [ARG...]
      Snapshot the store, run COMMAND with its Nix pulling from the cache, push what it
      realised, and exit with COMMAND's exit status.
  nix-buildtime-cache start [options] [--dotenv FILE]
      Snapshot the store and print the lines that make later commands' Nix pull from the
      cache (export NIX_CONFIG='...'), for eval; or write them to FILE as a dotenv file.
  nix-buildtime-cache push [options]
      Push what was realised since start. Uses start's options; options given here win.
  nix-buildtime-cache gc --cache URI [--keep-days N] [--keep-jobs N] [--max-size SIZE] [--pin REGEX]
                         [--grace DURATION] [--dry-run] [--force] [--json] [--summary FILE]
      Delete from a file:// or s3:// cache what no recent job pushed or used, keeping whole
      closures (see \`gc --help\` and docs/gc.md).

Options (the GitHub Action's inputs):
${inputs.join("\n")}

Secrets (never command-line arguments, which every user of the machine can see):
${column("--secret-key-file FILE", `Nix signing key (name:base64, from \`nix-store --generate-binary-cache-key\`); default: the ${SECRET_KEY_ENV} variable. Without a key: pull-only.`)}
${column("--auth-header-file FILE", `'Name: value' header for every request to an http(s) cache; default: the ${AUTH_HEADER_ENV} variable.`)}
${column("--auth-token-file FILE", `Access token of an Attic, Cachix or niks3 server (push, and pulls from a private cache); default: the ${AUTH_TOKEN_ENV} variable. Without one: pull-only.`)}
  The command run gets none of these variables.

Other options:
${column("--state-dir DIR", "Where start leaves the snapshot for push, and the pushed-paths list. Default: $XDG_STATE_HOME (else ~/.local/state)/nix-buildtime-cache/<hash of the working directory>.")}
${column("--summary FILE", "run, push: write the Markdown job summary to FILE.")}
${column("--json", "Print the result as one line of JSON, the last on stdout.")}
${column("--dotenv FILE", "start: write NAME='value' lines to FILE instead of printing them.")}
${column("-h, --help", "This text.")}

Exit status: run: COMMAND's (1 when COMMAND succeeded and a --strict push failed);
start, push: 0, or 1 for trouble with --strict; 2 for a bad option or value.

Examples:
  # Build, pulling from the cache, then push (the key from ${SECRET_KEY_ENV}):
  nix-buildtime-cache run --cache https://cache.example.org --installables .#app -- nix build .#app

  # Pull only (no key), trusting the cache's public key:
  nix-buildtime-cache run --cache https://cache.example.org --public-keys my-cache-1:AbCd...= -- nix build .#app

  # Separate before and after scripts:
  eval "$(nix-buildtime-cache start --cache 's3://my-nix-cache?region=eu-west-1' --secret-key-file /run/secrets/nix-cache-key)"
  nix build .#app
  nix-buildtime-cache push --installables .#app --summary nix-cache.md

  # What would be pushed, as JSON:
  nix-buildtime-cache run --cache file:///srv/nix-cache --dry-run --json -- nix build .#app
`;
}

// src/cli/gc.ts
import { writeFile } from "node:fs/promises";
function gcHelp() {
  return `Usage: nix-buildtime-cache gc --cache URI [options]
  Deletes from a file:// or s3:// cache what no recent job pushed or used, keeping whole closures.
  --keep-days N          keep what a job within the last N days pushed or used (30 when neither this nor --keep-jobs is given)
  --keep-jobs N          keep what the last N job records pushed or used
  --max-size SIZE        evict least-recently-used closures further, until the cache is at most SIZE (e.g. 50G)
  --pin REGEX            always keep store paths matching this JavaScript regular expression (repeatable)
  --grace DURATION       delete nothing modified more recently than this (default 7d; 0s collects everything at once)
  --dry-run              write nothing to the cache; report what would go
  --force                skip damaged job records instead of stopping
  --json                 print the result as one line of JSON, the last on stdout
  --summary FILE         write the Markdown summary to FILE
  See docs/gc.md.
`;
}
async function gcCommand(args, say2) {
  let parsed;
  let cache;
  let options;
  try {
    parsed = parseGcArgs(args);
    if (parsed === "help") {
      process.stdout.write(gcHelp());
      return 0;
    }
    cache = parseCache(parsed.cache);
    options = parseGcOptions(parsed.options);
  } catch (e) {
    if (e instanceof UsageError || e instanceof GcUsageError) say2(e.message);
    else if (e instanceof InputError) say2(`--${e.input}: ${e.message.replace(/^Input '[^']*': /, "")}`);
    else throw e;
    return 2;
  }
  let target;
  try {
    target = await collectableCache(cache);
  } catch (e) {
    if (!(e instanceof NotCollectable)) throw e;
    say2(`--cache: ${e.message}`);
    return 2;
  }
  try {
    const result = await collectGarbage(target, options);
    for (const line of gcLines(result)) process.stderr.write(`${line}
`);
    if (parsed.summaryFile) await writeFile(parsed.summaryFile, gcMarkdown(result));
    if (parsed.json) process.stdout.write(`${JSON.stringify({ status: 0, ...result })}
`);
    return 0;
  } catch (e) {
    if (!(e instanceof GcStopped)) throw e;
    say2(`gc stopped: ${e.message}`);
    if (parsed.json) process.stdout.write(`${JSON.stringify({ status: 1, error: e.message })}
`);
    return 1;
  } finally {
    target.close?.();
  }
}

// src/cli/host.ts
import { readFileSync, writeFileSync } from "node:fs";
import { writeFile as writeFile2 } from "node:fs/promises";
var CliHost = class extends StderrHost {
  constructor(tempDir, opts = {}) {
    super(tempDir);
    this.opts = opts;
    this.stateValues = opts.stateFile ? readState(opts.stateFile) : {};
  }
  opts;
  /** What `exportVariable` set, for `start` to print and `run` to hand to its command. */
  exported = {};
  outputs = {};
  /** The first reason given to `fail`, if any: the exit status is the command's to set. */
  failure;
  stateValues;
  exportVariable(name, value) {
    this.exported[name] = value;
    super.exportVariable(name, value);
  }
  setOutput(name, value) {
    this.outputs[name] = value;
  }
  saveState(name, value) {
    this.stateValues[name] = value;
    if (this.opts.stateFile) writeFileSync(this.opts.stateFile, JSON.stringify(this.stateValues), { mode: 384 });
  }
  /** Forgets every saved value (the state file is rewritten by the next saveState). */
  clearState() {
    for (const k of Object.keys(this.stateValues)) delete this.stateValues[k];
  }
  getState(name) {
    return this.stateValues[name] ?? "";
  }
  async writeSummary(markdown) {
    if (this.opts.summaryFile) await writeFile2(this.opts.summaryFile, this.redact(markdown));
  }
  fail(m) {
    this.say("error: ", m);
    this.failure ??= m;
  }
};
function readState(file) {
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return {};
  }
  try {
    const parsed = JSON.parse(text);
    if (parsed && typeof parsed === "object") {
      return Object.fromEntries(Object.entries(parsed).filter((e) => typeof e[1] === "string"));
    }
  } catch {
  }
  return {};
}

// src/cli/result.ts
function cliResult(opts) {
  const r = opts.finished?.result;
  const outcome = r?.outcome ?? emptyOutcome();
  const skipped = Object.fromEntries(SKIP_REASONS.map((reason) => [reason, r?.selection.skipped[reason] ?? []]));
  return {
    status: opts.status,
    ...opts.commandStatus === void 0 ? {} : { commandStatus: opts.commandStatus },
    cache: opts.cache,
    mode: r?.mode ?? "none",
    ok: !opts.trouble && r !== void 0 && outcome.failed.length === 0 && outcome.vanished.length === 0,
    pushed: r ? pushedByJob(r) : [],
    selected: r ? selectedByJob(r) : [],
    skipped,
    failed: outcome.failed,
    vanished: outcome.vanished,
    unsubstitutable: outcome.unsubstitutable ?? [],
    outputs: opts.outputs,
    seconds: Math.round(opts.seconds * 10) / 10
  };
}
var signsItself = (cache) => isAtticUri(cache) || isCachixUri(cache) || isNiks3Uri(cache);
function reportLines(r) {
  const nar = r.pushed.reduce((a, p) => a + p.narSize, 0);
  const file = r.pushed.reduce((a, p) => a + p.fileSize, 0);
  const plural = (n) => `${n} path${n === 1 ? "" : "s"}`;
  const head = r.mode === "push" ? `pushed ${plural(r.pushed.length)} (${formatBytes(file)} compressed, ${formatBytes(nar)} NAR)` : r.mode === "dry-run" ? `dry run: would push ${plural(r.selected.length)}` : r.mode === "pull-only" ? `pushed nothing (${signsItself(r.cache) ? "no auth token" : "no secret key"}: pull-only); ${plural(r.selected.length)} selected` : "pushed nothing";
  const lines = [`nix-buildtime-cache: ${head} to ${r.cache} in ${r.seconds.toFixed(1)} s.`];
  const skipped = SKIP_REASONS.filter((reason) => r.skipped[reason].length > 0).map((reason) => `${reason} ${r.skipped[reason].length}`);
  if (skipped.length > 0) lines.push(`nix-buildtime-cache: not pushed: ${skipped.join(", ")}.`);
  if (r.failed.length + r.vanished.length > 0) lines.push(`nix-buildtime-cache: ${r.failed.length} failed, ${r.vanished.length} vanished.`);
  return lines;
}

// src/cli/shell.ts
function shellQuote(value) {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
var names = (vars) => Object.keys(vars).sort();
function shellExports(vars) {
  return names(vars).map((n) => `export ${n}=${shellQuote(vars[n] ?? "")}
`).join("");
}
function dotenv(vars) {
  return names(vars).map((n) => `${n}=${shellQuote(vars[n] ?? "")}
`).join("");
}

// src/cli/state-dir.ts
import { createHash } from "node:crypto";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
function defaultStateDir(cwd = process.cwd(), env = process.env) {
  const base = env.XDG_STATE_HOME || join(env.HOME || homedir(), ".local", "state");
  const id = createHash("sha256").update(resolve(cwd)).digest("hex").slice(0, 16);
  return join(base, "nix-buildtime-cache", id);
}

// src/cli/main.ts
var OPTIONS_KEY = "cli_options";
var STATE_FILE = "state.json";
var active;
var say = (line) => {
  process.stderr.write(`nix-buildtime-cache: ${active ? active.redact(line) : line}
`);
};
function usageFailure(e) {
  say(e instanceof InputError ? `${optionLabel(e.input)}: ${e.message.replace(/^Input '[^']*': /, "")}` : e.message);
  return 2;
}
function refuseGithubActionsCache(inputs, env) {
  if (inputs.cache.kind !== "github-actions") return;
  if (env.ACTIONS_RUNTIME_TOKEN && env.ACTIONS_RESULTS_URL) return;
  throw new UsageError(
    "--cache github-actions works only inside a GitHub Actions job (it needs the runtime token the runner gives actions; use the action there). Elsewhere give a binary cache: file:///dir, http(s)://\u2026, s3://bucket?\u2026 or a Nix store URI."
  );
}
async function makeStateDir(dir, given) {
  const label = given ? "--state-dir" : `the state directory (default; choose another with --state-dir)`;
  try {
    await mkdir(dir, { recursive: true, mode: 448 });
  } catch (e) {
    const code = e.code;
    if (code === "EEXIST" || code === "ENOTDIR") throw new UsageError(`${label}: ${dir} is not a directory (a file is in the way)`);
    throw new UsageError(`${label}: cannot create ${dir}: ${code ?? String(e)}`);
  }
}
async function checkDotenvDir(file) {
  const dir = dirname(resolve2(file));
  const isDir = await stat2(dir).then((s) => s.isDirectory(), () => false);
  if (!isDir) throw new UsageError(`--dotenv: the directory of ${file} (${dir}) does not exist; create it first, or name a file in an existing directory`);
}
async function openSession(cli, persistState) {
  const stateDir = cli.stateDir ? resolve2(cli.stateDir) : defaultStateDir();
  await makeStateDir(stateDir, cli.stateDir !== void 0);
  if (cli.dotenvFile !== void 0) await checkDotenvDir(cli.dotenvFile);
  const host = new CliHost(stateDir, { stateFile: persistState ? join2(stateDir, STATE_FILE) : void 0, summaryFile: cli.summaryFile });
  active = host;
  let options = cli;
  if (cli.command === "push") {
    const saved = JSON.parse(host.getState(OPTIONS_KEY) || "{}");
    options = {
      given: { ...saved.given, ...cli.given },
      secretKeyFile: cli.secretKeyFile ?? saved.secretKeyFile,
      authHeaderFile: cli.authHeaderFile ?? saved.authHeaderFile,
      authTokenFile: cli.authTokenFile ?? saved.authTokenFile
    };
  }
  const warnOnce = cli.command !== "push" || cli.secretKeyFile !== void 0 || cli.authHeaderFile !== void 0;
  const inputs = openJob(host, await rawInputs(options, process.env, (m) => warnOnce && host.warning(m)), { newJob: cli.command !== "push" });
  refuseGithubActionsCache(inputs, process.env);
  if (cli.command === "start") {
    const stale = loadMainState();
    if (stale) await rm(stale.snapshotFile, { force: true });
    host.clearState();
    const absolute = (file) => file === void 0 ? void 0 : resolve2(file);
    const saved = { given: cli.given, secretKeyFile: absolute(cli.secretKeyFile), authHeaderFile: absolute(cli.authHeaderFile), authTokenFile: absolute(cli.authTokenFile) };
    host.saveState(OPTIONS_KEY, JSON.stringify(saved));
  }
  return { host, inputs, stateDir };
}
function finish(s, cli, finished, startedAt, commandStatus) {
  const trouble = s.host.failure !== void 0;
  let status = commandStatus ?? 0;
  if (trouble && status === 0) status = 1;
  const result = cliResult({
    cache: displayUrl(s.inputs.cache.url),
    finished,
    outputs: s.host.outputs,
    trouble,
    status,
    commandStatus,
    seconds: (Date.now() - startedAt) / 1e3
  });
  for (const line of reportLines(result)) process.stderr.write(`${s.host.redact(line)}
`);
  if (cli.json) process.stdout.write(`${s.host.redact(JSON.stringify(result))}
`);
  return status;
}
async function start(cli) {
  const s = await openSession(cli, true);
  try {
    await beginJob(s.inputs);
  } catch (e) {
    reportFailure(e, s.inputs.strict);
  }
  const vars = s.host.exported;
  if (cli.dotenvFile) await writeFile3(cli.dotenvFile, dotenv(vars), { mode: 384 });
  if (cli.json) process.stdout.write(`${s.host.redact(JSON.stringify({ status: s.host.failure ? 1 : 0, env: vars, stateDir: s.stateDir }))}
`);
  else if (!cli.dotenvFile) process.stdout.write(shellExports(vars));
  return s.host.failure ? 1 : 0;
}
async function push(cli) {
  const s = await openSession(cli, true);
  const startedAt = Date.now();
  let finished;
  if (loadMainState()) {
    finished = await finishJob(s.inputs);
  } else {
    reportFailure(new Error(`no snapshot in ${s.stateDir}: run \`nix-buildtime-cache start\` first (with the same --state-dir).`), s.inputs.strict);
  }
  await rm(join2(s.stateDir, STATE_FILE), { force: true });
  return finish(s, cli, finished, startedAt);
}
async function run(cli) {
  const s = await openSession(cli, false);
  let begun = true;
  try {
    await beginJob(s.inputs);
  } catch (e) {
    reportFailure(e, s.inputs.strict);
    begun = false;
    if (s.inputs.strict) return 1;
  }
  const env = { ...process.env, ...s.host.exported };
  delete env[SECRET_KEY_ENV];
  delete env[AUTH_HEADER_ENV];
  delete env[AUTH_TOKEN_ENV];
  const commandStatus = await runChild(cli.argv, env);
  const startedAt = Date.now();
  const finished = begun ? await finishJob(s.inputs) : void 0;
  return finish(s, cli, finished, startedAt, commandStatus);
}
async function main(args) {
  if (args[0] === "gc") {
    try {
      return await gcCommand(args.slice(1), say);
    } catch (e) {
      say(e instanceof Error ? e.message : String(e));
      return 1;
    }
  }
  let cli;
  try {
    cli = parseArgs(args);
  } catch (e) {
    if (e instanceof UsageError) return usageFailure(e);
    throw e;
  }
  try {
    if (cli.command === "run") return await run(cli);
    if (cli.command === "start") return await start(cli);
    if (cli.command === "push") return await push(cli);
    process.stdout.write(helpText());
    return 0;
  } catch (e) {
    if (e instanceof UsageError || e instanceof InputError) return usageFailure(e);
    say(e instanceof Error ? e.message : String(e));
    return 1;
  }
}
export {
  main
};
