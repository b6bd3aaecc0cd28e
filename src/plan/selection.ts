/**
 * The selection policy, as a pure function over plain data: which new store paths to push and,
 * for every other path, why not.
 */

export type SkipReason =
  | 'pre-existing'
  | 'outside-closure'
  | 'derivation'
  | 'excluded'
  | 'upstream-signed'
  | 'already-cached'
  | 'unserved-reference'

export const SKIP_REASONS: readonly SkipReason[] = [
  'pre-existing',
  'upstream-signed',
  'already-cached',
  'excluded',
  'unserved-reference',
  'outside-closure',
  'derivation'
]

export interface SelectionPolicy {
  includeDerivations: boolean
  /**
   * Also consider closure paths that were in the store before the job (a warm self-hosted store,
   * or a cache that is new or was emptied); the cache check then drops those it already has.
   */
  includePreExisting?: boolean
  /** Signing key names of caches that already serve what they signed. */
  skipSignedBy: readonly string[]
  exclude: readonly RegExp[]
}

export interface SelectionInput {
  /** Valid store paths that appeared during the job. */
  newPaths: readonly string[]
  /** The build-time closure of the roots (derivations plus their outputs). */
  closure: ReadonlySet<string>
  /** Signatures (`key:sig`) of the closure's paths; paths without an entry have none. */
  signatures: ReadonlyMap<string, readonly string[]>
  policy: SelectionPolicy
}

export interface Selection {
  /** In the order of `newPaths`, then the paths `completeClosure` added. */
  push: string[]
  /**
   * The part of `push` that the policy alone left out (mostly paths in the store before the job),
   * pushed because a pushed path references them and neither the cache nor an upstream serves them.
   */
  completion?: string[]
  skipped: Record<SkipReason, string[]>
}

export function emptySkipped(): Record<SkipReason, string[]> {
  return {
    'pre-existing': [],
    'outside-closure': [],
    derivation: [],
    excluded: [],
    'upstream-signed': [],
    'already-cached': [],
    'unserved-reference': []
  }
}

const keyName = (sig: string): string => sig.slice(0, sig.indexOf(':'))

/** Whether one of `signatures` (`key:sig`) is by a cache that already serves the path. */
export function signedUpstream(signatures: readonly string[], skipSignedBy: readonly string[]): boolean {
  return signatures.some((s) => skipSignedBy.includes(keyName(s)))
}

function reasonFor(path: string, input: SelectionInput): SkipReason | undefined {
  const { policy } = input
  if (!input.closure.has(path)) return 'outside-closure'
  if (!policy.includeDerivations && path.endsWith('.drv')) return 'derivation'
  // A regex is tested per path and can never fail the selection as a whole.
  if (policy.exclude.some((re) => re.test(path))) return 'excluded'
  const sigs = input.signatures.get(path) ?? []
  if (signedUpstream(sigs, policy.skipSignedBy)) return 'upstream-signed'
  return undefined
}

export function selectPaths(input: SelectionInput): Selection {
  const skipped = emptySkipped()
  const push: string[] = []
  const fresh = new Set(input.newPaths)
  for (const path of input.newPaths) {
    const reason = reasonFor(path, input)
    if (reason) skipped[reason].push(path)
    else push.push(path)
  }
  for (const path of input.closure) {
    if (fresh.has(path)) continue
    const reason = input.policy.includePreExisting ? reasonFor(path, input) : 'pre-existing'
    if (reason) skipped[reason].push(path)
    else push.push(path)
  }
  return { push, skipped }
}

/** Moves the paths the destination already holds out of `push`. */
export function withoutCached(selection: Selection, cached: ReadonlySet<string>): Selection {
  const push = selection.push.filter((p) => !cached.has(p))
  const already = selection.push.filter((p) => cached.has(p))
  return { ...selection, push, skipped: { ...selection.skipped, 'already-cached': [...selection.skipped['already-cached'], ...already] } }
}

/** What the plan knows about the paths pushed paths reference; grows between rounds. */
export interface ReferenceFacts {
  /** References and signatures of the paths looked up so far (pushed paths always among them). */
  infos: ReadonlyMap<string, { readonly references: readonly string[]; readonly signatures: readonly string[] }>
  /** Paths looked up that the store does not hold (not valid): nobody can serve them. */
  missing: ReadonlySet<string>
  /** Whether the destination holds a path's narinfo, for the paths asked so far. */
  cached: ReadonlyMap<string, boolean>
}

export interface Completion {
  /** Final once `lookups` is empty. */
  selection: Selection
  /** What must be found out before the plan is final: infos from the store, then the cache's answer. */
  lookups: { infos: string[]; cache: string[] }
  /** Referenced paths nobody will serve (excluded, or not in the store), each with a referrer. */
  unserved: Array<{ path: string; referrer: string }>
}

/**
 * Closure completeness, the one place that decides it: a path is published only when every path
 * it references is published with it, already in the cache, or signed by an upstream
 * (`skip-signed-by`). References the policy left out (in the store before the job, or a .drv) are
 * added when neither the cache nor an upstream has them, and so are theirs in turn; so only the
 * references of pushed paths ever cost a lookup. A path referencing what nobody will serve (an
 * excluded path) is not published at all, nor is anything that references it: a narinfo with a
 * hole makes every consumer build it from source anyway, and hides that it is broken.
 *
 * Pure: call it again with the answers to `lookups` until there are none (a fixpoint, since
 * every round only adds facts).
 */
export function completeClosure(selection: Selection, facts: ReferenceFacts, policy: Pick<SelectionPolicy, 'skipSignedBy' | 'exclude'>): Completion {
  const push = new Set(selection.push)
  const served = new Set([...selection.skipped['already-cached'], ...selection.skipped['upstream-signed']])
  const excluded = new Set(selection.skipped.excluded)
  const added: string[] = []
  const unservable = new Set<string>()
  const unserved: Completion['unserved'] = []
  const lookups: Completion['lookups'] = { infos: [], cache: [] }
  const seen = new Set<string>(selection.push)
  const queue = [...selection.push]
  // An index, not shift(): the queue grows with every path added, and shift() is linear.
  for (let i = 0; i < queue.length; i++) {
    const p = queue[i]!
    const info = facts.infos.get(p)
    if (!info) {
      if (!facts.missing.has(p)) lookups.infos.push(p)
      continue
    }
    for (const r of info.references) {
      if (r === p || push.has(r) || served.has(r)) continue
      if (excluded.has(r) || policy.exclude.some((re) => re.test(r)) || facts.missing.has(r)) {
        unservable.add(r)
        unserved.push({ path: r, referrer: p })
        continue
      }
      if (seen.has(r)) continue
      seen.add(r)
      const refInfo = facts.infos.get(r)
      if (!refInfo) {
        lookups.infos.push(r)
        continue
      }
      if (signedUpstream(refInfo.signatures, policy.skipSignedBy)) continue
      const cached = facts.cached.get(r)
      if (cached === undefined) lookups.cache.push(r)
      else if (!cached) {
        push.add(r)
        added.push(r)
        queue.push(r)
      }
    }
  }
  // Withhold every path from which an unservable path can be reached through pushed paths.
  const withheld = new Set<string>()
  for (let changed = unservable.size > 0; changed; ) {
    changed = false
    for (const p of push) {
      if (withheld.has(p)) continue
      const refs = facts.infos.get(p)?.references ?? []
      if (refs.some((r) => r !== p && (unservable.has(r) || withheld.has(r)))) {
        withheld.add(p)
        changed = true
      }
    }
  }
  // An added path that is withheld keeps the reason the policy gave it.
  const completion = added.filter((p) => !withheld.has(p))
  const moved = new Set(completion)
  const skipped = emptySkipped()
  for (const reason of SKIP_REASONS) skipped[reason] = selection.skipped[reason].filter((p) => !moved.has(p))
  skipped['unserved-reference'].push(...selection.push.filter((p) => withheld.has(p)))
  return {
    selection: {
      push: [...push].filter((p) => !withheld.has(p)),
      completion: [...(selection.completion ?? []), ...completion],
      skipped
    },
    lookups,
    unserved
  }
}
