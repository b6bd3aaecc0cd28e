import type { PathInfo } from '../format/path-info.js'
import type { Selection } from './selection.js'

/**
 * The results that cross layers: what an executor did, and what the job reports. Plain data, so
 * the report and the command-line tool read them without knowing which executor ran.
 */

/** A path this job put in the cache: by an executor in the post step, or by the agent during the build (one line of its record). */
export interface Pushed {
  path: string
  narSize: number
  /** Bytes this path uploaded: 0 when its NAR was already in the cache. */
  fileSize: number
}

export interface UploadOutcome {
  pushed: Pushed[]
  failed: Array<{ path: string; reason: string }>
  /** Paths that disappeared (garbage-collected) before they could be read. */
  vanished: string[]
  /**
   * Not pushed on purpose, not a failure: a path whose NAR current Nix refuses (nested deeper than
   * it allows), and the paths that reference it, since a narinfo whose references are missing
   * would break every consumer of the cache. Absent from executors that never skip.
   */
  unsubstitutable?: Array<{ path: string; reason: string }>
  /**
   * Why the executor stopped uploading (a server that refused the job's token): the job says
   * this once, instead of the first of the failures it caused.
   */
  stoppedBy?: string
}

export function emptyOutcome(): UploadOutcome {
  return { pushed: [], failed: [], vanished: [], unsubstitutable: [] }
}

/** `pull-only`: the job may not write to the cache (no secret key, or a GitHub Actions cache it cannot save to). */
export type PushMode = 'push' | 'dry-run' | 'pull-only'

export interface PushResult {
  /** `push`: what this step uploaded (or, in the other modes, would have). */
  selection: Selection
  /** What the background agent published during the build: pushed by this job, not by this step. */
  published: readonly Pushed[]
  outcome: UploadOutcome
  mode: PushMode
  /** Why nothing was uploaded, or what the cache did, in one sentence for the summary. */
  note?: string
  /** Infos of every path the plan described: the job's facts and the references it looked up. */
  infos: ReadonlyMap<string, PathInfo>
}

/**
 * Everything this job put in the cache, the agent's publications first: what the outputs and the
 * summary count as pushed.
 */
export function pushedByJob(r: { published?: readonly Pushed[]; outcome: UploadOutcome }): Pushed[] {
  return [...(r.published ?? []), ...r.outcome.pushed]
}

/** Everything the job selected for the cache, the agent's publications first (the plan keeps the two apart). */
export function selectedByJob(r: { published?: readonly Pushed[]; selection: Selection }): string[] {
  return [...(r.published ?? []).map((p) => p.path), ...r.selection.push]
}
