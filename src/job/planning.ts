import { log } from '../runtime/host.js'
import type { NarFile } from '../executors/binary-cache/nar-writer.js'
import type { Inputs } from '../config/inputs.js'
import type { StoreLocation } from '../nix/store-location.js'
import type { JobFacts } from '../plan/facts.js'
import type { PushPlan } from '../plan/planner.js'
import { emptyOutcome, type Pushed, type PushMode, type PushResult, type UploadOutcome } from '../plan/result.js'
import type { Announcement } from './executor-choice.js'

/**
 * The job's side of the planner, shared by every executor's post step: the plan's log lines and
 * the result the report reads.
 */

export interface PushJob {
  inputs: Inputs
  store: StoreLocation
  facts: JobFacts
  /** What the background agent published during the build (its records). */
  published: readonly Pushed[]
  /** NARs the agent uploaded without narinfos (agent/protocol.ts `readStaged`); none without it. */
  staged?: readonly NarFile[]
  /** The main step's snapshot: names the job in its record in the cache (executors/binary-cache/job-record.ts). */
  snapshotFile?: string
}

export function resultOf(plan: PushPlan, mode: PushMode, outcome: UploadOutcome = emptyOutcome(), note?: string): PushResult {
  return { selection: plan.selection, published: plan.published, outcome, mode, note, infos: plan.infos }
}

export function announce(a: Announcement | undefined): void {
  if (a) log[a.level](a.message)
}

export function reportCompletion(plan: PushPlan): void {
  const added = plan.selection.completion ?? []
  if (added.length > 0) {
    log.info(`Also pushing ${added.length} path(s) from before the job that pushed paths reference and neither this cache nor an upstream serves.`)
  }
  const withheld = plan.selection.skipped['unserved-reference']
  if (withheld.length > 0) {
    const first = plan.unserved[0]
    log.warning(
      `${withheld.length} path(s) were not pushed because they reference paths that no cache will serve ` +
        `(excluded, or not in the store), so consumers could not substitute them; first: ${first?.referrer} references ${first?.path}.`
    )
  }
}
