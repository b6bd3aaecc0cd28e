// Small fixtures the unit tests share. Nothing here runs Nix or starts a server: a test that
// imports only this file stays a pure unit test (.ci/fresh-machine picks the Nix-facing test
// files by what they import, through jest --findRelatedTests).
import type { SelectionPolicy } from '../../src/plan/selection.js'
import { host, type Host } from '../../src/runtime/host.js'

/** A fake store path for planning tests: `name`, padded with zeros, as its hash part (nothing parses it). */
export const fakeStorePath = (name: string): string => `/nix/store/${name.padEnd(32, '0').slice(0, 32)}-${name}`

/** A distinct hash part per name, in the nix32 alphabet, for code that checks hash parts. */
export const fakeHashPart = (name: string): string => name.padEnd(32, '0').replace(/[^0-9a-df-np-sv-z]/g, 'a')

/** Waits `ms` milliseconds of real time. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** The action's default selection: no derivations, cache.nixos.org's paths skipped, nothing excluded. */
export const DEFAULT_POLICY: SelectionPolicy = { includeDerivations: false, skipSignedBy: ['cache.nixos.org-1'], exclude: [] }

export interface CapturingHost {
  /** To install with setHost; the test restores the host it replaced. */
  readonly host: Host
  /** What was said, in order: info lines as they are, `warning: …`, `group: …` and `endgroup`. */
  readonly lines: string[]
  /** The warnings alone, as they were given. */
  readonly warnings: string[]
}

/**
 * A host that records what the code under test says and drops debug lines; anything else (the
 * temp dir, state, outputs) is `base`'s, the current host by default.
 */
export function capturingHost(base: Host = host()): CapturingHost {
  const lines: string[] = []
  const warnings: string[] = []
  const capture = Object.assign(Object.create(base) as Host, {
    info: (m: string): void => void lines.push(m),
    warning: (m: string): void => {
      warnings.push(m)
      lines.push(`warning: ${m}`)
    },
    debug: (): void => undefined,
    startGroup: (name: string): void => void lines.push(`group: ${name}`),
    endGroup: (): void => void lines.push('endgroup')
  })
  return { host: capture, lines, warnings }
}
