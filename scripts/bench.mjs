// `npm run bench`: bundles the TypeScript benchmark under bench/ with esbuild (into .bench/build,
// which is git-ignored) and runs it on this Node (scripts/node24.mjs already chose Node 24).
// The bench reuses the end-to-end harness in __tests__/helpers; its one jest dependency,
// `@jest/globals`, is swapped for a stub so the harness works outside jest.
import { bundleTs, repo } from './bundle-ts.mjs'
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

const buildOnly = process.argv.includes('--build-only')

if (!buildOnly) {
  // What the tests need (Nix, static busybox, nginx, xz), then what only the bench uses: the
  // zstd CLI (the compression ceiling), the sqlite3 CLI (the floor) and GNU time (peak memory).
  const pre = spawnSync(process.execPath, [join(repo, 'scripts/prereqs.mjs')], { stdio: 'inherit' })
  if (pre.status !== 0) process.exit(pre.status ?? 1)
  const extra = [
    { bin: '/usr/bin/zstd', pkg: 'zstd' },
    { bin: '/usr/bin/sqlite3', pkg: 'sqlite3' },
    { bin: '/usr/bin/time', pkg: 'time' }
  ].filter((t) => !existsSync(t.bin))
  if (extra.length > 0) {
    const pkgs = extra.map((t) => t.pkg)
    if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) {
      console.error(`The bench also needs: ${pkgs.join(' ')}\n  sudo apt-get install ${pkgs.join(' ')}`)
      process.exit(1)
    }
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { stdio: 'inherit', env })
  }
}

const urls = await bundleTs(
  { bench: 'bench/main.ts', 'upload-driver': 'bench/upload-driver.ts' },
  join(repo, '.bench', 'build')
)
// `--build-only` bundles without running, e.g. to run .bench/build/upload-driver.mjs by hand.
if (!buildOnly) await import(urls.bench)
