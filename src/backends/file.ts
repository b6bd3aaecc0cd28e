import { mkdir, readFile, rm, access, writeFile } from 'node:fs/promises'
import { createWriteStream, renameSync, writeFileSync, type WriteStream } from 'node:fs'
import { dirname, join } from 'node:path'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { randomBytes } from 'node:crypto'
import type { BinaryCacheBackend, BodyFactory } from './backend.js'
import { readCacheInfoStoreDir, cacheInfoText } from './cache-info.js'

/** Bodies up to this size (every narinfo, most NARs) are written with one synchronous call. */
const SMALL_BODY = 256 * 1024

/**
 * Writes a file, keeping the body in memory until it exceeds SMALL_BODY. Each asynchronous fs
 * call is a thread-pool round trip, and streaming a file takes four (open, write, close,
 * rename); with thousands of small paths on a busy 2-core runner those round trips, not the
 * bytes, were most of the upload time. Larger bodies are streamed, so memory stays bounded.
 */
class SmallFirstFile extends Writable {
  private pending: Buffer[] | undefined = []
  private size = 0
  private file: WriteStream | undefined

  constructor(private readonly path: string) {
    super()
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (this.file) {
      this.file.write(chunk, done)
      return
    }
    const pending = this.pending ?? []
    pending.push(chunk)
    this.size += chunk.length
    if (this.size <= SMALL_BODY) {
      done()
      return
    }
    this.pending = undefined
    this.file = createWriteStream(this.path)
    this.file.on('error', (e) => this.destroy(e))
    this.file.write(Buffer.concat(pending, this.size), done)
  }

  override _final(done: (error?: Error | null) => void): void {
    if (this.file) {
      this.file.end(done)
      return
    }
    try {
      writeFileSync(this.path, Buffer.concat(this.pending ?? [], this.size))
      done()
    } catch (e) {
      done(e as Error)
    }
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.file?.destroy()
    done(error)
  }
}

/** A `file://` binary cache: a directory laid out exactly as Nix writes one. */
export class FileBackend implements BinaryCacheBackend {
  /** Directories this backend has created; one mkdir each, not one per file. */
  private readonly made = new Set<string>()

  constructor(readonly dir: string) {}

  get displayUrl(): string {
    return `file://${this.dir}`
  }

  async prepare(storeDir: string): Promise<void> {
    await mkdir(join(this.dir, 'nar'), { recursive: true })
    const file = join(this.dir, 'nix-cache-info')
    let existing: string | undefined
    try {
      existing = await readFile(file, 'utf8')
    } catch {
      await writeFile(file, cacheInfoText(storeDir))
      return
    }
    const theirs = readCacheInfoStoreDir(existing)
    if (theirs && theirs !== storeDir) {
      throw new Error(`${this.displayUrl} is a cache for ${theirs}, not ${storeDir}`)
    }
  }

  async existing(hashParts: readonly string[]): Promise<Set<string>> {
    const found = await Promise.all(
      hashParts.map(async (h) => {
        try {
          await access(join(this.dir, `${h}.narinfo`))
          return h
        } catch {
          return undefined
        }
      })
    )
    return new Set(found.filter((h): h is string => h !== undefined))
  }

  /** Writes to a temporary name and renames, so readers never see a partial file. */
  async put(key: string, body: BodyFactory): Promise<void> {
    const target = join(this.dir, key)
    const tmp = `${target}.tmp-${randomBytes(6).toString('hex')}`
    const dir = dirname(target)
    if (!this.made.has(dir)) {
      await mkdir(dir, { recursive: true })
      this.made.add(dir)
    }
    try {
      await pipeline(body(), new SmallFirstFile(tmp))
      // Synchronous for the same reason as the small writes: a rename is quick, a round trip is not.
      renameSync(tmp, target)
    } catch (e) {
      await rm(tmp, { force: true })
      throw e
    }
  }
}
