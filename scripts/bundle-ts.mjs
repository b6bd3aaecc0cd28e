// Bundles TypeScript scripts (the demo, the benchmarks) that share the end-to-end harness in
// __tests__/helpers. The harness's only jest dependency, `@jest/globals`, is swapped for a stub.
// Output goes two directories below the repository, as __tests__/helpers is, so the harness's
// repository-relative paths (import.meta.url) still resolve.
import { build } from 'esbuild'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export const repo = fileURLToPath(new URL('..', import.meta.url))

/** Bundles `entryPoints` ({ name: 'path.ts' }) into `outdir`; returns a URL per name. */
export async function bundleTs(entryPoints, outdir) {
  await build({
    absWorkingDir: repo,
    entryPoints,
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
  return Object.fromEntries(Object.keys(entryPoints).map((name) => [name, pathToFileURL(join(outdir, `${name}.mjs`)).href]))
}
