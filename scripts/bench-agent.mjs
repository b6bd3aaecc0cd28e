// `npm run bench:agent`: the background agent side by side with the post step alone
// (bench/agent.ts). Run on Node 24 by scripts/node24.mjs, after `npm run build`.
import { join } from 'node:path'
import { bundleTs, repo } from './bundle-ts.mjs'

const urls = await bundleTs({ 'bench-agent': 'bench/agent.ts' }, join(repo, '.bench', 'build'))
await import(urls['bench-agent'])
