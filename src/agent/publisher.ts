import type { BinaryCacheBackend } from '../executors/binary-cache/backend.js'
import { uploadPaths } from '../executors/binary-cache/upload.js'
import type { ServerSink } from '../executors/server-sink.js'
import { writeRecordPart, type RecordContext } from '../executors/binary-cache/job-record.js'
import type { Compression } from '../format/compression.js'
import type { SigningKey } from '../format/signing.js'
import type { StoreFollower } from '../nix/follow.js'
import type { StoreLocation } from '../nix/store-location.js'
import { planIO } from '../plan/io.js'
import { CertainSession, heldByHash, planStage } from '../plan/planner.js'
import type { SelectionPolicy } from '../plan/selection.js'
import { log } from '../runtime/host.js'
import type { Pushed } from '../plan/result.js'
import { recordPublished, recordStaged } from './protocol.js'
import type { NarFile } from '../executors/binary-cache/nar-writer.js'
import { queryPathInfos } from '../nix/query-path-info.js'
import type { InstallableRoots } from './roots.js'

/** Where the agent publishes: a binary-cache writer, and what else already serves paths. */
export interface Destination {
  backend: BinaryCacheBackend
  /** Paths served without us (the restored GitHub Actions cache); asked as well as `backend`. */
  alsoServing?: BinaryCacheBackend
  compression: Compression
}

/** A cache server with its own API (Attic, Cachix, niks3): its upload publishes, as a narinfo does. */
export interface ServerDestination {
  server: ServerSink
  /** Where NARs are compressed before they go up (Cachix, niks3). */
  spoolDir: string
}

export interface PublisherOptions {
  policy: SelectionPolicy
  signer?: SigningKey
  store: StoreLocation
  dest: Destination | ServerDestination
  /** `published.jsonl` (protocol.ts). */
  recordFile: string
  /** `staged.jsonl` (protocol.ts). */
  stagedFile: string
  /** With `installables`: only their build closure is published (else the new derivations'). */
  roots?: InstallableRoots
  /** The job's record in the cache (format/job-record.ts), kept current round by round; none for caches the GC does not collect. */
  jobRecord?: RecordContext
}

/**
 * One upload at a time: the build comes first, and each upload in flight holds its stream buffers
 * and compressor (two at once raised the agent's peak RSS by about 10 MB for no gain in latency).
 */
const AGENT_PARALLELISM = 1

/**
 * The agent's work, one round at a time: read what the store did, ask the planner's certain
 * session what may go up now, and hand that to the same uploader the post step uses.
 */
export class Publisher {
  private readonly session: CertainSession
  published = 0
  /** Every new path seen, in order. */
  private readonly newPaths: string[] = []
  /** Paths considered for staging (each once: what fails is left to the post step). */
  private readonly tried = new Set<string>()
  /** NARs this agent wrote itself. */
  private readonly staged: NarFile[] = []
  private parts = 0
  private recordWarned = false

  constructor(
    private readonly follower: StoreFollower,
    private readonly opts: PublisherOptions
  ) {
    const { store, dest } = opts
    this.session = new CertainSession(
      planIO(
        store.storeDir,
        heldByHash(async (hashes) => {
          if ('server' in dest) return dest.server.existing(hashes)
          const found = await dest.backend.existing(hashes)
          if (dest.alsoServing) for (const h of await dest.alsoServing.existing(hashes)) found.add(h)
          return found
        })
      ),
      opts.policy
    )
  }

  /** One round; returns how many paths were published. Throws only on trouble with the store or the cache. */
  async round(): Promise<number> {
    const fresh = await this.follower.poll()
    this.session.add(fresh)
    this.newPaths.push(...fresh)
    const { roots } = this.opts
    const current = roots ? await roots.current(fresh) : undefined
    if (current?.changed) this.session.reconsider()
    // Idle rounds (nothing new, every installable resolved) cost one poll of the store.
    if (!this.session.due && (!current || current.complete)) return 0
    const closure = current ? await this.follower.closureOf(current.roots) : await this.follower.closure()
    const published = this.session.due ? await this.publish(closure) : 0
    // Installables not resolved (yet, or at all): their NARs go up ahead, without narinfos.
    if (current && !current.complete) await this.stage(closure)
    return published
  }

  private async publish(closure: ReadonlySet<string>): Promise<number> {
    const { dest, store, recordFile, roots } = this.opts
    const publish = await this.session.next(closure)
    if (publish.length === 0) return 0
    // An installable whose flake changed since it was evaluated may now mean other derivations.
    if (roots && !(await roots.confirm())) {
      this.session.reconsider()
      return 0
    }

    const onPushed = (p: Pushed): void => recordPublished(recordFile, p)
    const outcome =
      'server' in dest
        ? await dest.server.upload(publish, { parallelism: AGENT_PARALLELISM, realStoreDir: store.realStoreDir, spoolDir: dest.spoolDir, onPushed })
        : await uploadPaths(publish, {
            backend: dest.backend,
            signer: this.opts.signer,
            compression: dest.compression,
            parallelism: AGENT_PARALLELISM,
            realStoreDir: store.realStoreDir,
            written: this.staged,
            onPushed
          })
    // A refused token refuses every later upload too: the agent stops, and the post step says why.
    if (outcome.stoppedBy !== undefined) throw new Error(outcome.stoppedBy)
    this.session.settle(outcome)
    // Left to the post step, which tries again and reports; referrers wait for it too.
    for (const f of outcome.failed) log.warning(`${f.path} could not be published during the build (${f.reason}); the post step tries again.`)
    this.published += outcome.pushed.length
    if (outcome.pushed.length > 0) await this.record(outcome.pushed.map((p) => p.path))
    return outcome.pushed.length
  }

  /**
   * Uploads the NARs of new paths in the build closure of the derivations instantiated so far
   * (never a stray `nix-store --add`: whoever reads the cache can read its NARs) that the policy
   * would push, without narinfos: invisible to Nix, verified before they get their name. The post
   * step writes narinfos for the selected ones only, naming these NARs (`staged.jsonl`).
   * `certain`: the resolved installables' closure, published with narinfos instead.
   */
  private async stage(certain: ReadonlySet<string>): Promise<void> {
    const { dest, store, policy } = this.opts
    // A server's upload publishes: there is no NAR-only stage there; its paths wait for their
    // installables to resolve, or for the post step.
    if ('server' in dest) return
    const everything = await this.follower.closure()
    const candidates = this.newPaths
      .filter((p) => everything.has(p) && !certain.has(p) && !this.tried.has(p))
      .filter((p) => policy.includeDerivations || !p.endsWith('.drv'))
      .slice(0, STAGE_PER_ROUND)
    if (candidates.length === 0) return
    const infos = await queryPathInfos(candidates, store.storeDir)
    for (const p of candidates) if (infos.has(p)) this.tried.add(p)
    const stage = planStage(candidates, everything, infos, policy)
    if (stage.length === 0) return
    const outcome = await uploadPaths(stage, {
      backend: dest.backend,
      compression: dest.compression,
      parallelism: AGENT_PARALLELISM,
      realStoreDir: store.realStoreDir,
      narsOnly: true,
      written: this.staged,
      onNarWritten: (nar) => {
        this.staged.push(nar)
        recordStaged(this.opts.stagedFile, nar)
      }
    })
    if (outcome.pushed.length > 0) log.info(`Uploaded ${outcome.pushed.length} NAR(s) ahead, without narinfos (installables not resolved yet).`)
  }

  /**
   * One record part per round that published, after its narinfos: a job cancelled before its post
   * step still counts for what it pushed. Trouble costs only the record (one warning): the post
   * step writes the whole record again.
   */
  private async record(pushed: string[]): Promise<void> {
    const ctx = this.opts.jobRecord
    const { dest } = this.opts
    if (!ctx || 'server' in dest) return
    try {
      await writeRecordPart(dest.backend, ctx, `agent-${process.pid}-${++this.parts}`, { pushed, used: [] })
    } catch (e) {
      if (!this.recordWarned) log.warning(`Could not write the job record to ${dest.backend.displayUrl}: ${e instanceof Error ? e.message : String(e)}; the post step tries again.`)
      this.recordWarned = true
    }
  }
}

/** Paths staged per round at most, so that a round stays short and publishing is not held up. */
const STAGE_PER_ROUND = 256
