import type { PathInfo } from '../format/path-info.js'

/** What the job did to the store, as plain data for the planner and the summary. */
export interface JobFacts {
  /** Valid store paths that appeared during the job. */
  readonly newPaths: readonly string[]
  readonly closure: ReadonlySet<string>
  /** Info for every new non-derivation path (for the summary), and the closure paths that may be pushed. */
  readonly infos: ReadonlyMap<string, PathInfo>
}
