import { link, lstat, opendir, readFile, rename, rm, rmdir } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { basename, dirname, join } from 'node:path'
import { RECORD_PREFIX } from '../../format/job-record.js'
import { fsErrorCode } from '../../runtime/fs-errors.js'
import type { CollectableCache, ListedObject, Removal } from './listing.js'

const PAGE = 1000

/** A file:// cache as the GC sees it: the root's files, `nar/`, and the job records. */
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
    const jobs = join(this.dir, RECORD_PREFIX)
    const jobDirs: string[] = []
    try {
      for await (const e of await opendir(jobs)) if (e.isDirectory()) jobDirs.push(e.name)
    } catch (e) {
      if (fsErrorCode(e) !== 'ENOENT') throw e
    }
    for (const job of jobDirs) yield* this.listDir(`${RECORD_PREFIX}${job}/`)
  }

  /** The regular files of one directory, in pages; hidden files (writers' spool and temporary files) excluded. */
  private async *listDir(prefix: string): AsyncIterable<ListedObject[]> {
    let handle
    try {
      handle = await opendir(join(this.dir, prefix), { bufferSize: 256 })
    } catch (e) {
      if (fsErrorCode(e) === 'ENOENT') return
      throw e
    }
    this.requests++
    let page: ListedObject[] = []
    for await (const entry of handle) {
      if (!entry.isFile() || entry.name.startsWith('.') || /\.tmp-[0-9a-f]{12}$/.test(entry.name)) continue
      const key = prefix + entry.name
      try {
        this.requests++
        const st = await lstat(join(this.dir, key))
        page.push({ key, size: st.size, mtimeMs: st.mtimeMs })
      } catch (e) {
        if (fsErrorCode(e) !== 'ENOENT') throw e
      }
      if (page.length >= PAGE) {
        yield page
        page = []
      }
    }
    if (page.length > 0) yield page
  }

  async read(key: string): Promise<string | undefined> {
    this.requests++
    try {
      return await readFile(join(this.dir, key), 'utf8')
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
    for (const key of keys) {
      const target = join(this.dir, key)
      const aside = join(dirname(target), `.${basename(target)}.gc-${randomBytes(6).toString('hex')}`)
      this.requests += 2
      try {
        await rename(target, aside)
      } catch (e) {
        if (fsErrorCode(e) !== 'ENOENT') throw e
        out.missing.push(key)
        continue
      }
      if ((await lstat(aside)).mtimeMs >= cutoffMs) {
        await link(aside, target).catch((e: unknown) => {
          if (fsErrorCode(e) !== 'EEXIST') throw e
        })
        out.fresh.push(key)
      } else out.deleted.push(key)
      await rm(aside, { force: true })
      // A job's record directory goes with its last part (only records older than the grace go,
      // so no writer of that job is left to put a part into it).
      if (key.startsWith(RECORD_PREFIX)) await rmdir(dirname(target)).catch(() => undefined)
    }
    return out
  }
}
