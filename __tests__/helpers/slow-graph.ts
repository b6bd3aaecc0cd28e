// A slow build for the background agent's tests: derivations that sleep, so that publication
// during the build can be watched, and the helpers to watch it.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { narinfos } from './cache-check.js'
import { NIX_PRELUDE, writeGraph, type Upstream } from './graph.js'
import { createTestStore, type TestStore } from './nix-store.js'
import { sleep } from './proc.js'
import type { Job } from './runner.js'
import { hashPart } from '../../src/format/store-path.js'

// A build that takes its time, so that publication during the build can be watched: four steps
// that sleep, each referencing the previous one at run time, plus a source file (`script`) the
// steps read while building, a dependency built before the job (`pre`) and a tool substituted
// from the upstream cache.
export const slowNix = `let
  g = import ./graph.nix;
${NIX_PRELUDE}
  script = builtins.toFile "step-script.txt" "scripted step";
  pre = mk "slow-pre" "\${bb} mkdir -p $out; echo pre > $out/pre" {};
  step = n: dep: secs: mk "slow-step-\${n}" ''
    \${bb} sleep \${secs}
    \${bb} mkdir -p $out
    \${bb} dd if=/dev/urandom of=$out/blob bs=64k count=4 2>/dev/null
    echo \${dep} > $out/dep
    \${bb} cat \${script} > $out/script
  '' {};
  # s1 reads pre while building but does not reference it: pre (built before the job) is in the
  # build closure only.
  s1 = mk "slow-step-1" ''
    \${bb} sleep 1
    \${bb} mkdir -p $out
    \${bb} dd if=/dev/urandom of=$out/blob bs=64k count=4 2>/dev/null
    \${bb} cat \${pre}/pre > $out/dep
    \${bb} cat \${script} > $out/script
  '' {};
  s2 = step "2" s1 "3";
  s3 = step "3" s2 "3";
  final = mk "slow-final" ''
    \${bb} sleep 2
    \${bb} mkdir -p $out
    echo \${s3} > $out/dep
    /bin/sh \${g.upstream}/bin/compile > $out/compiled
  '' {};
in { inherit pre s1 s2 s3 final script; upstream = g.upstream; upstreamLib = g.upstreamLib; }
`

export interface SlowPaths {
  pre: string
  s1: string
  s2: string
  s3: string
  final: string
  script: string
  upstream: string
  upstreamLib: string
}

export async function slowStore(upstream: Upstream): Promise<{ store: TestStore; nixFile: string; paths: SlowPaths }> {
  const store = await createTestStore({ extraConfig: upstream.nixConfig })
  await writeGraph(store.root, 'v1')
  const nixFile = join(store.root, 'slow.nix')
  await writeFile(nixFile, slowNix)
  const r = await store.runOk('nix', [
    'eval',
    // Read-only: computing the paths must not write the .drv files before the job instantiates them.
    '--read-only',
    '--impure',
    '--json',
    '--expr',
    `builtins.mapAttrs (n: v: if builtins.isString v then v else v.outPath) (import ${nixFile})`
  ])
  return { store, nixFile, paths: JSON.parse(r.stdout) as SlowPaths }
}

/** What the job's final selection pushes: the new build closure, minus upstream, pre-existing and .drv paths. */
export const expected = (p: SlowPaths): string[] => [p.s1, p.s2, p.s3, p.final, p.script]

export interface Watched {
  build: { code: number | null; stderr: string }
  /** hash part → ms since the build started when its narinfo was first seen. */
  firstSeen: Map<string, number>
  buildMs: number
  stray: string
  /** Date.now() when the build started. */
  startedAt: number
}

/**
 * Runs the slow build as a `run:` step while watching the cache every 100 ms, adds a stray path
 * during the build, then waits (up to 15 s) for the expected paths to be published.
 */
export async function buildWatching(
  job: Job,
  nixFile: string,
  cacheDir: string,
  want: readonly string[],
  store: TestStore,
  /** The build command, when not `nix-build nixFile -A final` (a flake's `nix build`). */
  command: readonly [string, readonly string[]] = ['nix-build', [nixFile, '-A', 'final', '--no-out-link']]
): Promise<Watched> {
  const firstSeen = new Map<string, number>()
  const start = Date.now()
  let done = false
  const buildP = job.exec(command[0], command[1]).finally(() => (done = true))
  const strayFile = join(store.root, 'stray.txt')
  await writeFile(strayFile, `a stray add ${Math.random()}\n`)
  await sleep(500)
  const stray = (await job.exec('nix-store', ['--add', strayFile])).stdout.trim()
  let buildMs = 0
  const wanted = new Set(want.map(hashPart))
  while (Date.now() - start < 90_000) {
    for (const h of await narinfos(cacheDir)) if (!firstSeen.has(h)) firstSeen.set(h, Date.now() - start)
    if (done && buildMs === 0) buildMs = Date.now() - start
    if (done && Date.now() - start - buildMs > 15_000) break
    if (done && [...wanted].every((h) => firstSeen.has(h))) break
    await sleep(100)
  }
  const build = await buildP
  return { build, firstSeen, buildMs, stray, startedAt: start }
}

/** Seconds from each path becoming valid (its registration time) to its narinfo appearing. */
export async function publicationLatencies(store: TestStore, paths: readonly string[], w: Watched): Promise<number[]> {
  const infos = await store.pathInfo(paths)
  return infos.map((i) => (w.startedAt + (w.firstSeen.get(hashPart(i.path)) ?? Infinity)) / 1000 - (i.registrationTime ?? 0))
}
