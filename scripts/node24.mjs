// Runs a script on Node 24, the runtime GitHub uses for `runs.using: node24`.
import { spawnSync } from 'node:child_process'
import { node24 } from './node24-path.mjs'

const r = spawnSync(node24(), process.argv.slice(2), { stdio: 'inherit' })
process.exit(r.status ?? 1)
