import { stat } from 'node:fs/promises'
import type { DatabaseSync, StatementSync } from 'node:sqlite'
import { buildClosure, isDerivation } from './closure.js'
import type { StoreLocation } from './store-location.js'
import { loadSqlite, takeSnapshot, validPaths, type Snapshot } from './snapshot.js'
import { BuildClosureTracker, type GraphNode } from './closure-tracker.js'

/**
 * Follows the store while the job builds: which paths became valid since the main step's
 * snapshot, and the build closure of the derivations instantiated since. Two ways, as for the
 * snapshot: the database (cheap: one indexed query per poll) or, where it is unreadable, the
 * store directory with validity checks.
 */
export interface StoreFollower {
  readonly method: 'db' | 'dir'
  /** New valid paths since the previous poll (the first poll: since the snapshot). */
  poll(): Promise<string[]>
  /** The build closure of the new derivations seen so far; only ever grows. */
  closure(): Promise<ReadonlySet<string>>
  /**
   * The build closure of `roots` (valid paths: the resolved `installables`), as
   * `nix-store --query --requisites --include-outputs` gives it; grows as their outputs appear.
   */
  closureOf(roots: readonly string[]): Promise<ReadonlySet<string>>
  close(): void
}

export async function followStore(store: StoreLocation, snapshot: Snapshot): Promise<StoreFollower> {
  if (snapshot.method === 'db') {
    const db = await openDb(store.dbPath)
    if (db) return new DbFollower(db, snapshot)
  }
  return new DirFollower(store, snapshot)
}

/** Binary search in a database snapshot's names, which are sorted. */
function inSorted(names: readonly string[], name: string): boolean {
  let lo = 0
  let hi = names.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const v = names[mid]!
    if (v === name) return true
    if (v < name) lo = mid + 1
    else hi = mid - 1
  }
  return false
}

async function openDb(path: string): Promise<DatabaseSync | undefined> {
  try {
    const { DatabaseSync } = await loadSqlite()
    const db = new DatabaseSync(path, { readOnly: true })
    db.prepare('SELECT max(id) FROM ValidPaths').get()
    return db
  } catch {
    return undefined
  }
}

class DbFollower implements StoreFollower {
  readonly method = 'db'
  private lastId = 0
  private first = true
  private readonly rows: StatementSync
  private readonly idOf: StatementSync
  private readonly refs: StatementSync
  private readonly outs: StatementSync
  private readonly tracker: BuildClosureTracker
  /** One tracker per given root, so that a root dropped later takes only its own closure away. */
  private readonly rooted = new Map<string, BuildClosureTracker>()

  constructor(
    private readonly db: DatabaseSync,
    private readonly snapshot: Snapshot
  ) {
    // ValidPaths.id is the primary key: a poll reads only the rows added since the last one, so
    // an idle poll costs the same at 100 paths as at 100,000.
    this.rows = db.prepare('SELECT id, path FROM ValidPaths WHERE id > ? ORDER BY id')
    this.idOf = db.prepare('SELECT id FROM ValidPaths WHERE path = ?')
    this.refs = db.prepare('SELECT v.path AS path FROM Refs r JOIN ValidPaths v ON v.id = r.reference WHERE r.referrer = ?')
    this.outs = db.prepare(
      'SELECT d.path AS path, EXISTS (SELECT 1 FROM ValidPaths v WHERE v.path = d.path) AS valid FROM DerivationOutputs d WHERE d.drv = ?'
    )
    this.tracker = new BuildClosureTracker(async (paths) => this.describe(paths))
  }

  private describe(paths: readonly string[]): Map<string, GraphNode> {
    const out = new Map<string, GraphNode>()
    for (const path of paths) {
      const row = this.idOf.get(path) as { id: number } | undefined
      if (!row) continue
      const references = (this.refs.all(row.id) as Array<{ path: string }>).map((r) => r.path)
      const outputs = isDerivation(path)
        ? (this.outs.all(row.id) as Array<{ path: string; valid: number }>).map((o) => ({ path: o.path, valid: o.valid === 1 }))
        : []
      out.set(path, { references, outputs })
    }
    return out
  }

  async poll(): Promise<string[]> {
    let fresh: string[]
    if (this.first) {
      this.first = false
      fresh = this.sinceSnapshot()
    } else {
      const rows = this.rows.all(this.lastId) as Array<{ id: number; path: string }>
      if (rows.length === 0) return []
      this.lastId = rows[rows.length - 1]!.id
      fresh = rows.map((r) => r.path)
    }
    await this.tracker.add(fresh)
    for (const t of this.rooted.values()) await t.add(fresh)
    return fresh
  }

  /**
   * The rows added between the snapshot and now. Nix gives each new row a larger id than any row
   * before it, so they are the newest ids: read backwards a page at a time until a page reaches
   * a path the snapshot has. Usually that is the first page: the main step starts the agent right
   * after the snapshot, so the full table (100,000 rows, ~100 MB of row objects) is never read.
   */
  private sinceSnapshot(): string[] {
    const max = (this.db.prepare('SELECT max(id) AS m FROM ValidPaths').get() as { m: number | null }).m ?? 0
    this.lastId = max
    const page = this.db.prepare('SELECT id, path FROM ValidPaths WHERE id <= ? ORDER BY id DESC LIMIT 200')
    const fresh: string[] = []
    let below = max
    for (;;) {
      const rows = page.all(below) as Array<{ id: number; path: string }>
      for (const r of rows) {
        if (inSorted(this.snapshot.names, r.path.slice(r.path.lastIndexOf('/') + 1))) return fresh.reverse()
        fresh.push(r.path)
      }
      if (rows.length === 0) return fresh.reverse()
      below = rows[rows.length - 1]!.id - 1
    }
  }

  async closure(): Promise<ReadonlySet<string>> {
    return this.tracker.members
  }

  async closureOf(roots: readonly string[]): Promise<ReadonlySet<string>> {
    const union = new Set<string>()
    for (const root of roots) {
      let t = this.rooted.get(root)
      if (!t) {
        t = new BuildClosureTracker(async (paths) => this.describe(paths), false)
        await t.addRoots([root])
        this.rooted.set(root, t)
      }
      for (const p of t.members) union.add(p)
    }
    return union
  }

  close(): void {
    this.db.close()
  }
}

/**
 * Where the database is unreadable: the store directory, listed only when its modification time
 * changes, and entries checked for validity (an output's directory exists while it is being
 * built, before Nix registers it). The closure is asked of Nix whenever something new appeared.
 */
class DirFollower implements StoreFollower {
  readonly method = 'dir'
  private readonly known: Set<string>
  private readonly unconfirmed = new Set<string>()
  private readonly drvs: string[] = []
  private mtime = -1
  private current = new Set<string>()
  private stale = false
  private rootedKey = ''
  private rootedCurrent: ReadonlySet<string> = new Set()
  private rootedStale = false

  constructor(
    private readonly store: StoreLocation,
    snapshot: Snapshot
  ) {
    this.known = new Set(snapshot.names)
  }

  async poll(): Promise<string[]> {
    const m = (await stat(this.store.realStoreDir).catch(() => undefined))?.mtimeMs ?? -1
    if (m !== this.mtime) {
      this.mtime = m
      const now = await takeSnapshot(this.store, 'dir')
      for (const name of now.names.filter((n) => !this.known.has(n))) {
        this.known.add(name)
        this.unconfirmed.add(`${this.store.storeDir}/${name}`)
      }
    }
    if (this.unconfirmed.size === 0) return []
    const valid = await validPaths([...this.unconfirmed])
    for (const p of valid) {
      this.unconfirmed.delete(p)
      if (isDerivation(p)) this.drvs.push(p)
    }
    if (valid.length > 0) {
      this.stale = true
      this.rootedStale = true
    }
    return valid
  }

  async closure(): Promise<ReadonlySet<string>> {
    if (this.stale && this.drvs.length > 0) this.current = await buildClosure(this.drvs)
    this.stale = false
    return this.current
  }

  /** Asked of Nix again whenever something new appeared or the roots changed. */
  async closureOf(roots: readonly string[]): Promise<ReadonlySet<string>> {
    const key = [...roots].sort().join('\n')
    if (this.rootedStale || key !== this.rootedKey) {
      this.rootedCurrent = roots.length > 0 ? await buildClosure(roots) : new Set()
      this.rootedKey = key
      this.rootedStale = false
    }
    return this.rootedCurrent
  }

  close(): void {}
}
