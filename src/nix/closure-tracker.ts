import { isDerivation } from './closure.js'

/** What the store records about one valid path, as far as the build closure needs it. */
export interface GraphNode {
  references: readonly string[]
  /** For a derivation: its declared output paths, and whether each is valid now. */
  outputs: ReadonlyArray<{ path: string; valid: boolean }>
}

/** Describes valid paths; paths it does not know (not valid) are left out of the answer. */
export type DescribeNodes = (paths: readonly string[]) => Promise<Map<string, GraphNode>>

/**
 * The build closure of the derivations instantiated during the job, kept up to date as new valid
 * paths arrive: the same set `nix-store --query --requisites --include-outputs <new .drv>` gives,
 * without re-walking what is already known. Each valid path is described once (its references
 * and a derivation's outputs never change), so following a build costs one lookup per path.
 */
export class BuildClosureTracker {
  readonly members = new Set<string>()
  /** Outputs of member derivations that were not valid yet; they join when they appear. */
  private readonly awaited = new Set<string>()

  /**
   * `automatic`: every new derivation is a root (the job's automatic roots). Otherwise only the
   * roots given to `addRoots` are (the `installables`), and a new path joins only as one of their
   * awaited outputs.
   */
  constructor(
    private readonly describe: DescribeNodes,
    private readonly automatic = true
  ) {}

  /** Takes one batch of newly valid paths; returns how many paths joined the closure. */
  async add(newValid: readonly string[]): Promise<number> {
    return this.walk(newValid.filter((p) => (this.automatic && isDerivation(p)) || this.awaited.has(p)))
  }

  /** Valid roots (derivations or other paths, new or not) whose build closure joins. */
  async addRoots(roots: readonly string[]): Promise<number> {
    return this.walk(roots)
  }

  private async walk(start: readonly string[]): Promise<number> {
    const before = this.members.size
    let queue = [...start]
    while (queue.length > 0) {
      const todo = [...new Set(queue.filter((p) => !this.members.has(p)))]
      queue = []
      if (todo.length === 0) break
      const nodes = await this.describe(todo)
      for (const path of todo) {
        const node = nodes.get(path)
        // Not valid (garbage-collected between the poll and now): it cannot be pushed either.
        if (!node) continue
        this.members.add(path)
        this.awaited.delete(path)
        for (const r of node.references) if (!this.members.has(r)) queue.push(r)
        for (const o of node.outputs) {
          if (this.members.has(o.path)) continue
          if (o.valid) queue.push(o.path)
          else this.awaited.add(o.path)
        }
      }
    }
    return this.members.size - before
  }
}
