import { batches, lines, runNix } from './cli.js'
import { isNix23, nixVersion } from './version.js'
import { FLAKES } from './flake.js'

export const isDerivation = (p: string): boolean => p.endsWith('.drv')

/** The derivation closure of `drvs` plus every valid output in it: the build-time closure. */
export async function buildClosure(roots: readonly string[]): Promise<Set<string>> {
  const closure = new Set<string>()
  for (const batch of batches(roots)) {
    const r = await runNix('nix-store', ['--query', '--requisites', '--include-outputs', ...batch])
    for (const p of lines(r.stdout)) closure.add(p)
  }
  return closure
}

export type InstallableKind = 'derivation' | 'store-path' | 'flake-ref'

export function classifyInstallable(installable: string, storeDir: string): InstallableKind {
  if (installable.startsWith(`${storeDir}/`)) return isDerivation(installable) ? 'derivation' : 'store-path'
  return 'flake-ref'
}

/**
 * Turns the `installables` input into closure roots. Output paths map to their deriver when the
 * deriver is still known and valid, so that their build-time inputs count too; otherwise the
 * output path itself is a root and only its runtime closure counts.
 */
export async function resolveRoots(installables: readonly string[], storeDir: string): Promise<string[]> {
  const roots: string[] = []
  const legacy = isNix23(await nixVersion())
  for (const item of installables) {
    const kind = classifyInstallable(item, storeDir)
    if (kind === 'derivation') {
      roots.push(item)
    } else if (kind === 'store-path') {
      roots.push((await validDeriver(item)) ?? item)
    } else if (legacy) {
      // Nix 2.3 has neither flakes nor `--derivation`: its installables (attribute paths) name
      // outputs, which lead to their derivers as store paths do.
      const r = await runNix('nix', ['path-info', item])
      for (const out of lines(r.stdout)) roots.push((await validDeriver(out)) ?? out)
    } else {
      // Flake references need the `flakes` feature on upstream Nix and Lix (Determinate has
      // stabilised it); asking for it here costs nothing where it is already on.
      const r = await runNix('nix', ['path-info', '--derivation', item], { extraConfig: FLAKES })
      roots.push(...lines(r.stdout))
    }
  }
  return roots
}

export async function validDeriver(outPath: string): Promise<string | undefined> {
  const r = await runNix('nix-store', ['--query', '--deriver', outPath], { allowFailure: true })
  const drv = r.stdout.trim()
  if (r.exitCode !== 0 || !isDerivation(drv)) return undefined
  const check = await runNix('nix-store', ['--check-validity', drv], { allowFailure: true })
  return check.exitCode === 0 ? drv : undefined
}
