import { access, link, lstat, mkdir, readFile, readdir, rename, rm, utimes, writeFile } from 'node:fs/promises'
import { createWriteStream, unlinkSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { randomBytes } from 'node:crypto'
import type { BinaryCacheBackend, BodyFactory, Published } from './backend.js'
import { ensureCacheInfo } from './cache-info.js'
import { describeFsError, fsErrorCode } from '../../runtime/fs-errors.js'
import { FileWriteError, writeSmallFile } from '../../runtime/file-threads.js'

/** What `put` and `spoolFile` name their files before they get their final names. */
const TEMPORARY = /(\.tmp-|\.spool-)[0-9a-f]{12}$/
/**
 * A temporary file untouched for this long belongs to a writer that is gone: a spool file is
 * written to without pause until it is published or removed.
 */
const LEFTOVER_AGE_MS = 60 * 60 * 1000

/**
 * The 12 hex digits that make a temporary name unique: 8 random per process, then a counter. A
 * fresh `randomBytes` per file cost about 10 µs, 45 ms for a job of 2,300 small paths; writers in
 * other processes differ in the random part, and a name lives only until its rename or link.
 */
const uniqueSuffix = ((): (() => string) => {
  const prefix = randomBytes(4).toString('hex')
  let n = 0
  return () => `${prefix}${(n++ & 0xffff).toString(16).padStart(4, '0')}`
})()

/**
 * Sets a file's modification time to now; false when it does not exist. A file this user may
 * not touch (a read-only cache, a dry run's) is still found.
 */
async function touch(file: string): Promise<boolean> {
  const now = new Date()
  try {
    await utimes(file, now, now)
    return true
  } catch (e) {
    if (fsErrorCode(e) === 'ENOENT') return false
    return access(file).then(
      () => true,
      () => false
    )
  }
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false
  )
}

/** A `file://` binary cache: a directory laid out exactly as Nix writes one. */
export class FileBackend implements BinaryCacheBackend {
  /** Publishing is a hard link, which never replaces a file (see publish). */
  readonly publishesExclusively = true
  /** Directories this backend has created: one mkdir each, not one per file (thousands per job). */
  private readonly made = new Set<string>()

  constructor(
    readonly dir: string,
    /** Whether narinfos found are touched for the retention GC (not by a job that only reads). */
    private readonly opts: { touchFound?: boolean } = {}
  ) {}

  get displayUrl(): string {
    return `file://${this.dir}`
  }

  /** Also proves the cache writable, so a read-only or foreign directory is named once, with its real cause. */
  async prepare(storeDir: string): Promise<void> {
    const file = join(this.dir, 'nix-cache-info')
    try {
      await mkdir(join(this.dir, 'nar'), { recursive: true })
      const probe = join(this.dir, 'nar', `.write-test-${randomBytes(6).toString('hex')}`)
      await writeFile(probe, '')
      await rm(probe, { force: true })
    } catch (e) {
      throw new Error(`${this.displayUrl} is not writable: ${describeFsError(e)}`, { cause: e })
    }
    await ensureCacheInfo(
      storeDir,
      {
        displayUrl: this.displayUrl,
        // Any failure to read counts as absent: the write then names the real trouble, if any.
        read: () => readFile(file, 'utf8').catch(() => undefined),
        write: (text) => writeFile(file, text)
      },
      (theirs) => `${this.displayUrl} is a cache for ${theirs}, not ${storeDir}`
    )
  }

  /**
   * Each narinfo found is also touched: a writer relies on what it finds (it skips the path, and
   * its own narinfos will reference it), and the retention GC never deletes what was modified
   * within its grace period (docs/gc.md, "Pushes and a GC at the same time").
   */
  async existing(hashParts: readonly string[]): Promise<Set<string>> {
    const look = this.opts.touchFound === false ? exists : touch
    const found = await Promise.all(hashParts.map(async (h) => ((await look(join(this.dir, `${h}.narinfo`))) ? h : undefined)))
    return new Set(found.filter((h): h is string => h !== undefined))
  }

  private async ensureDir(dir: string): Promise<void> {
    if (this.made.has(dir)) return
    await mkdir(dir, { recursive: true })
    this.made.add(dir)
  }

  /** Writes to a temporary name and renames, so readers never see a partial file. */
  async put(key: string, body: BodyFactory): Promise<void> {
    const target = join(this.dir, key)
    const tmp = `${target}.tmp-${uniqueSuffix()}`
    await this.ensureDir(dirname(target))
    try {
      await pipeline(body(), createWriteStream(tmp))
      await rename(tmp, target)
    } catch (e) {
      await rm(tmp, { force: true })
      throw e
    }
  }

  /**
   * `put` for a small body (a narinfo): written and renamed on a file thread in one message
   * (runtime/file-threads.ts), so thousands of them overlap with the rest of the push.
   */
  async putBytes(key: string, bytes: Buffer): Promise<void> {
    const target = join(this.dir, key)
    await this.ensureDir(dirname(target))
    await writeSmallFile({ kind: 'rename', temp: `${target}.tmp-${uniqueSuffix()}`, target, bytes })
  }

  /** `publish` for a small verified NAR in memory: spooled and linked on a file thread (see putBytes). */
  async publishBytes(key: string, bytes: Buffer): Promise<Published> {
    const spool = await this.spoolFile(key)
    const target = join(this.dir, key)
    try {
      await writeSmallFile({ kind: 'link', temp: spool, target, bytes })
      return 'written'
    } catch (e) {
      // The spool file was not written: nothing to publish it from.
      if (!(e instanceof FileWriteError) || e.step !== 'link') throw e
      try {
        // Touched, as in publish(); taken by a GC meanwhile, publish() links it again.
        if (e.code === 'EEXIST' && (await touch(target))) return 'existed'
        if (e.code !== 'EEXIST' && e.code !== 'EPERM' && e.code !== 'ENOTSUP' && e.code !== 'EMLINK') throw e
        return await this.publish(key, spool)
      } finally {
        removeQuietly(spool)
      }
    }
  }

  /** A NAR found is touched (see the interface), as existing() touches the narinfos it finds. */
  async has(key: string): Promise<boolean> {
    const look = this.opts.touchFound === false ? exists : touch
    return look(join(this.dir, key))
  }

  /** Next to its final name, hidden from Nix (which reads only the names narinfos give). */
  async spoolFile(key: string): Promise<string> {
    const target = join(this.dir, key)
    await this.ensureDir(dirname(target))
    return join(dirname(target), `.${basename(target)}.spool-${uniqueSuffix()}`)
  }

  /**
   * A writer killed mid-write (the background agent, killed with its job when no post step
   * stopped it) leaves its spool file behind. Nix never reads those, but they take space, up to
   * a NAR each, so the next push removes any an hour old.
   */
  async sweepLeftovers(now: number = Date.now()): Promise<number> {
    let removed = 0
    for (const dir of [this.dir, join(this.dir, 'nar')]) {
      const names = await readdir(dir).catch(() => [] as string[])
      for (const name of names.filter((n) => TEMPORARY.test(n))) {
        const file = join(dir, name)
        try {
          if (now - (await lstat(file)).mtimeMs < LEFTOVER_AGE_MS) continue
          await rm(file, { force: true })
          removed++
        } catch {
          // Gone already (its writer finished), or not ours to remove: leave it.
        }
      }
    }
    return removed
  }

  /**
   * A hard link: atomic, and it fails with EEXIST instead of replacing a file, so a NAR another
   * path or job wrote is never overwritten. File systems without hard links get a rename after
   * an existence check; the race left there is between two verified files of the same NarHash.
   */
  async publish(key: string, file: string): Promise<Published> {
    const target = join(this.dir, key)
    await this.ensureDir(dirname(target))
    // Twice at most: a NAR found and then taken by the GC before the touch is linked again.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await link(file, target)
        return 'written'
      } catch (e) {
        const code = fsErrorCode(e)
        // Touched, as the narinfos found are (see existing()): this job's narinfo will name it.
        if (code === 'EEXIST' && (await touch(target))) return 'existed'
        if (code === 'EEXIST') continue
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EMLINK') throw e
        break
      }
    }
    if (await this.has(key)) return 'existed'
    await rename(file, target)
    return 'written'
  }
}

/** Removes a temporary file that may be gone already (renamed into place, or never written). */
function removeQuietly(file: string): void {
  try {
    unlinkSync(file)
  } catch {
    // Gone already, or never created: nothing to remove.
  }
}
