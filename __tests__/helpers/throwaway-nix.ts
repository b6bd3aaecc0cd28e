import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hostNixConfOff, testNixConfig } from './nix-store.js'

/**
 * A Nix whose store, caches and config all live in a fresh temp dir, with no substituters, so
 * tests can build and copy real store paths without touching the machine or the network.
 */
export interface ThrowawayNix {
  dir: string
  env: NodeJS.ProcessEnv
  /** Runs a Nix command and returns its trimmed stdout. */
  run(command: string, args: readonly string[]): string
  /** Runs a Nix command and returns its raw stdout. */
  runRaw(command: string, args: readonly string[]): Buffer
  /** Builds an attribute of a Nix expression and returns the (logical) output path. */
  build(expression: string, attr: string): string
  /** Where a logical /nix/store path lives on disk in this chroot store. */
  physical(storePath: string): string
  cleanup(): void
}

/** Derivations that need no nixpkgs: `a` has no references, `b` refers to `a`. */
export const SAMPLE_EXPRESSION = `
let
  mk = name: script: derivation { inherit name; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" script ]; };
in rec {
  a = mk "a" "echo hi > $out";
  b = mk "b" "mkdir -p $out/sub; echo \${a} > $out/ref; echo hello > $out/sub/file; ln -s ref $out/link";
}
`

export function throwawayNix(): ThrowawayNix {
  const dir = mkdtempSync(join(tmpdir(), 'nix-test-'))
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    XDG_CACHE_HOME: join(dir, 'cache'),
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_DATA_HOME: join(dir, 'data'),
    NIX_CONFIG: testNixConfig(join(dir, 'store')),
    ...hostNixConfOff(dir)
  }
  mkdirSync(env.NIX_CONF_DIR ?? '')
  const runRaw = (command: string, args: readonly string[]): Buffer =>
    execFileSync(command, args, { env, maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] })
  const run = (command: string, args: readonly string[]): string => runRaw(command, args).toString().trim()
  return {
    dir,
    env,
    run,
    runRaw,
    build(expression, attr) {
      const file = join(dir, 'expr.nix')
      writeFileSync(file, expression)
      return run('nix-build', [file, '-A', attr, '--no-out-link'])
    },
    physical: (storePath) => join(dir, 'store', storePath),
    cleanup() {
      // Nix makes store contents read-only, which would stop a non-root rm.
      execFileSync('chmod', ['-R', 'u+w', dir])
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
