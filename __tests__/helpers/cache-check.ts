// What every fault-injection test asserts about a binary cache after the fault: real Nix still
// verifies all of it under require-sigs, and a fresh store substitutes from it.
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NIX_PRELUDE } from './graph.js'
import { countBuilt, createTestStore, substitutedPaths, SYSTEM_PATH, type TestStore } from './nix-store.js'
import { runProcess, type ProcResult } from './proc.js'

/** `nix store verify --all` over a file:// cache, trusting only `publicKey` (signatures required). */
export async function verifyCache(dir: string, publicKey: string): Promise<ProcResult> {
  const home = await mkdtemp(join(tmpdir(), 'nix-verify-home-'))
  return runProcess('nix', ['store', 'verify', '--store', `file://${dir}`, '--all'], {
    env: {
      PATH: SYSTEM_PATH,
      HOME: home,
      NIX_CONFIG: ['experimental-features = nix-command', 'require-sigs = true', `trusted-public-keys = ${publicKey}`].join('\n')
    }
  })
}

/**
 * Two derivations with identical contents (one NarHash, so one `nar/<NarHash>` in a cache),
 * one referrer of the second, and an unrelated path.
 */
export const TWINS_NIX = `let
${NIX_PRELUDE}
  good = mk "same-good" "echo same > $out" {};
  twin = mk "same-twin" "echo same > $out" {};
  user = mk "twin-user" "echo \${twin} > $out" {};
  other = mk "other" "echo other > $out" {};
in { inherit good twin user other; }
`

export async function writeTwins(dir: string): Promise<string> {
  const file = join(dir, 'twins.nix')
  await writeFile(file, TWINS_NIX)
  return file
}

/** A fresh store substituting only from `substituter` (require-sigs) builds `attrs`; how many it built itself. */
export async function consumerOf(
  substituter: string,
  publicKey: string,
  attrs: readonly string[]
): Promise<{ built: number; substituted: string[]; store: TestStore }> {
  const store = await createTestStore({
    extraConfig: [`substituters = ${substituter}`, `trusted-public-keys = ${publicKey}`, 'require-sigs = true', 'narinfo-cache-negative-ttl = 0']
  })
  const file = await writeTwins(store.root)
  const r = await store.runOk('nix-build', [file, ...attrs.flatMap((a) => ['-A', a]), '--no-out-link'])
  return { built: countBuilt(r.stderr), substituted: substitutedPaths(r.stderr).map((s) => s.path), store }
}
