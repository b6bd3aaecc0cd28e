// CI jobs using `cache: github-actions`, each on a fresh VM: a fresh chroot store and an empty
// RUNNER_TEMP at the same path every time (hosted runners have the same paths on every job, and
// the cache's entry versions depend on them).
import { afterAll, beforeAll } from '@jest/globals'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Upstream } from './graph.js'
import { startGhaCacheServer, type CacheEntry, type GhaCacheServer, type LoggedRequest, type TokenScope } from './gha-cache-server.js'
import { builtDerivations, removeTree } from './nix-store.js'
import { runProcess } from './proc.js'
import { warningLines } from './runner.js'
import { runGraphJob, type GraphWorld, type JobRun, type SigningKeys } from './scenario.js'

/** The action's default `key-prefix`: the start of every entry key a job saves without one. */
export const PREFIX = 'nix-buildtime-cache'

export interface GhaRun extends JobRun {
  /** Cache entries the job created (finalized uploads). */
  created: LoggedRequest[]
  /** Every request the job made to the cache service. */
  requests: LoggedRequest[]
  /** The derivations the job's build step built itself. */
  built: string[]
  /** Warnings of the main and post steps. */
  warnings: string[]
}

export interface GhaJobSpec {
  variant: string
  /** Inputs on top of `cache: github-actions` without a secret key. */
  inputs?: Record<string, string>
  env?: NodeJS.ProcessEnv
  scope?: TokenScope
  /** An event payload for GITHUB_EVENT_PATH. */
  event?: { name: string; payload: unknown }
}

export interface GhaJobs {
  run(spec: GhaJobSpec): Promise<GhaRun>
  /** Every job run so far. */
  readonly runs: GhaRun[]
}

/**
 * `restore: 'eager'` turns the background agent off (`push-during-build: false`), so the main step
 * restores every layer before the build, as without an agent; the default serves the cache on
 * demand through the agent.
 */
export function ghaJobs(opts: { dir: string; server: GhaCacheServer; upstream: Upstream; keys: SigningKeys; restore?: 'eager' | 'on-demand' }): GhaJobs {
  const runnerTemp = join(opts.dir, 'runner-temp')
  const runs: GhaRun[] = []
  return {
    runs,
    async run(spec) {
      await removeTree(runnerTemp)
      await mkdir(runnerTemp, { recursive: true })
      const env: NodeJS.ProcessEnv = { RUNNER_TEMP: runnerTemp, ...opts.server.env(spec.scope), ...spec.env }
      if (spec.event) {
        const eventFile = join(opts.dir, `event-${runs.length}.json`)
        await writeFile(eventFile, JSON.stringify(spec.event.payload))
        Object.assign(env, { GITHUB_EVENT_NAME: spec.event.name, GITHUB_EVENT_PATH: eventFile })
      }
      const since = opts.server.requests.length
      const run = await runGraphJob({
        cache: 'github-actions',
        keys: opts.keys,
        upstream: opts.upstream,
        variant: spec.variant,
        preexisting: false,
        inputs: { 'secret-key': '', ...(opts.restore === 'eager' ? { 'push-during-build': 'false' } : {}), ...spec.inputs },
        env
      })
      const result: GhaRun = {
        ...run,
        created: opts.server.createdSince(since),
        requests: opts.server.requests.slice(since),
        built: builtDerivations(run.buildLog),
        warnings: [...warningLines(run.main.stdout), ...warningLines(run.post.stdout)]
      }
      runs.push(result)
      await run.store.cleanup()
      return result
    }
  }
}

export interface GhaCache {
  readonly server: GhaCacheServer
  readonly jobs: GhaJobs
}

/**
 * A test file's stand-in cache service, started before its first test and stopped after its last,
 * and the jobs that use it. Call it after useGraphWorld (its hooks need the world); like the
 * world, it can be read in hooks and tests only.
 */
export function useGhaCache(world: GraphWorld, opts: { restore?: 'eager' | 'on-demand' } = {}): GhaCache {
  let current: GhaCache | undefined
  beforeAll(async () => {
    const server = await startGhaCacheServer()
    current = { server, jobs: ghaJobs({ dir: world.dir, upstream: world.upstream, keys: world.keys, server, restore: opts.restore }) }
  })
  afterAll(async () => {
    await current?.server.stop()
  })
  const get = (): GhaCache => {
    if (!current) throw new Error('useGhaCache: the cache service starts in beforeAll; read it in hooks and tests only')
    return current
  }
  return {
    get server() {
      return get().server
    },
    get jobs() {
      return get().jobs
    }
  }
}

/** The file an entry's archive holds at a path ending in `suffix` (e.g. manifest.json). */
export async function entryFile(entry: CacheEntry, suffix: string): Promise<string> {
  const r = await runProcess('/bin/sh', ['-c', `zstd -dc | tar -xOP --wildcards '*${suffix}'`], {
    env: { PATH: '/usr/bin:/bin' },
    input: entry.data
  })
  if (r.code !== 0) throw new Error(`cannot read ${suffix} from ${entry.key}: ${r.stderr}`)
  return r.stdout
}

/** The names in an entry's archive. */
export async function entryListing(entry: CacheEntry): Promise<string[]> {
  const r = await runProcess('/bin/sh', ['-c', 'zstd -dc | tar -t'], { env: { PATH: '/usr/bin:/bin' }, input: entry.data })
  if (r.code !== 0) throw new Error(`cannot list ${entry.key}: ${r.stderr}`)
  return r.stdout.split('\n').filter((l) => l !== '')
}

export interface ManifestView {
  key: string
  layers: Array<{ key: string; slot: number; pathCount: number; narBytes: number; paths: Record<string, number> }>
}

/** The newest manifest entry under a key prefix, parsed. */
export async function newestManifest(server: GhaCacheServer, prefix: string, scope = 'refs/heads/main'): Promise<ManifestView> {
  const entries = server.entries().filter((e) => e.key.startsWith(`${prefix}-manifest-`) && e.scope === scope)
  const entry = entries.sort((a, b) => a.createdAt - b.createdAt || a.id - b.id).at(-1)
  if (!entry) throw new Error(`no manifest under ${prefix}`)
  const parsed = JSON.parse(await entryFile(entry, 'manifest.json')) as Omit<ManifestView, 'key'>
  return { key: entry.key, layers: parsed.layers }
}
