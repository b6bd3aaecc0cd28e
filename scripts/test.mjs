// `npm test`: install what the tests need, then run jest in ESM mode on Node 24 (the runtime of
// a node24 action; zstd and node:sqlite exist only there).
import { spawnSync } from 'node:child_process'
import { node24 } from './node24-path.mjs'

const pre = spawnSync(process.execPath, ['scripts/prereqs.mjs'], { stdio: 'inherit' })
if (pre.status !== 0) process.exit(pre.status ?? 1)

const r = spawnSync(
  node24(),
  ['--experimental-vm-modules', 'node_modules/jest/bin/jest.js', ...process.argv.slice(2)],
  { stdio: 'inherit', env: { ...process.env, NODE_NO_WARNINGS: '1' } }
)
process.exit(r.status ?? 1)
