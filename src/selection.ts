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

export const SKIP_REASONS: readonly SkipReason[] = [
  'pre-existing',
  'upstream-signed',
  'already-cached',
  'excluded',
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
  /** In the order of `newPaths`. */
  push: string[]
  skipped: Record<SkipReason, string[]>
}

export function emptySkipped(): Record<SkipReason, string[]> {
  return {
    'pre-existing': [],
    'outside-closure': [],
    derivation: [],
    excluded: [],
    'upstream-signed': [],
    'already-cached': []
  }
}

const keyName = (sig: string): string => sig.slice(0, sig.indexOf(':'))

function reasonFor(path: string, input: SelectionInput): SkipReason | undefined {
  const { policy } = input
  if (!input.closure.has(path)) return 'outside-closure'
  if (!policy.includeDerivations && path.endsWith('.drv')) return 'derivation'
  // A regex is tested per path and can never fail the selection as a whole.
  if (policy.exclude.some((re) => re.test(path))) return 'excluded'
  const sigs = input.signatures.get(path) ?? []
  if (sigs.some((s) => policy.skipSignedBy.includes(keyName(s)))) return 'upstream-signed'
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
  return { push, skipped: { ...selection.skipped, 'already-cached': [...selection.skipped['already-cached'], ...already] } }
}
