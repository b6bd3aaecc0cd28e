// Where the bench keeps its generated workloads (reused between runs) and its scratch space.
import { join } from 'node:path'
import { REPO_ROOT } from '../../__tests__/helpers/runner.js'

export { REPO_ROOT }
/** Git-ignored; generated stores live here so that a second `npm run bench` skips building them. */
export const BENCH_DIR = join(REPO_ROOT, '.bench')
/** Workloads, keyed by a version string so a changed generator rebuilds them. */
export const WORKLOADS = join(BENCH_DIR, 'workloads')
/** Per-run scratch (caches written by the measured tools, copies of stores); emptied at start. */
export const SCRATCH = join(BENCH_DIR, 'scratch')
export const RESULTS = join(BENCH_DIR, 'results')
export const BUILD = join(BENCH_DIR, 'build')
