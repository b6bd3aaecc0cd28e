// `npm run demo`: one realistic CI job with the action, run exactly as the GitHub runner runs it
// (main step, the job's own steps, post step), on the test graph (__tests__/helpers/graph.ts) with
// a local file:// cache. Realistic means the job meets everything the action must tell apart:
//   - the runner's store already holds preexisting-dep (an earlier job built and pushed it);
//   - the cache already holds greet-lib (another runner pushed it), so the job substitutes it;
//   - build-compiler and its library come from an upstream cache that signed them;
//   - the job builds `unrelated`, outside its installables, and does a stray `nix-store --add`;
//   - `exclude` drops the app's test report (app-checks), which is always rerun anyway, so the
//     release bundle that links it is not pushed either (no cache could serve its reference).
// Then it compares, on the same job, what the action pushed with what the two common
// alternatives push (`nix copy` of the outputs, and every new store path), and lets a fresh
// machine that changed only the app rebuild from each of the three caches.
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { graphDrvPaths, makeUpstream, NIX_PRELUDE, UPSTREAM_KEY_NAME, writeGraph } from '../__tests__/helpers/graph.js'
import { builtDerivations, countBuilt, createTestStore, removeTree, type TestStore } from '../__tests__/helpers/nix-store.js'
import { startJob, workflowCommands } from '../__tests__/helpers/runner.js'
import { consumerBuild, generateKeys } from '../__tests__/helpers/scenario.js'
import { SKIP_REASONS } from '../src/plan/selection.js'
import { formatBytes } from '../src/runtime/units.js'

const started = Date.now()
const say = (s: string): void => console.log(`\n\x1b[1m== ${s}\x1b[0m`)
const shown = (stdout: string): string =>
  stdout
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('::add-mask::'))
    .join('\n')
const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '')
const name = (p: string): string => p.replace(/^\/nix\/store\/[0-9a-z]{32}-/, '')

/**
 * The demo project: the test graph, plus the app's checks (a test run of the app) and a release
 * bundle that links the app and its test report.
 */
async function writeProject(dir: string): Promise<string> {
  await writeGraph(dir, 'v1')
  const file = join(dir, 'default.nix')
  await writeFile(
    file,
    `let
  g = import ./graph.nix;
${NIX_PRELUDE}
  checks = mk "app-checks" "/bin/sh \${g.top}/bin/app > $out" {};
  release = mk "app-release" ''
    \${bb} mkdir -p $out
    \${bb} ln -s \${g.top} $out/app
    \${bb} ln -s \${checks} $out/test-report
  '' {};
in g // { inherit checks release; }
`
  )
  return file
}

async function allPaths(store: TestStore): Promise<Set<string>> {
  return new Set(lines((await store.runOk('nix', ['path-info', '--all'])).stdout))
}

async function narBytes(store: TestStore, paths: readonly string[]): Promise<number> {
  return (await store.pathInfo(paths)).reduce((n, i) => n + (i.narSize ?? 0), 0)
}

const dir = await mkdtemp(join(tmpdir(), 'nix-buildtime-cache-demo-'))
try {
  const upstream = await makeUpstream(dir)
  const keys = await generateKeys(dir, 'demo-cache-1')
  const secretKeyFile = join(dir, 'demo-cache-1.sk')
  const cacheDir = join(dir, 'cache')
  const cache = `file://${cacheDir}`
  const copyTo = (cacheUri: string): string => `${cacheUri}?secret-key=${secretKeyFile}&compression=none`

  say('before the job')
  const store = await createTestStore({ parentDir: dir, extraConfig: upstream.nixConfig })
  const project = await writeProject(store.root)
  const drvs = await graphDrvPaths(join(store.root, 'graph.nix'), store)
  const releaseDrv = (await store.runOk('nix', ['eval', '--read-only', '--impure', '--raw', '--file', project, 'release.drvPath'])).stdout
  const earlier = await store.build(project, 'preexisting')
  await store.runOk('nix', ['copy', '--to', copyTo(cache), ...earlier.outPaths])
  console.log(`the runner's store holds ${earlier.outPaths.map(name).join(', ')}, which an earlier job built and pushed`)
  const otherRunner = await createTestStore({ parentDir: dir, extraConfig: upstream.nixConfig })
  const other = await otherRunner.build(await writeProject(otherRunner.root), 'lib')
  await otherRunner.runOk('nix', ['copy', '--to', copyTo(cache), ...other.outPaths])
  console.log(`the cache also holds ${other.outPaths.map(name).join(', ')}, which another runner pushed`)
  // The alternatives start from the same cache.
  const alternatives = { outputs: join(dir, 'cache-nix-copy-outputs'), everything: join(dir, 'cache-every-new-path') }
  for (const d of Object.values(alternatives)) await cp(cacheDir, d, { recursive: true })
  const before = await allPaths(store)

  const inputs = {
    cache,
    'secret-key': keys.secret,
    'skip-signed-by': UPSTREAM_KEY_NAME,
    installables: `${drvs.top}\n${releaseDrv}`,
    exclude: '-app-checks$'
  }
  say(`main step (installables: the app and its release bundle; exclude: ${inputs.exclude})`)
  const job = await startJob({ env: store.env, inputs })
  console.log(shown(job.main?.stdout ?? ''))

  say('the job: nix-build -A top -A release -A unrelated; nix-store --add notes.txt')
  const build = await job.exec('nix-build', [project, '-A', 'top', '-A', 'release', '-A', 'unrelated'])
  if (build.code !== 0) throw new Error(`the job's build failed:\n${build.stderr}`)
  const outputs = lines(build.stdout)
  await writeFile(join(store.root, 'notes.txt'), 'a file a step added to the store on the side\n')
  const stray = await job.exec('nix-store', ['--add', join(store.root, 'notes.txt')])
  if (stray.code !== 0) throw new Error(stray.stderr)
  console.log(`${countBuilt(build.stderr)} derivations built, ${lines(build.stderr).filter((l) => l.startsWith('copying path')).length} paths substituted`)
  const newPaths = [...(await allPaths(store))].filter((p) => !before.has(p))

  say('post step')
  const post = await job.post()
  console.log(shown(post.stdout))
  say('job summary (GITHUB_STEP_SUMMARY)')
  console.log(post.summary)
  // The one warning expected: the release bundle references the excluded test report.
  const unexpected = workflowCommands(post.stdout, 'warning').filter((w) => !/no cache will serve/.test(w.message))
  if (post.code !== 0 || unexpected.length > 0) throw new Error('the post step did not succeed cleanly')

  // Every reason the action skips a path shows up in this job.
  const zero = SKIP_REASONS.filter((r) => !new RegExp(`^\\| ${r} \\| [1-9]`, 'm').test(post.summary))
  if (zero.length > 0) throw new Error(`the demo job should exercise every skip reason; none of: ${zero.join(', ')}`)

  say('what each way of filling the cache pushes for this job')
  const pushed = lines(await readFile(post.outputs['paths-file'] ?? '', 'utf8'))
  const runtimeClosure = lines((await store.runOk('nix-store', ['--query', '--requisites', ...outputs])).stdout)
  await store.runOk('nix', ['copy', '--to', copyTo(`file://${alternatives.outputs}`), ...outputs])
  await store.runOk('nix', ['copy', '--to', copyTo(`file://${alternatives.everything}`), ...newPaths])
  const columns = [
    { title: 'this action', paths: pushed, cache },
    { title: 'nix copy of the outputs', paths: runtimeClosure, cache: `file://${alternatives.outputs}` },
    { title: 'every new path', paths: newPaths, cache: `file://${alternatives.everything}` }
  ]
  const upstreamPaths = new Set(upstream.paths)
  const buildClosure = new Set(lines((await store.runOk('nix-store', ['--query', '--requisites', '--include-outputs', drvs.top, releaseDrv])).stdout))
  const runtime = new Set(runtimeClosure)
  const count = (pred: (p: string) => boolean) => (paths: string[]): string => String(paths.filter(pred).length)
  const rows: [string, (paths: string[]) => Promise<string> | string][] = [
    ['store paths', (p) => String(p.length)],
    ['NAR bytes', async (p) => formatBytes(await narBytes(store, p))],
    ['build-only (compiler, sources, dev outputs)', count((p) => buildClosure.has(p) && !runtime.has(p) && !p.endsWith('.drv') && !upstreamPaths.has(p))],
    ['served by the upstream already', count((p) => upstreamPaths.has(p))],
    ['outside the build closure', count((p) => !buildClosure.has(p))],
    ['.drv files', count((p) => p.endsWith('.drv'))]
  ]
  const rebuilds: { built: number; log: string; error?: string }[] = []
  for (const c of columns) {
    // A fresh machine changes only the app, and builds it with this cache and the upstream.
    try {
      const consumer = await consumerBuild({ substituters: [c.cache, upstream.url], trustedKeys: [keys.public, upstream.publicKey], variant: 'v2' })
      rebuilds.push(consumer)
      await consumer.store.cleanup()
    } catch (e) {
      const log = (e as Error).message
      rebuilds.push({ built: countBuilt(log), log, error: lines(log).find((l) => l.startsWith('error:')) ?? 'failed' })
    }
  }
  const table = [['', ...columns.map((c) => c.title)]]
  for (const [label, f] of rows) table.push([label, ...(await Promise.all(columns.map((c) => f(c.paths))))])
  table.push(['a changed app then builds', ...rebuilds.map((r) => `${r.built} derivation${r.built === 1 ? '' : 's'}${r.error ? ', fails (*)' : ''}`)])
  const widths = table[0]?.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length))) ?? []
  for (const row of table) console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('   '))
  for (const [i, r] of rebuilds.entries()) if (r.error) console.log(`(*) ${columns[i]?.title}: without the build-only paths the consumer rebuilds the toolchain, and here Nix cannot even do that: ${r.error}`)

  say('the fresh machine that changed the app, pulling from this action\'s cache')
  const ours = rebuilds[0]
  console.log((ours?.log ?? '').split('\n').filter((l) => /^(building|copying)/.test(l)).join('\n'))
  console.log(`\nbuilt: ${(ours ? builtDerivations(ours.log) : []).map(name).join(', ')}; everything else came from the caches.`)
  console.log(`(demo took ${((Date.now() - started) / 1000).toFixed(1)} s)`)
  if (ours?.built !== 1) process.exitCode = 1
} finally {
  await removeTree(dir)
}
