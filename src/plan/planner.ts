import type { PathInfo } from '../format/path-info.js'
import { hashPart } from '../format/store-path.js'
import { certainToPublish, type CertainPlan } from './certain.js'
import type { JobFacts } from './facts.js'
import type { Pushed, UploadOutcome } from './result.js'
import { completeClosure, selectPaths, signedUpstream, withoutCached, type Selection, type SelectionPolicy } from './selection.js'

/**
 * The planner: what to push, decided in one place for every executor and every run (the post
 * step, the GitHub Actions save, the background agent). One lookup driver asks the store and the
 * destination what the pure policies need to know; two policies read its answers:
 * - final (`planFinal`): the post step's whole plan, closure completion included;
 * - certain (`CertainSession`): what the agent may publish while the build runs.
 * Everything here is pure except the two injected questions, so it is tested on plain data.
 */

/** Asks the store about `paths`; a path absent from the answer is not valid (nobody can serve it). */
export type Describe = (paths: readonly string[]) => Promise<ReadonlyMap<string, PathInfo>>
/** Asks the destination which of `paths` it already serves. */
export type Held = (paths: readonly string[]) => Promise<ReadonlySet<string>>

export interface PlanIO {
  describe: Describe
  held: Held
}

/** `held` over a destination that answers by hash part (a binary cache's narinfo names). */
export function heldByHash(existing: (hashes: readonly string[]) => Promise<ReadonlySet<string>>): Held {
  return async (paths) => {
    const found = await existing(paths.map(hashPart))
    return new Set(paths.filter((p) => found.has(hashPart(p))))
  }
}

/**
 * The lookup driver: what the store and the destination have answered so far. It only grows, so
 * the policies can be run again on it until they need nothing more; no question is asked twice of
 * the destination.
 */
class Lookups {
  readonly infos: Map<string, PathInfo>
  /** Paths described that the store does not hold. */
  readonly missing = new Set<string>()
  /** The destination's answers. */
  readonly held = new Map<string, boolean>()

  constructor(
    private readonly io: PlanIO,
    known: ReadonlyMap<string, PathInfo> = new Map()
  ) {
    this.infos = new Map(known)
  }

  async describe(paths: readonly string[]): Promise<void> {
    if (paths.length === 0) return
    const found = await this.io.describe(paths)
    for (const p of paths) {
      const info = found.get(p)
      if (info) this.infos.set(p, info)
      else this.missing.add(p)
    }
  }

  /** Asks the destination about the paths it was not asked about yet. */
  async ask(paths: readonly string[]): Promise<void> {
    const unasked = paths.filter((p) => !this.held.has(p))
    if (unasked.length === 0) return
    const found = await this.io.held(unasked)
    for (const p of unasked) this.held.set(p, found.has(p))
  }

  isHeld(path: string): boolean {
    return this.held.get(path) === true
  }
}

/** The post step's plan: what to push, and why everything else is not. */
export interface PushPlan {
  /** `push` is what is left to upload: the selection's order, then what the completion added. */
  selection: Selection
  /**
   * What this job published during the build (the agent's records): never uploaded again nor
   * counted as already cached; the report counts these as pushed.
   */
  published: readonly Pushed[]
  /** Referenced paths nobody will serve, each with a referrer (why `unserved-reference` paths were withheld). */
  unserved: ReadonlyArray<{ path: string; referrer: string }>
  /** Infos of every path described: the job's facts and the references looked up for completion. */
  infos: ReadonlyMap<string, PathInfo>
}

export interface FinalInput {
  facts: JobFacts
  policy: SelectionPolicy
  /** What this job already published (the agent's records). */
  published: readonly Pushed[]
}

/** The selection policy applied to what the job did. */
export function selectFinal(facts: JobFacts, policy: SelectionPolicy): Selection {
  return selectPaths({
    newPaths: facts.newPaths,
    closure: facts.closure,
    signatures: new Map([...facts.infos].map(([p, i]) => [p, i.signatures])),
    policy
  })
}

/**
 * `selected` without what this job published, as it stands: for the modes that ask nobody
 * (`nix copy`, which copies closures itself; pull-only; nothing selected).
 */
export function planAsSelected(selected: Selection, published: readonly Pushed[], infos: ReadonlyMap<string, PathInfo>): PushPlan {
  const ours = new Set(published.map((p) => p.path))
  return { selection: { ...selected, push: selected.push.filter((p) => !ours.has(p)) }, published, unserved: [], infos }
}

/**
 * The final plan: `selected` minus what the destination holds, completed so that everything it
 * publishes can be substituted whole (see `completeClosure`), asking the store and the destination
 * round by round until it needs to know nothing more.
 */
export async function planFinal(selected: Selection, input: FinalInput, io: PlanIO): Promise<PushPlan> {
  const lookups = new Lookups(io, input.facts.infos)
  const published = new Set(input.published.map((p) => p.path))
  // What this job published serves its referrers as what the destination holds does; it is
  // neither asked about nor uploaded again, and the plan reports it on its own (`published`).
  for (const p of published) lookups.held.set(p, true)
  let selection: Selection = { ...selected, push: selected.push.filter((p) => !published.has(p)) }
  await lookups.ask(selection.push)
  selection = withoutCached(selection, new Set(selection.push.filter((p) => lookups.isHeld(p))))
  for (;;) {
    const c = completeClosure(selection, { infos: lookups.infos, missing: lookups.missing, cached: lookups.held }, input.policy)
    if (c.lookups.infos.length > 0) await lookups.describe(c.lookups.infos)
    else if (c.lookups.cache.length > 0) await lookups.ask(c.lookups.cache)
    else return { selection: c.selection, published: input.published, unserved: c.unserved, infos: lookups.infos }
  }
}

/** The infos of the paths a plan pushes, in its order. */
export function infosToPush(plan: Pick<PushPlan, 'selection' | 'infos'>): PathInfo[] {
  return plan.selection.push.map((p) => plan.infos.get(p)).filter((i): i is PathInfo => i !== undefined)
}

/**
 * The agent's session over the certain policy (attic's PushSession over its Pusher): it keeps
 * what the agent learns as the build goes on, and each round says what may be published now
 * (`certainToPublish`). The agent feeds it new paths and what became of each publication.
 */
/**
 * What the agent may upload ahead of its narinfos while installables are unresolved: the
 * candidates the policy would push as new paths of the build closure known so far. Only their
 * NARs go up; the final plan decides which get narinfos.
 */
export function planStage(candidates: readonly string[], closure: ReadonlySet<string>, infos: ReadonlyMap<string, PathInfo>, policy: SelectionPolicy): PathInfo[] {
  const selected = new Set(
    selectPaths({
      newPaths: [...candidates],
      closure,
      signatures: new Map([...infos].map(([p, i]) => [p, i.signatures])),
      policy: { ...policy, includePreExisting: false }
    }).push
  )
  return [...infos.values()].filter((i) => selected.has(i.path))
}

export class CertainSession {
  private readonly newPaths: string[] = []
  private readonly lookups: Lookups
  /** Served by someone: found at the destination, signed upstream, or published by the session. */
  private readonly available = new Set<string>()
  /** Publications that failed or vanished: left to the post step, and so are their referrers. */
  private readonly givenUp = new Set<string>()
  /** References from before the job already asked about. */
  private readonly lookedUp = new Set<string>()
  private dirty = false

  constructor(
    io: PlanIO,
    private readonly policy: SelectionPolicy
  ) {
    this.lookups = new Lookups(io)
  }

  /** New valid paths the store follower saw. */
  add(fresh: readonly string[]): void {
    if (fresh.length === 0) return
    this.newPaths.push(...fresh)
    this.dirty = true
  }

  /** The closure changed without new paths (roots added or dropped): plan again next round. */
  reconsider(): void {
    this.dirty = true
  }

  /** Whether anything happened since the last round that may let a path go. */
  get due(): boolean {
    return this.dirty
  }

  /** One round over the build closure known now: the infos to publish, references before referrers. */
  async next(closure: ReadonlySet<string>): Promise<PathInfo[]> {
    this.dirty = false
    const { infos } = this.lookups
    // Described again next round when the store did not answer for one: it may not be registered yet.
    const undescribed = this.newPaths.filter((p) => closure.has(p) && !infos.has(p) && (!p.endsWith('.drv') || this.policy.includeDerivations))
    await this.lookups.describe(undescribed)

    // The infos do not change within a round; only what is known to be served does.
    const references = new Map([...infos].map(([p, i]) => [p, i.references]))
    const signatures = new Map([...infos].map(([p, i]) => [p, i.signatures]))
    const plan = (): CertainPlan =>
      certainToPublish({
        newPaths: this.newPaths,
        closure,
        references,
        signatures,
        policy: this.policy,
        available: this.available,
        givenUp: this.givenUp,
        lookedUp: this.lookedUp
      })
    let next = plan()
    if (next.lookups.length > 0) {
      // References from before the job: served if an upstream signed them or the destination has them.
      await this.lookups.describe(next.lookups)
      const upstream = (p: string): boolean => signedUpstream(infos.get(p)?.signatures ?? [], this.policy.skipSignedBy)
      await this.lookups.ask(next.lookups.filter((p) => !upstream(p)))
      for (const p of next.lookups) {
        this.lookedUp.add(p)
        if (upstream(p) || this.lookups.isHeld(p)) this.available.add(p)
      }
      next = plan()
    }
    const unchecked = [...next.publish, ...next.waiting].filter((p) => !this.lookups.held.has(p))
    if (unchecked.length > 0) {
      await this.lookups.ask(unchecked)
      for (const p of unchecked) if (this.lookups.isHeld(p)) this.available.add(p)
      next = plan()
    }
    return next.publish.map((p) => infos.get(p)).filter((i): i is PathInfo => i !== undefined)
  }

  /** What became of a round's publications. */
  settle(outcome: UploadOutcome): void {
    for (const p of outcome.pushed) this.available.add(p.path)
    for (const f of outcome.failed) this.givenUp.add(f.path)
    for (const p of outcome.vanished) this.givenUp.add(p)
    // What went up may let waiting referrers go next round.
    this.dirty = outcome.pushed.length > 0
  }
}
