import { existsSync, writeFileSync } from 'node:fs'
import { FileBackend } from '../executors/binary-cache/file.js'
import { binaryCacheBackend, recordIdFor } from '../executors/index.js'
import { recordContext } from '../executors/binary-cache/job-record.js'
import { ghaLayout } from '../executors/gha/layout.js'
import { jobBudget, saveJobBudget } from '../runtime/budget.js'
import { policyOf } from '../plan/io.js'
import { log } from '../runtime/host.js'
import type { Inputs } from '../config/inputs.js'
import { reuseFrames } from '../format/frame-buffers.js'
import { loadSnapshot } from '../nix/snapshot.js'
import { limitFraming } from '../format/zstd-frames.js'
import { followStore } from '../nix/follow.js'
import { scriptWatcher } from './owner.js'
import { agentFiles } from '../runtime/job-dir.js'
import type { AgentConfig } from './protocol.js'
import { Publisher, type Destination, type ServerDestination } from './publisher.js'
import { serverSink } from '../executors/server-sink.js'
import { InstallableRoots } from './roots.js'
import { isNix23, nixVersion } from '../nix/version.js'

/** How often the agent looks at the store: well inside the 10 s publication target, and idle-cheap. */
const POLL_MS = 1000
/** Rounds in a row that may fail before the agent gives up and leaves everything to the post step. */
const MAX_FAILED_ROUNDS = 5

export interface AgentControl {
  stopRequested(): boolean
  pause(ms: number): Promise<void>
}

/** The writers for the destination the job chose (job/executor-choice.ts). */
async function destination(inputs: Inputs, config: AgentConfig): Promise<Destination | ServerDestination> {
  const chosen = config.destination
  if (chosen.role === 'publish-server') return { server: serverSink(chosen.cache, inputs.authToken, inputs.secretKey), spoolDir: config.tempDir }
  if (chosen.role === 'prepare') {
    // The post step packs the layer from these files; layers hold NARs uncompressed.
    const layout = ghaLayout(config.tempDir)
    return { backend: new FileBackend(layout.prepared), alsoServing: new FileBackend(layout.binaryCache), compression: 'none' }
  }
  const backend = await binaryCacheBackend(chosen.cache, { authHeader: inputs.authHeader, netrcFile: inputs.netrcFile })
  return { backend, compression: chosen.compression }
}

/** The job record the agent keeps current, for the caches the GC collects. */
function jobRecordOf(config: AgentConfig): ReturnType<typeof recordContext> | undefined {
  const chosen = config.destination
  if (chosen.role !== 'publish') return undefined
  const id = recordIdFor(chosen.cache, config.snapshotFile)
  return id === undefined ? undefined : recordContext(id)
}

/**
 * The agent publishes one NAR at a time at low priority, and must stay within 150 MB: one
 * compressor with one frame queued behind it, three spare frames, and a collection every 16 MiB
 * of NAR read (a full collection of its small heap takes a few milliseconds). With the step's
 * settings its peak was about 170 MiB, most of it output buffers already written and not yet
 * collected; on the agent bench's 1 GB build it now peaks at about 115 MiB, as fast
 * (docs/BENCHMARKS.md).
 * `gc` is there when the agent runs with --expose-gc, as control.ts starts it.
 */
function keepSmall(): void {
  limitFraming({ compressors: 1, queuedFrames: 2 })
  const gc = (globalThis as { gc?: () => void }).gc
  reuseFrames({ spares: 3, collect: gc ? { everyFrames: 4, run: gc } : undefined })
}

export async function runAgent(config: AgentConfig, inputs: Inputs, control: AgentControl): Promise<void> {
  keepSmall()
  const snapshot = await loadSnapshot(config.snapshotFile)
  const follower = await followStore(config.store, snapshot)
  const dest = await destination(inputs, config)
  const policy = policyOf(inputs)
  if ('server' in dest) {
    // Paths the server counts as upstream (Attic's upstream_cache_key_names) serve their referrers, as skip-signed-by's do.
    const upstream = await dest.server.prepare()
    policy.skipSignedBy = [...new Set([...policy.skipSignedBy, ...upstream])]
  } else await dest.backend.prepare(config.store.storeDir)
  const displayUrl = 'server' in dest ? dest.server.displayUrl : dest.backend.displayUrl
  log.info(`Following the store (${follower.method === 'db' ? 'Nix database' : 'store directory'}); publishing to ${displayUrl}.`)
  // The GitHub Actions layer is private to the job until the post step selects from it: the agent
  // prepares every new derivation's closure there, whatever the installables.
  const roots =
    inputs.installables.length > 0 && (config.destination.role === 'publish' || config.destination.role === 'publish-server')
      ? new InstallableRoots(inputs.installables, config.store.storeDir, { flakes: !isNix23(await nixVersion()) })
      : undefined
  const publisher = new Publisher(follower, {
    roots,
    policy,
    signer: inputs.secretKey,
    store: config.store,
    dest,
    recordFile: agentFiles(config.dir).published,
    stagedFile: agentFiles(config.dir).staged,
    jobRecord: jobRecordOf(config)
  })
  const scriptRunning = config.followsScript ? scriptWatcher(config.scriptAncestors) : () => true
  /** Ends the agent on its own, saying why in the log and to the post step. */
  const end = (why: string): void => {
    log.info(`Stopping: ${why}.`)
    writeFileSync(agentFiles(config.dir).ended, why)
  }
  let failures = 0
  const said = new Set<string>()
  try {
    while (!control.stopRequested()) {
      // A job directory that is gone (a self-hosted runner cleaning up) means the job is over.
      if (!existsSync(config.dir)) return
      // So does the end of the script that started the agent, where no runner ends the job's
      // processes: a `start` whose `push` never runs must not leave the agent publishing.
      if (!scriptRunning()) return end('the script that started it has ended')
      // A cache the job has given up on (the breaker is shared with the steps) is not tried again.
      const tripped = jobBudget().tripped
      if (tripped) return end(`the cache was given up on (${tripped})`)
      try {
        const n = await publisher.round()
        if (n > 0) log.info(`Published ${n} path(s) (${publisher.published} so far).`)
        failures = 0
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e)
        if (!said.has(message)) log.warning(`Publishing during the build failed: ${message}`)
        said.add(message)
        if (++failures >= MAX_FAILED_ROUNDS) return end('it gave up after repeated failures')
      }
      if (!control.stopRequested()) await control.pause(POLL_MS)
    }
  } finally {
    follower.close()
    // What the cache cost during the build counts against the job's bound, in the post step too.
    // Saved here as well as when the process ends (job/lifecycle.ts): on the GitHub Actions cache
    // the agent goes on serving its substituter, and the post step may kill it before it ends.
    saveJobBudget()
  }
}
