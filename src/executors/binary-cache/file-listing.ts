import { linkSync, lstatSync, opendirSync, readFileSync, renameSync, rmdirSync, unlinkSync, type Dir } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { basename, dirname, join } from 'node:path'
import { setImmediate as turn } from 'node:timers/promises'
import { RECORD_PREFIX } from '../../format/job-record.js'
import { fsErrorCode } from '../../runtime/fs-errors.js'
import type { CollectableCache, ListedObject, Removal } from './listing.js'

const PAGE = 1000

/**
 * A file:// cache as the GC sees it: the root's files, `nar/`, and the job records.
 *
 * Every file system call here is synchronous, on purpose. A GC makes about six calls per narinfo
 * (a listing `lstat`, a read, and a rename, `lstat` and unlink for what goes), each tiny. Through
 * libuv's thread pool each call is a hand-off to a worker thread and back, which cost more than the
 * call itself: reading 100,000 narinfos took 4.6 s (1.7 s user, 3.0 s system CPU) with 32
 * `fs.promises.readFile` in flight, and 0.7 s (0.2 s + 0.5 s) with `readFileSync` (docs/BENCHMARKS.md,
 * "The retention GC on a large cache"). The event loop gets a turn after every page and every batch,
 * so timers and signals are not held up for long.
 */
export class FileCollectable implements CollectableCache {
  requests = 0
  readonly removesAtomically = true

  constructor(readonly dir: string) {}

  get displayUrl(): string {
    return `file://${this.dir}`
  }

  async *pages(): AsyncIterable<ListedObject[]> {
    yield* this.listDir('')
    yield* this.listDir('nar/')
    const jobDirs: string[] = []
    const jobs = this.open(RECORD_PREFIX)
    if (jobs) {
      try {
        for (let e = jobs.readSync(); e !== null; e = jobs.readSync()) if (e.isDirectory()) jobDirs.push(e.name)
      } finally {
        jobs.closeSync()
      }
    }
    for (const job of jobDirs) yield* this.listDir(`${RECORD_PREFIX}${job}/`)
  }

  private open(prefix: string): Dir | undefined {
    try {
      return opendirSync(join(this.dir, prefix), { bufferSize: 256 })
    } catch (e) {
      if (fsErrorCode(e) === 'ENOENT') return undefined
      throw e
    }
  }

  /** The regular files of one directory, in pages; hidden files (writers' spool and temporary files) excluded. */
  private async *listDir(prefix: string): AsyncIterable<ListedObject[]> {
    const handle = this.open(prefix)
    if (!handle) return
    this.requests++
    try {
      let page: ListedObject[] = []
      for (let entry = handle.readSync(); entry !== null; entry = handle.readSync()) {
        if (!entry.isFile() || entry.name.startsWith('.') || /\.tmp-[0-9a-f]{12}$/.test(entry.name)) continue
        const key = prefix + entry.name
        this.requests++
        const st = lstatSync(join(this.dir, key), { throwIfNoEntry: false })
        if (st) page.push({ key, size: st.size, mtimeMs: st.mtimeMs })
        if (page.length >= PAGE) {
          yield page
          page = []
          await turn()
        }
      }
      if (page.length > 0) yield page
    } finally {
      handle.closeSync()
    }
  }

  async read(key: string): Promise<string | undefined> {
    this.requests++
    try {
      return readFileSync(join(this.dir, key), 'utf8')
    } catch (e) {
      if (fsErrorCode(e) === 'ENOENT') return undefined
      throw e
    }
  }

  /**
   * Each file is first renamed to a hidden name (atomic: a writer's touch after it finds nothing
   * and writes anew), then its modification time is read there: touched since the cutoff, it is
   * linked back (unless a writer has put a new one in its place meanwhile); otherwise removed.
   */
  async remove(keys: readonly string[], cutoffMs: number): Promise<Removal> {
    const out: Removal = { deleted: [], fresh: [], missing: [] }
    const suffix = `.gc-${randomBytes(6).toString('hex')}`
    for (const key of keys) {
      const target = join(this.dir, key)
      const aside = join(dirname(target), `.${basename(target)}${suffix}`)
      this.requests += 2
      try {
        renameSync(target, aside)
      } catch (e) {
        if (fsErrorCode(e) !== 'ENOENT') throw e
        out.missing.push(key)
        continue
      }
      if (lstatSync(aside).mtimeMs >= cutoffMs) {
        try {
          linkSync(aside, target)
        } catch (e) {
          if (fsErrorCode(e) !== 'EEXIST') throw e
        }
        out.fresh.push(key)
      } else out.deleted.push(key)
      unlinkSync(aside)
      // A job's record directory goes with its last part (only records older than the grace go,
      // so no writer of that job is left to put a part into it).
      if (key.startsWith(RECORD_PREFIX)) {
        try {
          rmdirSync(dirname(target))
        } catch {
          // Not empty yet (more parts of the job follow), or gone: either way nothing to do.
        }
      }
    }
    await turn()
    return out
  }
}
