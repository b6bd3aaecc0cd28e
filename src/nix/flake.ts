import { lines, runNix } from './cli.js'

/**
 * Evaluating a flake installable while the job runs, for the background agent. Every command
 * here leaves the user's checkout as it is (`--no-write-lock-file`): only the job writes its
 * flake.lock. Flake references need the `flakes` feature on upstream Nix and Lix (Determinate
 * has stabilised it); asking for it costs nothing where it is already on.
 */
export const FLAKES = 'extra-experimental-features = flakes'

/** The flake reference of an installable: everything before its `#attribute` fragment. */
export function flakeOf(installable: string): string {
  const hash = installable.indexOf('#')
  return hash < 0 ? installable : installable.slice(0, hash)
}

/**
 * The store path of the flake's source as Nix fetches it now (`nix flake metadata`'s `path`):
 * it changes when the job edits a local flake or an unlocked reference moves, and so may what
 * the installable evaluates to.
 */
export async function flakeSource(installable: string): Promise<string> {
  const r = await runNix('nix', ['flake', 'metadata', '--json', '--no-write-lock-file', flakeOf(installable)], { extraConfig: FLAKES })
  const path = (JSON.parse(r.stdout) as { path?: unknown }).path
  if (typeof path !== 'string') throw new Error(`nix flake metadata gave no source path for '${installable}'`)
  return path
}

/** The derivations an installable evaluates to: the roots the post step resolves it to (nix/closure.ts). */
export async function flakeDerivations(installable: string): Promise<string[]> {
  const r = await runNix('nix', ['path-info', '--derivation', '--no-write-lock-file', installable], { extraConfig: FLAKES })
  return lines(r.stdout)
}
