/**
 * What the retention GC (src/gc/) needs of a binary cache beyond writing: listing it page by page,
 * reading small files, and deleting. Only caches we can list and that are ours to collect have
 * one: file:// and s3://.
 */

export interface ListedObject {
  /** Relative to the cache root, e.g. `<hash>.narinfo`, `nar/<filehash>.nar.zst`. */
  key: string
  size: number
  /** Last modification (a push's write or touch), ms since the epoch. */
  mtimeMs: number
}

export interface Removal {
  deleted: string[]
  /** Modified since the cutoff (a push relies on it): left in place. */
  fresh: string[]
  /** Gone already. */
  missing: string[]
}

/** At most this many keys per delete request (S3's DeleteObjects limit). */
export const DELETE_BATCH = 1000

export interface CollectableCache {
  readonly displayUrl: string
  /** Requests made so far (S3), or file system calls (file://), for the report and the bench. */
  readonly requests: number
  /** Every object the GC may read or delete, in pages; writers' temporary files are left out. */
  pages(): AsyncIterable<ListedObject[]>
  /** A small file's text; undefined when it is gone. */
  read(key: string): Promise<string | undefined>
  /**
   * Deletes `keys` (at most DELETE_BATCH), each only if it has not been modified since `cutoffMs`,
   * checked as late as the cache allows (docs/gc.md, "Pushes and a GC at the same time").
   */
  remove(keys: readonly string[], cutoffMs: number): Promise<Removal>
  /**
   * True when `remove` checks and deletes in one atomic step (file://: rename, then check).
   * Otherwise (S3: HeadObject, then DeleteObjects) a push's touch can fall between the two.
   */
  readonly removesAtomically?: boolean
  /** Called once a run will delete nothing more, done or stopped (S3: its heartbeat says so). Never throws. */
  finish?(): Promise<void>
  close?(): void
}

/** Another GC is deleting from this cache right now: this one deletes nothing (docs/gc.md, one GC at a time). */
export class AnotherGcDeleting extends Error {}
