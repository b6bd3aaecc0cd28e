import { createHash, randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { open, rm } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { compressor } from '../format/compression.js'
import { narStream } from '../format/nar.js'
import { parseHash } from '../format/nix32.js'
import type { PathInfo } from '../format/path-info.js'
import { Meter } from './binary-cache/meter.js'
import { limiter } from '../runtime/limiter.js'
import { emptyOutcome, type Pushed, type UploadOutcome } from '../plan/result.js'

/** Why the rest of the uploads are not tried after an error: the reason each gets, and the job's one warning. */
export interface Stop {
  notTried: string
  stoppedBy?: string
}

export interface ServerPushOptions {
  parallelism: number
  /** Told of each path as soon as it is published (the agent records it at once: it may be killed). */
  onPushed?: (pushed: Pushed) => void
  /** Uploads and publishes one path; returns the size of the file stored for it. */
  upload: (info: PathInfo) => Promise<number>
  /** Whether an upload's error stops the rest (a refused token, a cache given up on), and how it is said. */
  stopsOn: (e: unknown, message: string) => Stop | undefined
}

/**
 * Pushes exactly `infos` to a cache server whose upload publishes (Attic, Cachix, niks3): one
 * upload per path, references before referrers, so a path whose reference in the list failed is
 * not uploaded and the cache never holds a path whose references it lacks. After an error that
 * every later upload would meet too, the rest are not tried and the job says so once.
 */
export async function pushInReferenceOrder(infos: readonly PathInfo[], opts: ServerPushOptions): Promise<UploadOutcome> {
  const outcome = emptyOutcome()
  const byPath = new Map(infos.map((i) => [i.path, i]))
  const limit = limiter(opts.parallelism)
  const done = new Map<string, Promise<boolean>>()
  let stopped: string | undefined

  const push = (info: PathInfo): Promise<boolean> => {
    const existing = done.get(info.path)
    if (existing) return existing
    const task = (async (): Promise<boolean> => {
      const deps = info.references.filter((r) => r !== info.path && byPath.has(r))
      const results = await Promise.all(deps.map((d) => push(byPath.get(d)!)))
      const failedDep = deps.find((_, i) => !results[i])
      if (failedDep !== undefined) {
        outcome.failed.push({ path: info.path, reason: `not uploaded: its reference ${failedDep} was not` })
        return false
      }
      return limit(async () => {
        if (stopped !== undefined) {
          outcome.failed.push({ path: info.path, reason: `not tried: ${stopped}` })
          return false
        }
        try {
          const fileSize = await opts.upload(info)
          const pushed = { path: info.path, narSize: info.narSize, fileSize }
          outcome.pushed.push(pushed)
          opts.onPushed?.(pushed)
          return true
        } catch (e) {
          const message = e instanceof Error ? e.message : String(e)
          const stop = stopped === undefined ? opts.stopsOn(e, message) : undefined
          if (stop) {
            stopped = stop.notTried
            if (stop.stoppedBy !== undefined) outcome.stoppedBy = stop.stoppedBy
          }
          outcome.failed.push({ path: info.path, reason: message })
          return false
        }
      })
    })()
    done.set(info.path, task)
    return task
  }
  await Promise.all(infos.map(push))
  return outcome
}

/** A store path whose contents are not what Nix recorded. */
class NarMismatch extends Error {
  constructor() {
    super('its contents do not match the hash Nix recorded (store corruption?)')
  }
}

/** A compressed NAR in a spool file, read back in parts for presigned uploads. */
export interface SpooledNar {
  size: number
  /** Hex SHA-256 of the compressed file. */
  sha256Hex: string
  read(offset: number, length: number): Promise<Buffer>
}

/**
 * Compresses one path's NAR into a spool file, checked against its NarHash before anything is
 * uploaded (a part upload that publishes cannot be taken back), hands it to `use`, then removes it.
 * Spooling gives the size and the parts' bytes the multipart uploads need before they start.
 */
export async function withSpooledNar<T>(
  info: PathInfo,
  opts: { realStoreDir: string; spoolDir: string; prefix: string; compression: 'zstd' | 'xz' },
  use: (nar: SpooledNar) => Promise<T>
): Promise<T> {
  const spool = join(opts.spoolDir, `${opts.prefix}-${randomBytes(8).toString('hex')}.spool`)
  try {
    const nar = new Meter()
    const fileHash = createHash('sha256')
    let size = 0
    const tap = async function* (source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
      for await (const chunk of source) {
        fileHash.update(chunk)
        size += chunk.length
        yield chunk
      }
    }
    await pipeline(narStream(join(opts.realStoreDir, basename(info.path))), nar, compressor(opts.compression, info.narSize), tap, createWriteStream(spool))
    if (nar.bytes !== info.narSize || !nar.digest().equals(parseHash(info.narHash))) throw new NarMismatch()
    const handle = await open(spool, 'r')
    try {
      const read = async (offset: number, length: number): Promise<Buffer> => {
        const buf = Buffer.alloc(length)
        await handle.read(buf, 0, length, offset)
        return buf
      }
      return await use({ size, sha256Hex: fileHash.digest('hex'), read })
    } finally {
      await handle.close()
    }
  } finally {
    await rm(spool, { force: true })
  }
}
