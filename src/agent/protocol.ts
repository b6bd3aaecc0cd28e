import type { Inputs } from '../config/inputs.js'
import type { StoreLocation } from '../nix/store-location.js'
import { parseSecretKey } from '../format/signing.js'

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
  /**
   * Set where no runner ends the job's processes (the command-line tool): the agent shares the
   * process group of the script that started it, and stops once that group's leader (the
   * script's shell) has exited. See owner.ts.
   */
  followsScript?: boolean
}

export interface AgentReady {
  pid: number
  /** A substituter the agent serves for the rest of the job (issue 14: `cache: github-actions`). */
  substituterUrl?: string
}

/** One line of `published.jsonl`: a path whose narinfo the agent wrote (or, for the GitHub Actions cache, prepared). */
export interface AgentRecord {
  path: string
  narSize: number
  fileSize: number
}

/**
 * Whose agent files these are. Under the GitHub runner a job is its RUNNER_TRACKING_ID: the
 * action used twice in one job shares an agent. Without one (the command-line tool), every
 * `start` or `run` is a job of its own.
 */
export interface AgentJob {
  runnerJob?: string
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
