// `node scripts/node24.mjs scripts/bench-gha.mjs` (after `npm run build`): the GitHub Actions
// cache backend against cache-nix-action's whole-store tarball (bench/gha.ts). Bundled like
// scripts/bench.mjs, with the same stand-in for `@jest/globals`.
import { build } from 'esbuild'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { join } from 'node:path'

const repo = fileURLToPath(new URL('..', import.meta.url))
const outdir = join(repo, '.bench', 'build')
await build({
  absWorkingDir: repo,
  entryPoints: { 'bench-gha': 'bench/gha.ts' },
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  logLevel: 'warning',
  alias: { '@jest/globals': './bench/lib/jest-globals-stub.ts' },
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" }
})
await import(pathToFileURL(join(outdir, 'bench-gha.mjs')).href)
