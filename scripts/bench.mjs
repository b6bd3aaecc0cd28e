// `npm run bench`: bundles the TypeScript benchmark under bench/ with esbuild (into .bench/build,
// which is git-ignored) and runs it on this Node (scripts/node24.mjs already chose Node 24).
// The bench reuses the end-to-end harness in __tests__/helpers; its one jest dependency,
// `@jest/globals`, is swapped for a stub so the harness works outside jest.
import { build } from 'esbuild'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { join } from 'node:path'

const repo = fileURLToPath(new URL('..', import.meta.url))
const outdir = join(repo, '.bench', 'build')
await build({
  absWorkingDir: repo,
  entryPoints: { bench: 'bench/main.ts', 'upload-driver': 'bench/upload-driver.ts' },
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
// `--build-only` bundles without running, e.g. to run .bench/build/upload-driver.mjs by hand.
if (!process.argv.includes('--build-only')) await import(pathToFileURL(join(outdir, 'bench.mjs')).href)
