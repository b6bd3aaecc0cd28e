import { mkdir, readFile, rename, rm, access, writeFile } from 'node:fs/promises'
import { createWriteStream } from 'node:fs'
import { dirname, join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { randomBytes } from 'node:crypto'
import type { BinaryCacheBackend, BodyFactory } from './backend.js'
import { readCacheInfoStoreDir, cacheInfoText } from './cache-info.js'

/** A `file://` binary cache: a directory laid out exactly as Nix writes one. */
export class FileBackend implements BinaryCacheBackend {
  /** Directories this backend has created: one mkdir each, not one per file (thousands per job). */
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
      await pipeline(body(), createWriteStream(tmp))
      await rename(tmp, target)
    } catch (e) {
      await rm(tmp, { force: true })
      throw e
    }
  }
}
