import type { PathInfo } from '../format/path-info.js'

export interface Origins {
  /** Derivations (or, without a known deriver, paths) this job built itself. */
  builtLocally: string[]
  /** Substituted paths, keyed by the signing key names they carry. */
  substituted: Map<string, string[]>
}

/**
 * Nix marks what it built itself as `ultimate`; a substituted path carries the signatures of the
 * narinfo it came from. Paths with neither were added (sources, .drv files, `nix-store --add`).
 */
export function classifyOrigins(infos: Iterable<PathInfo>): Origins {
  const built = new Set<string>()
  const substituted = new Map<string, string[]>()
  for (const info of infos) {
    if (info.ultimate) {
      built.add(info.deriver ?? info.path)
    } else if (info.signatures.length > 0) {
      const keys = [...new Set(info.signatures.map((s) => s.slice(0, s.indexOf(':'))))].sort().join(', ')
      const list = substituted.get(keys) ?? []
      list.push(info.path)
      substituted.set(keys, list)
    }
  }
  return { builtLocally: [...built].sort(), substituted }
}
