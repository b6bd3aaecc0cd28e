// One CI job on the test graph, run the way the runner runs the action: main step, the job's
// build, post step. Shared by the end-to-end tests of every cache kind.
import { afterAll, beforeAll } from '@jest/globals'
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { graphPaths, makeUpstream, writeGraph, type GraphPaths, type Role, ROLES, type Upstream, UPSTREAM_KEY_NAME } from './graph.js'
import { countBuilt, createTestStore, ensureNixAvailable, nixToolEnv, removeTree, type TestStore } from './nix-store.js'
import { startJob, type Job, type StepResult } from './runner.js'
import { runProcess } from './proc.js'

export interface SigningKeys {
  secret: string
  public: string
  /** The file holding `secret`, for the CLI's --secret-key-file. */
  secretFile: string
}

export async function generateKeys(dir: string, name = 'test-cache-1'): Promise<SigningKeys> {
  const sk = join(dir, `${name}.sk`)
  const pk = join(dir, `${name}.pk`)
  const r = await runProcess('nix-store', ['--generate-binary-cache-key', name, sk, pk], { env: nixToolEnv(join(dir, `${name}-keygen`)) })
  if (r.code !== 0) throw new Error(r.stderr)
  return { secret: (await readFile(sk, 'utf8')).trim(), public: (await readFile(pk, 'utf8')).trim(), secretFile: sk }
}

/** What every end-to-end test file starts from: a temp dir, the fake upstream cache and our key. */
export interface GraphWorld {
  /** Readable by every user, for the multi-user tests. */
  dir: string
  upstream: Upstream
  keys: SigningKeys
}

export async function graphWorld(prefix: string): Promise<GraphWorld> {
  await ensureNixAvailable()
  const dir = await mkdtemp(join(tmpdir(), prefix))
  await chmod(dir, 0o755)
  return { dir, upstream: await makeUpstream(dir), keys: await generateKeys(dir) }
}

/**
 * The preamble of an end-to-end test file: its GraphWorld, made before the file's first test and
 * removed after its last. Call it at the top of the file, before the file's own hooks: its
 * beforeAll runs first, so the file's beforeAll hooks may use the world. Not so the file's
 * root-level afterAll hooks: jest runs a block's afterAll hooks in the order they were declared
 * (and a hook cannot be added once the tests run), so those run after the world is removed. One
 * that needs the world's directory, such as stopping a server rooted in it, goes in a describe
 * block, whose hooks run before the file's. Its fields exist only once the tests run, so reading
 * one while the file is being collected (outside hooks and tests) throws.
 */
export function useGraphWorld(prefix: string): GraphWorld {
  let world: GraphWorld | undefined
  beforeAll(async () => {
    world = await graphWorld(prefix)
  })
  afterAll(async () => {
    if (world) await removeTree(world.dir)
  })
  const current = (): GraphWorld => {
    if (!world) throw new Error(`useGraphWorld('${prefix}'): the world is made in beforeAll; read it in hooks and tests only`)
    return world
  }
  return {
    get dir() {
      return current().dir
    },
    get upstream() {
      return current().upstream
    },
    get keys() {
      return current().keys
    }
  }
}

export interface JobRun {
  store: TestStore
  job: Job
  main: StepResult
  /** When the main step returned (ms since the epoch): what the build waited for ends here. */
  mainEndedAt: number
  post: StepResult
  paths: GraphPaths
  buildLog: string
  /** The store paths listed in the `paths-file` output. */
  pushed: string[]
  /** The path of the stray `nix-store --add`, if any. */
  stray?: string
}

export interface JobSpec {
  cache: string
  keys: SigningKeys
  upstream: Upstream
  variant?: string
  inputs?: Record<string, string>
  /** Reuse a store (a self-hosted runner keeps its store between jobs). */
  store?: TestStore
  /**
   * Before the job, an earlier job (using the action) built and pushed `preexisting`, so the
   * store has it when the main step runs, as on a self-hosted runner or a restored store.
   */
  preexisting?: boolean
  /** Extra paths the job adds that no derivation uses (a stray `nix-store --add`). */
  strayAdd?: boolean
  env?: NodeJS.ProcessEnv
  /** Runs after the job's commands, before the post step (to wait for the background agent). */
  beforePost?: () => Promise<void>
}

export async function runGraphJob(spec: JobSpec): Promise<JobRun> {
  const store = spec.store ?? (await createTestStore({ extraConfig: spec.upstream.nixConfig }))
  const nixFile = await writeGraph(store.root, spec.variant ?? 'v1')
  const inputs = { cache: spec.cache, 'secret-key': spec.keys.secret, 'skip-signed-by': UPSTREAM_KEY_NAME }
  if (spec.preexisting ?? true) {
    const warm = await startJob({ env: { ...store.env, ...spec.env }, inputs: { ...inputs, ...spec.inputs } })
    await warm.exec('nix-build', [nixFile, '-A', 'preexisting', '--no-out-link'])
    const warmPost = await warm.post()
    if (warmPost.code !== 0) throw new Error(`warm-up job failed:\n${warmPost.stdout}`)
  }
  const job = await startJob({ env: { ...store.env, ...spec.env }, inputs: { ...inputs, ...spec.inputs } })
  const mainEndedAt = Date.now()
  const main = job.main as StepResult
  if (main.code !== 0) throw new Error(`main failed:\n${main.stdout}\n${main.stderr}`)
  const build = await job.exec('nix-build', [nixFile, '-A', 'job', '--no-out-link'])
  if (build.code !== 0) throw new Error(`build failed:\n${build.stderr}`)
  let stray: string | undefined
  if (spec.strayAdd ?? true) {
    const file = join(store.root, `stray-${spec.variant ?? 'v1'}.txt`)
    await writeFile(file, `not part of any build ${Math.random()}\n`)
    const added = await job.exec('nix-store', ['--add', file])
    if (added.code !== 0) throw new Error(`nix-store --add failed:\n${added.stderr}`)
    stray = added.stdout.trim()
  }
  await spec.beforePost?.()
  const post = await job.post()
  const pathsFile = post.outputs['paths-file']
  const pushed = pathsFile ? (await readFile(pathsFile, 'utf8')).split('\n').filter((l) => l !== '') : []
  return { store, job, main, mainEndedAt, post, paths: await graphPaths(nixFile, store), buildLog: build.stderr, pushed, stray }
}

/** The roles of a set of paths, sorted, so assertions read as the graph's vocabulary. */
export function rolesOf(paths: readonly string[], graph: GraphPaths): string[] {
  const byPath = new Map<string, Role>(ROLES.map((r) => [graph[r], r]))
  return paths.map((p) => byPath.get(p) ?? p).sort()
}

/**
 * A consumer: a fresh store whose only substituters are the given caches, building a variant
 * of the graph. Returns how many derivations it had to build itself.
 */
export async function consumerBuild(opts: {
  substituters: readonly string[]
  trustedKeys: readonly string[]
  variant: string
  extraConfig?: readonly string[]
}): Promise<{ built: number; log: string; store: TestStore }> {
  const store = await createTestStore({
    extraConfig: [
      `substituters = ${opts.substituters.join(' ')}`,
      `trusted-public-keys = ${opts.trustedKeys.join(' ')}`,
      'require-sigs = true',
      // The narinfo disk cache would remember misses across consumer stores sharing HOME.
      'narinfo-cache-negative-ttl = 0',
      ...(opts.extraConfig ?? [])
    ]
  })
  const nixFile = await writeGraph(store.root, opts.variant)
  const r = await store.run('nix-build', [nixFile, '-A', 'top', '--no-out-link'])
  if (r.code !== 0) throw new Error(`consumer build failed:\n${r.stderr}`)
  return { built: countBuilt(r.stderr), log: r.stderr, store }
}

/**
 * What a job whose installables name `top` pushes: the new build-time closure of top, minus the
 * upstream's paths and the path an earlier job already had.
 */
export const EXPECTED_PUSH: readonly Role[] = ['lib', 'multiDev', 'multiOut', 'src', 'tool', 'top']

/**
 * What a job without installables pushes from a store nothing was built in before: every
 * derivation it instantiated is a root (so `unrelated` is pushed), and `preexisting` is new.
 */
export const FIRST_PUSH: readonly string[] = [...EXPECTED_PUSH, 'preexisting', 'unrelated'].sort()

/**
 * EXPECTED_PUSH and `preexisting`, sorted: top's whole build-time closure minus the upstream's
 * paths, as a job pushes it when no earlier job built `preexisting` (or with push-pre-existing).
 */
export const PUSH_WITH_PREEXISTING: readonly string[] = [...EXPECTED_PUSH, 'preexisting'].sort()

/** Whether a built derivation is top's (`app`), the only one a new variant changes. */
export const isApp = (drv: string): boolean => drv.endsWith('-app.drv')

/** The `.drv` of top, as a user's `installables: .#top` would resolve it. */
export async function topInstallable(store: TestStore, variant = 'v1'): Promise<string> {
  const nixFile = await writeGraph(store.root, variant)
  const r = await store.runOk('nix-instantiate', [nixFile, '-A', 'top'])
  return r.stdout.trim()
}

export interface TopJobOptions {
  /** The job's store; a fresh one substituting from the world's upstream when not given. */
  store?: TestStore
  /** Inputs on top of the cache, our key and `installables: <top's .drv>`. */
  inputs?: Record<string, string>
  env?: NodeJS.ProcessEnv
  preexisting?: boolean
  strayAdd?: boolean
}

/** runGraphJob with installables naming top, as `installables: .#top` would; the caller cleans up `run.store`. */
export async function topJob(world: GraphWorld, cache: string, opts: TopJobOptions = {}): Promise<JobRun> {
  const store = opts.store ?? (await createTestStore({ extraConfig: world.upstream.nixConfig }))
  return runGraphJob({
    cache,
    keys: world.keys,
    upstream: world.upstream,
    store,
    env: opts.env,
    preexisting: opts.preexisting,
    strayAdd: opts.strayAdd,
    inputs: { installables: await topInstallable(store), ...opts.inputs }
  })
}
