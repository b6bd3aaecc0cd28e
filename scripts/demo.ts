// `npm run demo`: the main job on an embedded default. Builds the sample project (the test graph:
// a build-only tool, a fixed-output source, a two-output package, a library and an input from a
// fake upstream cache) between the action's main and post steps, with a local file:// cache,
// prints the job summary, then shows a fresh machine pulling from that cache.
import { mkdtemp, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { makeUpstream, writeGraph } from '../__tests__/helpers/graph.js'
import { countBuilt, createTestStore, removeTree, substitutedPaths } from '../__tests__/helpers/nix-store.js'
import { startJob } from '../__tests__/helpers/runner.js'
import { generateKeys } from '../__tests__/helpers/scenario.js'

const say = (s: string): void => console.log(`\n\x1b[1m== ${s}\x1b[0m`)
const shown = (stdout: string): string =>
  stdout
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('::add-mask::'))
    .join('\n')

const dir = await mkdtemp(join(tmpdir(), 'nix-buildtime-cache-demo-'))
try {
  const upstream = await makeUpstream(dir)
  const keys = await generateKeys(dir, 'demo-cache-1')
  const cache = `file://${join(dir, 'cache')}`
  const store = await createTestStore({ parentDir: dir, extraConfig: upstream.nixConfig })
  const project = await writeGraph(store.root, 'v1')

  say(`main step (cache: ${cache})`)
  const job = await startJob({
    env: store.env,
    inputs: { cache, 'secret-key': keys.secret, 'skip-signed-by': 'upstream-test-1' }
  })
  console.log(shown(job.main?.stdout ?? ''))

  say('the job builds the project: nix-build -A job')
  const build = await job.exec('nix-build', [project, '-A', 'job', '--no-out-link'])
  console.log(`${countBuilt(build.stderr)} derivations built, ${substitutedPaths(build.stderr).length} paths substituted from the upstream`)

  say('post step')
  const post = await job.post()
  console.log(shown(post.stdout))
  say('job summary (GITHUB_STEP_SUMMARY)')
  console.log(post.summary)
  console.log(`pushed paths are listed in ${post.outputs['paths-file']}:`)
  console.log(await readFile(post.outputs['paths-file'], 'utf8'))

  say('a fresh machine changes only the top-level package and builds it, pulling from the cache')
  const fresh = await createTestStore({
    parentDir: dir,
    extraConfig: [`substituters = ${cache} ${upstream.url}`, `trusted-public-keys = ${keys.public} ${upstream.publicKey}`]
  })
  const changed = await writeGraph(fresh.root, 'v2')
  const r = await fresh.run('nix-build', [changed, '-A', 'top', '--no-out-link'])
  const fromCache = substitutedPaths(r.stderr)
  console.log(r.stderr.split('\n').filter((l) => /^(building|copying)/.test(l)).join('\n'))
  console.log(`\n${countBuilt(r.stderr)} derivation built locally; ${fromCache.length} paths substituted.`)
  if (r.code !== 0 || countBuilt(r.stderr) !== 1) process.exitCode = 1
} finally {
  await removeTree(dir)
}
