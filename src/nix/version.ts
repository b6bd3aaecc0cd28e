import { runNix } from './cli.js'

/**
 * Which Nix the job runs, from `nix --version`:
 *   `nix (Nix) 2.3.18`, `nix (Lix, like Nix) 2.93.0`, `nix (Determinate Nix 3.22.2) 2.35.2`.
 * Lix numbers its releases above upstream's but behaves like the 2.18 it forked from, so
 * thresholds below compare upstream versions only and treat Lix by what it does.
 */
export interface NixVersion {
  implementation: 'nix' | 'lix' | 'determinate'
  /** The upstream-style version (for Determinate, the Nix it is built on). */
  major: number
  minor: number
  text: string
}

export function parseNixVersion(text: string): NixVersion | undefined {
  const line = text.trim().split('\n')[0] ?? ''
  const m = /\(([^)]*)\)\s+(\d+)\.(\d+)/.exec(line)
  if (!m) return undefined
  const implementation = /Lix/.test(m[1]!) ? 'lix' : /Determinate/.test(m[1]!) ? 'determinate' : 'nix'
  return { implementation, major: Number(m[2]), minor: Number(m[3]), text: line }
}

const upstreamBefore = (v: NixVersion, minor: number): boolean => v.implementation !== 'lix' && v.major === 2 && v.minor < minor

/**
 * Nix 2.3 reads neither NIX_CONFIG nor `extra-` settings (both from 2.4), and has no flakes and no
 * `--derivation` flag.
 */
export const isNix23 = (v: NixVersion | undefined): boolean => v !== undefined && upstreamBefore(v, 4)

/** On 2.4–2.14 a `.drv` argument to `nix copy`/`path-info`/`store sign` means its outputs (rl-2.15). */
export const drvArgumentMeansOutputs = (v: NixVersion): boolean => !isNix23(v) && upstreamBefore(v, 15)

let cached: Promise<NixVersion | undefined> | undefined

/** The job's Nix version, asked once per step; undefined when `nix --version` says nothing we know. */
export function nixVersion(): Promise<NixVersion | undefined> {
  cached ??= runNix('nix', ['--version'], { allowFailure: true }).then((r) => (r.exitCode === 0 ? parseNixVersion(r.stdout) : undefined))
  return cached
}
