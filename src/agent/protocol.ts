import { appendFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import type { Inputs } from '../config/inputs.js'
import type { Compression } from '../format/compression.js'
import type { ProcessId } from './owner.js'
import type { BinaryCacheTarget } from '../executors/index.js'
import type { ServerTarget } from '../executors/server-sink.js'
import type { StoreLocation } from '../nix/store-location.js'
import type { Pushed } from '../plan/result.js'
import { parseSecretKey } from '../format/signing.js'
import type { NarFile } from '../executors/binary-cache/nar-writer.js'

/**
 * What the main step, the background agent and the post step exchange. Everything lives in one
 * directory per job (under the host's temp dir); only the agent's PID and that directory go into
 * the step state.
 *
 * The handshake: the main step starts `agent.js` with the configuration (it holds the signing
 * key, so it goes through the agent's stdin, never a file or the command line). The agent writes
 * `ready.json` (an `AgentReady`, renamed into place so it is never read half-written) once it is
 * set up, and the main step waits briefly for it. A local substituter the agent serves (see
 * `substituter.ts`) is up before `ready.json` is written, so its URL can be handed on from there.
 */
export interface AgentConfig {
  /** The agent's directory in the job directory (`agentFiles` in runtime/job-dir.ts). */
  dir: string
  /** The host's temp dir of the main step (the agent's own host has none of its own). */
  tempDir: string
  snapshotFile: string
  store: StoreLocation
  /** `encodeInputs` of the step's inputs. */
  inputs: string
  /** Where the agent writes, as the job decided (job/executor-choice.ts). */
  destination: AgentDestination
  /**
   * Set where no runner ends the job's processes (the command-line tool): the agent shares the
   * process group of the script that started it, and stops once that group's leader (the
   * script's shell) has exited. See owner.ts.
   */
  followsScript?: boolean
  /**
   * With `followsScript`: the processes between `start` and its group's leader when it was
   * started (`scriptAncestors`), among them the script's shell where that does not lead its group.
   */
  scriptAncestors?: ProcessId[]
  /**
   * The HTTP(S) cache or S3 bucket the job's Nix pulls from through the agent (front.ts), with the cache's URL
   * as the user wrote it (credentials included: this goes through the pipe only).
   */
  front?: { url: string }
}

/**
 * What the agent is started with: an agent that only fronts the cache for pulls (pushing is left
 * to the post step) has no destination.
 */
export type AgentStart = Omit<AgentConfig, 'destination'> & { destination?: AgentDestination }

export interface AgentReady {
  pid: number
  /** A substituter the agent serves for the rest of the job (issue 14: `cache: github-actions`). */
  substituterUrl?: string
  /** The loopback URL the job's Nix pulls the cache through (front.ts), when it does. */
  frontUrl?: string
}

export type AgentDestination =
  /** A binary cache: what the agent writes is public at once. */
  | { role: 'publish'; cache: BinaryCacheTarget; compression: Compression }
  /** The GitHub Actions cache: files private to the job, which the post step packs into its layer. */
  | { role: 'prepare' }
  /** A cache server with its own API (Attic, Cachix, niks3): an upload publishes at once. */
  | { role: 'publish-server'; cache: ServerTarget }

/**
 * `published.jsonl`, one `Pushed` per line: a path whose narinfo the agent wrote (or, for the
 * GitHub Actions cache, prepared). One line per path, written as soon as it is published: the post
 * step may have to kill the agent mid-batch, and must still count what it published.
 */
export function recordPublished(file: string, pushed: Pushed): void {
  const record: Pushed = { path: pushed.path, narSize: pushed.narSize, fileSize: pushed.fileSize }
  appendFileSync(file, `${JSON.stringify(record)}\n`)
}

/** The agent's records, each path once; none when it wrote none. */
export async function readPublished(file: string): Promise<Pushed[]> {
  const seen = new Set<string>()
  const published: Pushed[] = []
  for (const line of (await readFile(file, 'utf8').catch(() => '')).split('\n')) {
    if (line === '') continue
    try {
      const r = JSON.parse(line) as Pushed
      if (!seen.has(r.path)) published.push({ path: r.path, narSize: r.narSize, fileSize: r.fileSize })
      seen.add(r.path)
    } catch {
      // A line cut short by a kill: that path is found in the cache and counted as already there.
    }
  }
  return published
}

/**
 * `staged.jsonl`, one NAR per line: a NAR the agent uploaded and verified during the build
 * without writing any narinfo for it (its path's selection was not certain yet). Only NARs it
 * wrote itself, whole (the write returned): the post step names them in the narinfos it writes for
 * the selected paths instead of uploading them again. A staged NAR no narinfo names is garbage
 * for the cache's GC; Nix never reads it.
 */
export function recordStaged(file: string, nar: NarFile): void {
  appendFileSync(file, `${JSON.stringify({ url: nar.url, fileHash: nar.fileHash, fileSize: nar.fileSize })}\n`)
}

/** The agent's staged NARs, each once; lines cut short by a kill are skipped. */
export async function readStaged(file: string): Promise<NarFile[]> {
  const byUrl = new Map<string, NarFile>()
  for (const line of (await readFile(file, 'utf8').catch(() => '')).split('\n')) {
    if (line === '') continue
    try {
      const r = JSON.parse(line) as Partial<NarFile>
      if (typeof r.url === 'string' && typeof r.fileHash === 'string' && r.fileHash !== '' && typeof r.fileSize === 'number') {
        byUrl.set(r.url, { url: r.url, fileHash: r.fileHash, fileSize: r.fileSize })
      }
    } catch {
      // Cut short by a kill: that NAR is uploaded again if it is selected.
    }
  }
  return [...byUrl.values()]
}

/**
 * Whose agent files these are. Under the GitHub runner a job is its RUNNER_TRACKING_ID: the
 * action used twice in one job shares an agent. Without one (the command-line tool), every
 * `start` or `run` is a job of its own.
 */
export interface AgentJob {
  runnerJob?: string
  /** The agent started for this job: a second main step shares it even before it is ready. */
  pid?: number
}

/** The agent's CPU priority (nice value): the build comes first. */
export const AGENT_NICE = 10

/** The agent writes its warnings to its log with this prefix; the post step repeats them. */
export const WARNING_PREFIX = 'warning: '

interface EncodedRegExp {
  source: string
  flags: string
}

/** Inputs as JSON: regular expressions by source, the signing key by its text (parsed again). */
export function encodeInputs(inputs: Inputs): string {
  return JSON.stringify({ ...inputs, secretKey: undefined, exclude: inputs.exclude.map((r) => ({ source: r.source, flags: r.flags })) })
}

export function decodeInputs(text: string): Inputs {
  const raw = JSON.parse(text) as Omit<Inputs, 'exclude' | 'secretKey'> & { exclude: EncodedRegExp[] }
  return {
    ...raw,
    exclude: raw.exclude.map((r) => new RegExp(r.source, r.flags)),
    secretKey: raw.secretKeyText ? parseSecretKey(raw.secretKeyText) : undefined
  }
}
