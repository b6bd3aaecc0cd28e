// `npm run bench:gha`: the GitHub Actions cache backend against cache-nix-action's whole-store
// tarball (bench/gha.ts). Run on Node 24 by scripts/node24.mjs, after `npm run build`.
import { join } from 'node:path'
import { bundleTs, repo } from './bundle-ts.mjs'

const urls = await bundleTs({ 'bench-gha': 'bench/gha.ts' }, join(repo, '.bench', 'build'))
await import(urls['bench-gha'])
