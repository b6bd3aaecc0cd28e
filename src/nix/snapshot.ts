import { readdir, readFile, writeFile, access, constants } from 'node:fs/promises'
import type { StoreLocation } from './store-location.js'
import { batches, lines, runNix } from './cli.js'

/**
 * How a snapshot was taken. `db` lists exactly the valid paths; `dir` lists the store directory,
 * which may hold invalid leftovers, so its new entries are validated afterwards.
 */
export type SnapshotMethod = 'db' | 'dir'

export interface Snapshot {
  method: SnapshotMethod
  /** Store path basenames (`<hash>-<name>`). */
  names: string[]
}

// A store path basename: 32 nix32 characters, a dash, a name.
const STORE_NAME = /^[0-9a-df-np-sv-z]{32}-[A-Za-z0-9+\-._?=]+$/
// Entries that look like store paths but never are valid ones.
const NOT_A_PATH = /\.(lock|chroot|check)$/

/**
 * Reads ValidPaths straight from SQLite: about 0.02 s for 100,000 paths, against seconds for
 * `nix path-info --all`. SQLite joins the names into one string, in the order of the unique
 * index on `path`, because 100,000 row objects cost three times as long and a lot of garbage;
 * the sorted order lets the post step diff by merging.
 */
async function readDb(dbPath: string, storeDir: string): Promise<string[] | undefined> {
  try {
    await access(dbPath, constants.R_OK)
    const { DatabaseSync } = await loadSqlite()
    const db = new DatabaseSync(dbPath, { readOnly: true })
    try {
      const row = db
        .prepare('SELECT group_concat(substr(path, ?), char(10)) AS names FROM (SELECT path FROM ValidPaths ORDER BY path)')
        .get(storeDir.length + 2) as { names: string | null } | undefined
      const names = row?.names ? row.names.split('\n') : []
      // Every valid path is in the store directory; if ours is not the database's, cut at the last slash instead.
      if (names.length > 0 && !STORE_NAME.test(names[0]!)) {
        const rows = db.prepare('SELECT path FROM ValidPaths ORDER BY path').all() as Array<{ path: string }>
        return rows.map((r) => r.path.slice(r.path.lastIndexOf('/') + 1))
      }
      return names
    } finally {
      db.close()
    }
  } catch {
    // Not readable (a multi-user store seen by an unprivileged user), or no node:sqlite.
    return undefined
  }
}

type SqliteModule = typeof import('node:sqlite')

let sqlite: Promise<SqliteModule> | undefined
export function loadSqlite(): Promise<SqliteModule> {
  // node:sqlite prints an ExperimentalWarning on load; it is noise in a CI log.
  sqlite ??= (async () => {
    const emit = process.emitWarning
    process.emitWarning = (() => undefined) as typeof process.emitWarning
    try {
      return await import('node:sqlite')
    } finally {
      process.emitWarning = emit
    }
  })()
  return sqlite
}

async function readStoreDir(realStoreDir: string): Promise<string[]> {
  let entries: string[]
  try {
    entries = await readdir(realStoreDir)
  } catch (e) {
    // A store that does not exist yet (a fresh chroot store) is empty, not an error.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw e
  }
  return entries.filter((n) => STORE_NAME.test(n) && !NOT_A_PATH.test(n))
}

export async function takeSnapshot(store: StoreLocation, method?: SnapshotMethod): Promise<Snapshot> {
  if (method !== 'dir') {
    const names = await readDb(store.dbPath, store.storeDir)
    if (names) return { method: 'db', names }
    if (method === 'db') throw new Error(`cannot read the Nix database at ${store.dbPath} any more`)
  }
  return { method: 'dir', names: await readStoreDir(store.realStoreDir) }
}

/**
 * The file ends with a marker holding the count, so that a file cut short (a full disk, a job
 * killed mid-write) is detected instead of being read as a smaller store, which would make every
 * path after the cut look new.
 */
const END = 'end '

export async function saveSnapshot(file: string, snap: Snapshot): Promise<void> {
  const body = snap.names.length > 0 ? `${snap.names.join('\n')}\n` : ''
  await writeFile(file, `${snap.method}\n${body}${END}${snap.names.length}\n`)
}

export async function loadSnapshot(file: string): Promise<Snapshot> {
  const [method, ...names] = lines(await readFile(file, 'utf8'))
  if (method !== 'db' && method !== 'dir') throw new Error(`${file} is not a snapshot`)
  const end = names.pop()
  if (end === undefined || end !== `${END}${names.length}`) {
    throw new Error(`the store snapshot ${file} is truncated (was the disk full when the main step ran?), so the job's new paths cannot be told apart`)
  }
  return { method, names }
}

/**
 * The names in `after` that are not in `before`, in `after`'s order. Database snapshots come
 * sorted, so they are merged in one pass (a third of the time of hashing 100,000 names into a
 * Set); directory listings are not, and go through a Set. Both are O(n).
 */
export function diffSnapshots(before: readonly string[], after: readonly string[]): string[] {
  if (!isSorted(before) || !isSorted(after)) {
    const seen = new Set(before)
    return after.filter((n) => !seen.has(n))
  }
  const added: string[] = []
  let i = 0
  for (const name of after) {
    while (i < before.length && before[i]! < name) i++
    if (i < before.length && before[i] === name) i++
    else added.push(name)
  }
  return added
}

/** Strictly ascending in JavaScript's order, which is SQLite's for ASCII store path names. */
function isSorted(names: readonly string[]): boolean {
  for (let i = 1; i < names.length; i++) if (!(names[i - 1]! < names[i]!)) return false
  return true
}

/** Keeps only the paths Nix considers valid; needed for `dir` snapshots. */
export async function validPaths(paths: readonly string[]): Promise<string[]> {
  const invalid = new Set<string>()
  for (const batch of batches(paths)) {
    const r = await runNix('nix-store', ['--check-validity', '--print-invalid', ...batch])
    for (const p of lines(r.stdout)) invalid.add(p)
  }
  return paths.filter((p) => !invalid.has(p))
}

export interface StoreChanges {
  /** Full store paths that became valid between the two snapshots. */
  newPaths: string[]
  /** How each snapshot was taken, for the log: `db → dir` when the database became unreadable. */
  methods: string
  /** How many paths the later snapshot saw. */
  total: number
}

/**
 * The paths that became valid since `before`, whichever way either snapshot could be taken. On a
 * multi-user install the database may be readable in the main step and not in the post step
 * (SQLite needs the `-shm` file of a WAL database, which only exists while someone has it open),
 * or the other way round, so each step takes the best snapshot it can: a database snapshot holds
 * only valid paths and a directory listing every valid path plus leftovers, so `dir − db` and
 * `dir − dir` are validated afterwards, and `db − dir` and `db − db` need no validation.
 */
export async function storeChanges(before: Snapshot, store: StoreLocation): Promise<StoreChanges> {
  const after = await takeSnapshot(store)
  let newPaths = diffSnapshots(before.names, after.names).map((n) => `${store.storeDir}/${n}`)
  // A directory listing can include invalid leftovers (failed builds, interrupted copies).
  if (after.method === 'dir') newPaths = await validPaths(newPaths)
  return { newPaths, methods: `${before.method} → ${after.method}`, total: after.names.length }
}
