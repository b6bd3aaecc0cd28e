import { classifyInstallable, validDeriver } from '../nix/closure.js'
import { flakeDerivations, flakeSource } from '../nix/flake.js'
import { validPaths } from '../nix/snapshot.js'
import { log } from '../runtime/host.js'

/**
 * The `installables` as the agent comes to know their roots while the job runs: the same roots
 * the post step resolves them to (nix/closure.ts `resolveRoots`), known early only where they
 * cannot change before the post step. The agent publishes only from the build closure of these,
 * so nothing outside the final selection is ever published.
 * - A `.drv` is its own root once it is valid.
 * - An output path is its valid deriver (or itself) once it is valid: Nix records the deriver when
 *   it registers the path, and never changes it.
 * - A flake output is evaluated in the background (the agent runs niced, and so do its Nix
 *   commands), never delaying a round. Flake evaluation is pure, so the same source gives the same
 *   derivations; the source's store path is checked again before each upload, and an installable
 *   whose source changed (a local flake the job edited, an unlocked reference that moved) is left
 *   to the post step from then on.
 * - Anything else (Nix 2.3 attribute paths, which read NIX_PATH) and any evaluation that fails is
 *   left to the post step.
 */

type Entry =
  | { item: string; kind: 'path'; root?: string }
  | { item: string; kind: 'flake'; state: 'evaluating' | 'failed' | 'dropped' }
  | { item: string; kind: 'flake'; state: 'ready'; source: string; roots: string[] }

export interface CurrentRoots {
  roots: string[]
  /** Whether roots were added or dropped since the last call. */
  changed: boolean
  /** Whether every installable is resolved: otherwise the agent stages NARs ahead (publisher.ts). */
  complete: boolean
}

export class InstallableRoots {
  private readonly entries: Entry[]
  private changed = false
  /** Whether the path installables were asked of Nix once already. */
  private asked = false
  /** The background evaluation of the flake installables, one after the other; never rejects. */
  private readonly evaluation: Promise<void>

  constructor(installables: readonly string[], storeDir: string, opts: { flakes: boolean }) {
    this.entries = installables.map((item): Entry => {
      if (classifyInstallable(item, storeDir) !== 'flake-ref') return { item, kind: 'path' }
      return { item, kind: 'flake', state: opts.flakes ? 'evaluating' : 'failed' }
    })
    const flakes = this.entries.filter((e) => e.kind === 'flake' && e.state === 'evaluating')
    this.evaluation = (async () => {
      for (const e of flakes) await this.evaluate(e)
    })()
  }

  private async evaluate(e: Entry): Promise<void> {
    const set = (next: Entry): void => {
      Object.assign(e, next)
      this.changed = true
    }
    try {
      const source = await flakeSource(e.item)
      const roots = await flakeDerivations(e.item)
      // Edited while it was evaluated: what it gave may be either version.
      if ((await flakeSource(e.item)) !== source) throw new Error('its source changed while it was evaluated')
      set({ item: e.item, kind: 'flake', state: 'ready', source, roots })
      log.info(`Evaluated '${e.item}': publishing its build closure during the build.`)
    } catch (err) {
      set({ item: e.item, kind: 'flake', state: 'failed' })
      const why = (err instanceof Error ? err.message : String(err)).split('\n')[0]
      log.info(`Could not evaluate '${e.item}' during the build (${why}); it is left to the post step.`)
    }
  }

  /**
   * Resolves the path installables that became valid; the roots known now. `fresh`: the paths
   * that became valid since the last call. A path installable is asked of Nix once; after that
   * it can only become valid by appearing among them.
   */
  async current(fresh: readonly string[]): Promise<CurrentRoots> {
    const pending = this.entries.filter((e): e is Extract<Entry, { kind: 'path' }> => e.kind === 'path' && e.root === undefined)
    if (pending.length > 0) {
      const valid = new Set(this.asked ? fresh : await validPaths(pending.map((e) => e.item)))
      this.asked = true
      for (const e of pending) {
        if (!valid.has(e.item)) continue
        e.root = e.item.endsWith('.drv') ? e.item : ((await validDeriver(e.item)) ?? e.item)
        this.changed = true
      }
    }
    const roots: string[] = []
    let complete = true
    for (const e of this.entries) {
      if ((e.kind === 'path' && e.root === undefined) || (e.kind === 'flake' && e.state !== 'ready')) complete = false
      if (e.kind === 'path' && e.root !== undefined) roots.push(e.root)
      if (e.kind === 'flake' && e.state === 'ready') roots.push(...e.roots)
    }
    const changed = this.changed
    this.changed = false
    return { roots, changed, complete }
  }

  /**
   * Checks, right before an upload, that each evaluated flake's source is still the one evaluated.
   * One that changed is dropped for good; false when any was (the round is planned again).
   */
  async confirm(): Promise<boolean> {
    let ok = true
    for (const e of this.entries) {
      if (e.kind !== 'flake' || e.state !== 'ready') continue
      const now = await flakeSource(e.item).catch(() => undefined)
      if (now === e.source) continue
      Object.assign(e, { state: 'dropped' })
      this.changed = true
      ok = false
      log.info(`The source of '${e.item}' changed since it was evaluated; it is left to the post step.`)
    }
    return ok
  }

  /** Waits for the background evaluation (tests; the agent does not wait for it to stop). */
  settled(): Promise<void> {
    return this.evaluation
  }
}
