import { selectPaths, type SelectionPolicy } from './selection.js'

/**
 * The part of the final selection that is already certain while the build runs, as a pure
 * function over plain data: what the background agent may publish now without ever publishing a
 * path the post step would not.
 *
 * Why it is certain: with automatic roots (the derivations instantiated during the job), the
 * roots, the new valid paths and the build closure only grow while the job runs (Nix never
 * changes a valid path's references or a derivation's outputs). So a path the selection policy
 * pushes on the facts known now, it pushes on the final facts too. A path is offered only once
 * each of its references is served (already in the cache, signed by an upstream, or offered in
 * the same batch, whose uploader writes narinfos after their references'), so a consumer never
 * meets a narinfo whose references it cannot fetch. References from before the job that nobody
 * serves are the post step's to push (`completeClosure` in selection.ts); their referrers wait.
 */

export interface CertainInput {
  /** Valid store paths that appeared since the snapshot, as far as the agent has seen. */
  newPaths: readonly string[]
  /**
   * The build closure of the derivations instantiated so far (derivations, their references and
   * valid outputs, closed under references). Grows monotonically.
   */
  closure: ReadonlySet<string>
  /** References of the new closure paths (full store paths, may include the path itself). */
  references: ReadonlyMap<string, readonly string[]>
  /** Signatures (`key:sig`) of the new closure paths. */
  signatures: ReadonlyMap<string, readonly string[]>
  policy: SelectionPolicy
  /** Paths the destination already serves: published by this job, or found there. */
  available: ReadonlySet<string>
  /** Paths the agent has given up on (failed); left to the post step, and so are their referrers. */
  givenUp?: ReadonlySet<string>
  /** References from before the job already asked about (served ones are in `available`). */
  lookedUp?: ReadonlySet<string>
}

export interface CertainPlan {
  /** Paths to publish now, references before referrers. */
  publish: string[]
  /** Paths the final selection will push but whose references are not served yet. */
  waiting: string[]
  /**
   * References from before the job to ask about: served upstream (signed by a `skip-signed-by`
   * key) or by the cache? A path that is neither is left to the post step, which pushes it with
   * its referrers (closure completeness), so those referrers wait.
   */
  lookups: string[]
}

export function certainToPublish(input: CertainInput): CertainPlan {
  // Pre-existing closure paths are never published early: whether the post step pushes them
  // depends on the cache's answer and `push-pre-existing`, which is the post step's to apply.
  const selection = selectPaths({
    newPaths: input.newPaths,
    closure: input.closure,
    signatures: input.signatures,
    policy: { ...input.policy, includePreExisting: false }
  })
  const fresh = new Set(input.newPaths)
  // A new reference that the selection skips as upstream-signed is served upstream; any other
  // skipped new reference (excluded, a derivation) is not served by anyone the agent knows of.
  const upstream = new Set(selection.skipped['upstream-signed'])
  const wanted = new Set(selection.push.filter((p) => !input.available.has(p)))
  const given = input.givenUp ?? new Set<string>()

  const looked = input.lookedUp ?? new Set<string>()
  const lookups = new Set<string>()
  const state = new Map<string, boolean>()
  const publish: string[] = []
  const ready = (path: string, onStack: Set<string>): boolean => {
    const known = state.get(path)
    if (known !== undefined) return known
    if (onStack.has(path)) return false
    onStack.add(path)
    let ok = !given.has(path)
    for (const ref of input.references.get(path) ?? []) {
      if (!ok) break
      if (ref === path || input.available.has(ref) || upstream.has(ref)) continue
      if (!fresh.has(ref)) {
        if (!looked.has(ref)) lookups.add(ref)
        ok = false
        continue
      }
      ok = wanted.has(ref) && ready(ref, onStack)
    }
    // A path we hold no references for has not been described yet: wait for its info.
    if (!input.references.has(path)) ok = false
    onStack.delete(path)
    state.set(path, ok)
    if (ok) publish.push(path)
    return ok
  }
  for (const path of wanted) ready(path, new Set())
  return { publish, waiting: [...wanted].filter((p) => !state.get(p)), lookups: [...lookups] }
}
