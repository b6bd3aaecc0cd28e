// (a) baselines: what the peer actions do to find new store paths, on the same store.
//   cachix-action  snapshot: its list-nix-store.sh, a bash glob over the store directory;
//                  post: the glob again, then `comm -13 <(sort pre) <(list | sort)`
//   attic-action   snapshot: `nix path-info --all --json`, parsed; post: the same, then
//                  `post.filter((p) => !pre.includes(p))`, which is O(n²)
//   nix path-info --all, the usual "list the store" command
//   floor          reading ValidPaths with the sqlite3 CLI, and `ls -f` of the store directory
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { log } from '../lib/log.js'
import { repeat, seconds, summarise, type Sample } from '../lib/stats.js'
import type { BenchStore } from '../lib/store.js'
import { timeOk, timeProcess } from '../lib/timing.js'

export interface BaselineFigures {
  paths: number
  cachixSnapshot: Sample
  cachixPost: Sample
  atticSnapshot: Sample
  /** Seconds for the includes diff; extrapolated from a sample when `atticDiffSampled`. */
  atticDiff: Sample
  atticDiffSampled?: { sample: number; of: number }
  pathInfoAll: Sample
  floorSqlite: Sample
  floorLs: Sample
}

/** cachix-action's dist/list-nix-store.sh, with the store directory as an argument. */
const LIST_NIX_STORE = `#!/usr/bin/env bash
# Small utility to replace \`nix path-info --all\`
set -euo pipefail

for file in "$1"/*; do
  case "$file" in
  *.drv)
    # Avoid .drv as they are not generally useful
    continue
    ;;
  *.drv.chroot)
    # Avoid .drv.chroot as they are not generally useful
    continue
    ;;
  *.check)
    # Skip .check file produced by --keep-failed
    continue
    ;;
  *.lock)
    # Skip .lock files
    continue
    ;;
  *)
    echo "$file"
    ;;
  esac
done
`

/** attic-action's diff. */
function includesDiff(post: readonly string[], pre: readonly string[]): string[] {
  return post.filter((p) => !pre.includes(p))
}

export async function measureBaselines(opts: { store: BenchStore; paths: number; runs: number; scratch: string; atticFullUpTo: number; atticSample: number }): Promise<BaselineFigures> {
  const { store, runs } = opts
  const env = store.env
  const list = join(opts.scratch, 'list-nix-store.sh')
  const pre = join(opts.scratch, 'store-path-pre-build')
  await writeFile(list, LIST_NIX_STORE, { mode: 0o755 })

  const cachixSnapshot = await repeat(runs, () => timeOk('/bin/sh', ['-c', `bash "$1" "$2" > "$3"`, 'sh', list, store.realStoreDir, pre], { env }))
  const cachixPost = await repeat(runs, () =>
    timeOk('bash', ['-c', 'set -euo pipefail; comm -13 <(sort "$1") <(bash "$2" "$3" | sort) > /dev/null', 'bash', pre, list, store.realStoreDir], { env })
  )
  const pathInfoAll = await repeat(runs, () => timeOk('nix', ['path-info', '--all'], { env }))

  let paths: string[] = []
  let json = ''
  const atticSnapshot = await repeat(runs, async () => {
    const t = await timeProcess('nix', ['path-info', '--all', '--json'], { env })
    if (t.result.code !== 0) throw new Error(t.result.stderr)
    json = t.result.stdout
    const start = process.hrtime.bigint()
    paths = (JSON.parse(json) as Array<{ path: string }>).map((p) => p.path)
    return t.seconds + seconds(start)
  })
  if (paths.length < opts.paths) throw new Error(`path-info listed ${paths.length} paths, expected ${opts.paths}`)

  // With nothing new, post equals pre: every lookup succeeds, on average halfway through. The
  // two lists come from separate parses, as attic-action's do (one is read back from a file),
  // so equal paths are distinct strings that must be compared character by character.
  const pre_ = (JSON.parse(json) as Array<{ path: string }>).map((p) => p.path)
  let atticDiff: Sample
  let atticDiffSampled: BaselineFigures['atticDiffSampled']
  if (paths.length <= opts.atticFullUpTo) {
    atticDiff = await repeat(Math.min(runs, 3), async () => {
      const start = process.hrtime.bigint()
      if (includesDiff(paths, pre_).length !== 0) throw new Error('includes diff found new paths')
      return seconds(start)
    })
  } else {
    // Whole diff at 100,000 paths takes minutes; a uniform sample of lookups, scaled up.
    atticDiffSampled = { sample: opts.atticSample, of: paths.length }
    const values: number[] = []
    for (let r = 0; r < Math.min(runs, 3); r++) {
      const sample = Array.from({ length: opts.atticSample }, () => paths[Math.floor(Math.random() * paths.length)]!)
      const start = process.hrtime.bigint()
      includesDiff(sample, pre_)
      values.push(seconds(start) * (paths.length / opts.atticSample))
    }
    atticDiff = summarise(values)
  }

  const floorSqlite = await repeat(runs, () => timeOk('sqlite3', ['-readonly', store.dbPath, 'SELECT path FROM ValidPaths'], { env }))
  const floorLs = await repeat(runs, () => timeOk('ls', ['-f', store.realStoreDir], { env }))
  log(`  baselines at ${opts.paths} paths: cachix ${cachixSnapshot.median.toFixed(2)} s, attic ${atticSnapshot.median.toFixed(2)} s + diff ${atticDiff.median.toFixed(1)} s, path-info --all ${pathInfoAll.median.toFixed(2)} s`)
  return { paths: opts.paths, cachixSnapshot, cachixPost, atticSnapshot, atticDiff, atticDiffSampled, pathInfoAll, floorSqlite, floorLs }
}
