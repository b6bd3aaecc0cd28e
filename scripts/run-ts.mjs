// Runs a TypeScript script (the demo, the benchmarks) on Node 24: bundles it with esbuild first,
// so it can share the end-to-end harness in __tests__/helpers with the tests.
import { build } from 'esbuild'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { node24 } from './node24-path.mjs'

const [entry, ...args] = process.argv.slice(2)
if (!entry) {
  console.error('usage: node scripts/run-ts.mjs <script.ts> [args…]')
  process.exit(2)
}
// Two levels below the repository, like __tests__/helpers, so the harness's repository-relative
// paths (import.meta.url) still point at the repository; bare imports resolve from it too.
mkdirSync('.run-ts', { recursive: true })
const dir = mkdtempSync(join('.run-ts', 'x-'))
const outfile = join(dir, 'script.mjs')
await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  packages: 'external',
  logLevel: 'warning',
  // The harness registers jest hooks when jest is there; outside jest they are no-ops.
  plugins: [
    {
      name: 'no-jest',
      setup(b) {
        b.onResolve({ filter: /^@jest\/globals$/ }, () => ({ path: 'jest-globals', namespace: 'no-jest' }))
        b.onLoad({ filter: /.*/, namespace: 'no-jest' }, () => ({
          contents: 'export const afterAll = () => {}; export const beforeAll = () => {};',
          loader: 'js'
        }))
      }
    }
  ]
})
const r = spawnSync(node24(), [outfile, ...args], { stdio: 'inherit', env: { ...process.env, NODE_NO_WARNINGS: '1' } })
rmSync(dir, { recursive: true, force: true })
process.exit(r.status ?? 1)
