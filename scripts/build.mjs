// Bundles the action's two entry points, the background agent and the command-line tool into dist/ as ESM.
import { build } from 'esbuild'
import { rmSync } from 'node:fs'

rmSync('dist', { recursive: true, force: true })
await build({
  entryPoints: { main: 'src/entry/action-main.ts', post: 'src/entry/action-post.ts', agent: 'src/entry/agent.ts', cli: 'src/entry/cli.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  // The CLI runs on Node 22.15 and later (src/cli.ts says so on older ones); the action on 24.
  target: 'node22',
  format: 'esm',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  legalComments: 'none',
  logLevel: 'warning',
  // CommonJS dependencies inside an ESM bundle still call require() for Node built-ins.
  // The shebang is harmless in the action's entry points and makes dist/cli.js the package's bin.
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" }
})
