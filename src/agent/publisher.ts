import { appendFileSync } from 'node:fs'
import type { BinaryCacheBackend } from '../executors/binary-cache/backend.js'
import { certainToPublish } from '../plan/certain.js'
import { signedUpstream } from '../plan/selection.js'
import { log } from '../runtime/host.js'
import type { Inputs } from '../config/inputs.js'
import { isDerivation } from '../nix/closure.js'
import type { PathInfo } from '../format/path-info.js'
import { queryPathInfos } from '../nix/query-path-info.js'
import type { StoreLocation } from '../nix/store-location.js'
import { hashPart } from '../format/store-path.js'
import { uploadPaths } from '../executors/binary-cache/upload.js'
import type { StoreFollower } from '../nix/follow.js'
import type { AgentRecord } from './protocol.js'

/** Where the agent publishes: a binary-cache writer, and what else already serves paths. */
export interface Destination {
  backend: BinaryCacheBackend
  /** Paths served without us (the restored GitHub Actions cache); asked as well as `backend`. */
  alsoServing?: BinaryCacheBackend
  compression: Inputs['compression']
}

/**
 * One upload at a time: the build comes first, and each upload in flight holds its stream buffers
 * and compressor (two at once raised the agent's peak RSS by about 10 MB for no gain in latency).
 */
const AGENT_PARALLELISM = 1

/**
 * The agent's work, one round at a time: read what the store did, ask the certain-set plan what
 * may go up now, and hand that to the same uploader the post step uses.
 */
export class Publisher {
  private readonly newPaths: string[] = []
  private readonly infos = new Map<string, PathInfo>()
  private readonly checked = new Set<string>()
  private readonly available = new Set<string>()
  private readonly givenUp = new Set<string>()
  private readonly lookedUp = new Set<string>()
  private dirty = false
  published = 0

  constructor(
    private readonly follower: StoreFollower,
    private readonly inputs: Inputs,
    private readonly store: StoreLocation,
    private readonly dest: Destination,
    private readonly recordFile: string
  ) {}

  /** One round; returns how many paths were published. Throws only on trouble with the store or the cache. */
  async round(): Promise<number> {
    const fresh = await this.follower.poll()
    if (fresh.length > 0) {
      this.newPaths.push(...fresh)
      this.dirty = true
    }
    if (!this.dirty) return 0
    this.dirty = false
    const closure = await this.follower.closure()
    const undescribed = this.newPaths.filter(
      (p) => closure.has(p) && !this.infos.has(p) && (!isDerivation(p) || this.inputs.includeDerivations)
    )
    if (undescribed.length > 0) for (const [p, i] of await queryPathInfos(undescribed, this.store.storeDir)) this.infos.set(p, i)

    // The infos do not change within a round; only what is known to be served does.
    const references = new Map([...this.infos].map(([p, i]) => [p, i.references]))
    const signatures = new Map([...this.infos].map(([p, i]) => [p, i.signatures]))
    const plan = (): ReturnType<typeof certainToPublish> =>
      certainToPublish({
        newPaths: this.newPaths,
        closure,
        references,
        signatures,
        policy: { includeDerivations: this.inputs.includeDerivations, skipSignedBy: this.inputs.skipSignedBy, exclude: this.inputs.exclude },
        available: this.available,
        givenUp: this.givenUp,
        lookedUp: this.lookedUp
      })
    let next = plan()
    if (next.lookups.length > 0) {
      // References from before the job: served if an upstream signed them or the cache has them.
      const infos = await queryPathInfos(next.lookups, this.store.storeDir)
      const upstream = (p: string): boolean => signedUpstream(infos.get(p)?.signatures ?? [], this.inputs.skipSignedBy)
      const unsigned = next.lookups.filter((p) => !upstream(p))
      const present = unsigned.length > 0 ? await this.existing(unsigned) : new Set<string>()
      for (const p of next.lookups) {
        this.lookedUp.add(p)
        if (upstream(p) || present.has(hashPart(p))) this.available.add(p)
      }
      next = plan()
    }
    const unchecked = [...next.publish, ...next.waiting].filter((p) => !this.checked.has(p))
    if (unchecked.length > 0) {
      const present = await this.existing(unchecked)
      for (const p of unchecked) {
        this.checked.add(p)
        if (present.has(hashPart(p))) this.available.add(p)
      }
      next = plan()
    }
    if (next.publish.length === 0) return 0

    const outcome = await uploadPaths(
      next.publish.map((p) => this.infos.get(p)).filter((i): i is PathInfo => i !== undefined),
      {
        backend: this.dest.backend,
        signer: this.inputs.secretKey,
        compression: this.dest.compression,
        parallelism: AGENT_PARALLELISM,
        realStoreDir: this.store.realStoreDir,
        // One line per path, written as soon as it is published: the post step may have to kill
        // the agent mid-batch, and must still count what it published.
        onPushed: (p) => {
          const record: AgentRecord = { path: p.path, narSize: p.narSize, fileSize: p.fileSize }
          appendFileSync(this.recordFile, `${JSON.stringify(record)}\n`)
        }
      }
    )
    for (const p of outcome.pushed) this.available.add(p.path)
    // Left to the post step, which tries again and reports; referrers wait for it too.
    for (const f of outcome.failed) {
      this.givenUp.add(f.path)
      log.warning(`${f.path} could not be published during the build (${f.reason}); the post step tries again.`)
    }
    for (const p of outcome.vanished) this.givenUp.add(p)
    // What went up may let waiting referrers go next round.
    this.dirty = outcome.pushed.length > 0
    this.published += outcome.pushed.length
    return outcome.pushed.length
  }

  private async existing(paths: readonly string[]): Promise<Set<string>> {
    const hashes = paths.map(hashPart)
    const found = await this.dest.backend.existing(hashes)
    if (this.dest.alsoServing) for (const h of await this.dest.alsoServing.existing(hashes)) found.add(h)
    return found
  }
}
