// Runs a TypeScript script that shares the end-to-end harness (the demo) on Node 24.
import { spawnSync } from 'node:child_process'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bundleTs, repo } from './bundle-ts.mjs'
import { node24 } from './node24-path.mjs'

const [entry, ...args] = process.argv.slice(2)
if (!entry) {
  console.error('usage: node scripts/run-ts.mjs <script.ts> [args…]')
  process.exit(2)
}
const name = basename(entry, '.ts')
const urls = await bundleTs({ [name]: entry }, join(repo, '.bench', 'build'))
const r = spawnSync(node24(), [fileURLToPath(urls[name]), ...args], { stdio: 'inherit', env: { ...process.env, NODE_NO_WARNINGS: '1' } })
process.exit(r.status ?? 1)
