import { log } from './host.js'
import { buildClosure, isDerivation, resolveRoots } from './nix/closure.js'
import type { PathInfo } from './nix/path-info-types.js'
import { queryPathInfos } from './nix/query-path-info.js'
import type { StoreLocation } from './nix/store-location.js'
import { loadSnapshot, storeChanges } from './snapshot.js'
import type { MainState } from './state.js'

/** What the job did to the store, as plain data for the selection policy and the summary. */
export interface JobFacts {
  /** Valid store paths that appeared during the job. */
  newPaths: string[]
  closure: Set<string>
  /** Info for every new non-derivation path (for the summary), and the closure paths that may be pushed. */
  infos: Map<string, PathInfo>
}

export async function collectJobFacts(
  state: MainState,
  store: StoreLocation,
  opts: { installables: readonly string[]; includeDerivations: boolean; pushPreExisting: boolean }
): Promise<JobFacts> {
  const before = await loadSnapshot(state.snapshotFile)
  const { newPaths, methods, total } = await storeChanges(before, store)
  log.info(`${newPaths.length} new valid store paths since the main step (of ${total}; snapshots: ${methods}).`)

  const roots =
    opts.installables.length > 0
      ? await resolveRoots(opts.installables, store.storeDir)
      : newPaths.filter(isDerivation)
  const closure = roots.length > 0 ? await buildClosure(roots) : new Set<string>()
  log.info(`Build closure of ${roots.length} root(s): ${closure.size} paths.`)

  const fresh = new Set(newPaths)
  const wanted = newPaths.filter((p) => !isDerivation(p) || (opts.includeDerivations && closure.has(p)))
  if (opts.pushPreExisting) {
    for (const p of closure) if (!fresh.has(p) && (!isDerivation(p) || opts.includeDerivations)) wanted.push(p)
  }
  const infos = wanted.length > 0 ? await queryPathInfos(wanted, store.storeDir) : new Map<string, PathInfo>()
  return { newPaths, closure, infos }
}

/**
 * Adds to `facts.infos` the infos of `paths`: references of pushed paths that the job's own facts
 * did not describe (mostly paths in the store before the job). Returns the paths the store does
 * not hold, which nobody can serve.
 */
export async function collectReferenceFacts(facts: JobFacts, paths: readonly string[], storeDir: string): Promise<Set<string>> {
  const found = await queryPathInfos(paths, storeDir)
  for (const [p, info] of found) facts.infos.set(p, info)
  return new Set(paths.filter((p) => !found.has(p)))
}
