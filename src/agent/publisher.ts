import type { BinaryCacheBackend } from '../executors/binary-cache/backend.js'
import { uploadPaths } from '../executors/binary-cache/upload.js'
import type { Compression } from '../format/compression.js'
import type { SigningKey } from '../format/signing.js'
import type { StoreFollower } from '../nix/follow.js'
import type { StoreLocation } from '../nix/store-location.js'
import { planIO } from '../plan/io.js'
import { CertainSession, heldByHash } from '../plan/planner.js'
import type { SelectionPolicy } from '../plan/selection.js'
import { log } from '../runtime/host.js'
import { recordPublished } from './protocol.js'
import type { InstallableRoots } from './roots.js'

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
  /** With `installables`: only their build closure is published (else the new derivations'). */
  roots?: InstallableRoots
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
    const { dest, store, recordFile, roots } = this.opts
    const current = roots ? await roots.current() : undefined
    if (current?.changed) this.session.reconsider()
    if (!this.session.due) return 0
    const closure = current ? await this.follower.closureOf(current.roots) : await this.follower.closure()
    const publish = await this.session.next(closure)
    if (publish.length === 0) return 0
    // An installable whose flake changed since it was evaluated may now mean other derivations.
    if (roots && !(await roots.confirm())) {
      this.session.reconsider()
      return 0
    }

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
    return outcome.pushed.length
  }
}
