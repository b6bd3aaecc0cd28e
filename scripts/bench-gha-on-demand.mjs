// `npm run bench:gha-on-demand`: the GitHub Actions cache served on demand against the eager
// restore (bench/gha-on-demand.ts). Run on Node 24 by scripts/node24.mjs, after `npm run build`.
import { join } from 'node:path'
import { bundleTs, repo } from './bundle-ts.mjs'

const urls = await bundleTs({ 'bench-gha-on-demand': 'bench/gha-on-demand.ts' }, join(repo, '.bench', 'build'))
await import(urls['bench-gha-on-demand'])
