import type { PushResult } from '../job/push.js'
import type { Pushed } from '../executors/binary-cache/upload.js'

/**
 * The job's result with what the agent published during the build counted in: the post step's
 * cache check found those paths already there, but this job put them there, so they are pushed,
 * not already-cached, in the outputs and the summary.
 */
export function withAgentPublished(result: PushResult, published: readonly Pushed[]): PushResult {
  if (published.length === 0) return result
  const byAgent = new Set(published.map((p) => p.path))
  const byPost = new Set(result.outcome.pushed.map((p) => p.path))
  const extra = published.filter((p) => !byPost.has(p.path))
  const selected = new Set(result.selection.push)
  return {
    ...result,
    selection: {
      ...result.selection,
      push: [...extra.map((p) => p.path).filter((p) => !selected.has(p)), ...result.selection.push],
      skipped: { ...result.selection.skipped, 'already-cached': result.selection.skipped['already-cached'].filter((p) => !byAgent.has(p)) }
    },
    outcome: { ...result.outcome, pushed: [...extra, ...result.outcome.pushed] }
  }
}
