import type { BinaryCacheBackend } from '../executors/binary-cache/backend.js'
import { uploadPaths } from '../executors/binary-cache/upload.js'
import { writeRecordPart, type RecordContext } from '../executors/binary-cache/job-record.js'
import type { Compression } from '../format/compression.js'
import type { SigningKey } from '../format/signing.js'
import type { StoreFollower } from '../nix/follow.js'
import type { StoreLocation } from '../nix/store-location.js'
import { planIO } from '../plan/io.js'
import { CertainSession, heldByHash } from '../plan/planner.js'
import type { SelectionPolicy } from '../plan/selection.js'
import { log } from '../runtime/host.js'
import { recordPublished } from './protocol.js'

/** Where the agent publishes: a binary-cache writer, and what else already serves paths. */
export interface Destination {
  backend: BinaryCacheBackend
  /** Paths served without us (the restored GitHub Actions cache); asked as well as `backend`. */
  alsoServing?: BinaryCacheBackend
  compression: Compression
}

export interface PublisherOptions {
  policy: SelectionPolicy
  signer?: SigningKey
  store: StoreLocation
  dest: Destination
  /** `published.jsonl` (protocol.ts). */
  recordFile: string
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
    this.session.add(await this.follower.poll())
    if (!this.session.due) return 0
    const publish = await this.session.next(await this.follower.closure())
    if (publish.length === 0) return 0

    const { dest, store, recordFile } = this.opts
    const outcome = await uploadPaths(publish, {
      backend: dest.backend,
      signer: this.opts.signer,
      compression: dest.compression,
      parallelism: AGENT_PARALLELISM,
      realStoreDir: store.realStoreDir,
      onPushed: (p) => recordPublished(recordFile, p)
    })
    this.session.settle(outcome)
    // Left to the post step, which tries again and reports; referrers wait for it too.
    for (const f of outcome.failed) log.warning(`${f.path} could not be published during the build (${f.reason}); the post step tries again.`)
    this.published += outcome.pushed.length
    if (outcome.pushed.length > 0) await this.record(outcome.pushed.map((p) => p.path))
    return outcome.pushed.length
  }

  /**
   * One record part per round that published, after its narinfos: a job cancelled before its post
   * step still counts for what it pushed. Trouble costs only the record (one warning): the post
   * step writes the whole record again.
   */
  private async record(pushed: string[]): Promise<void> {
    const ctx = this.opts.jobRecord
    if (!ctx) return
    try {
      await writeRecordPart(this.opts.dest.backend, ctx, `agent-${process.pid}-${++this.parts}`, { pushed, used: [] })
    } catch (e) {
      if (!this.recordWarned) log.warning(`Could not write the job record to ${this.opts.dest.backend.displayUrl}: ${e instanceof Error ? e.message : String(e)}; the post step tries again.`)
      this.recordWarned = true
    }
  }
}
