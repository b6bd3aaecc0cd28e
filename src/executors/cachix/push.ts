import { createHash, randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { open, rm } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { compressor } from '../../format/compression.js'
import { narStream } from '../../format/nar.js'
import { formatNix32Hash, parseHash } from '../../format/nix32.js'
import type { PathInfo } from '../../format/path-info.js'
import { fingerprint, type SigningKey } from '../../format/signing.js'
import { hashPart } from '../../format/store-path.js'
import { limiter } from '../../runtime/limiter.js'
import { CacheUnavailableError } from '../../runtime/budget.js'
import { emptyOutcome, type Pushed, type UploadOutcome } from '../../plan/result.js'
import { Meter } from '../binary-cache/meter.js'
import { cachixRefusalMessage, CachixRefused, type CachixApi, type CachixNarInfoCreate } from './api.js'

/** The Cachix client's default part size, 32 MiB (cachix/src/Cachix/Client/OptionsParser.hs:143-153). */
export const DEFAULT_PART_SIZE = 32 << 20

export interface CachixPushOptions {
  /** Told of each path as soon as it is published (the agent records it at once: it may be killed). */
  onPushed?: (pushed: Pushed) => void
  api: CachixApi
  /** The cache prefers xz (`preferredCompressionMethod`); zstd otherwise, as the client chooses (Command/Push.hs:137-145). */
  compression: 'zstd' | 'xz'
  /** A self-signed cache's key (the `secret-key` input): the client signs. Without it the server signs. */
  signer?: SigningKey
  parallelism: number
  realStoreDir: string
  spoolDir: string
  partSize?: number
}

/** A store path whose contents are not what Nix recorded. */
class NarMismatch extends Error {
  constructor() {
    super('its contents do not match the hash Nix recorded (store corruption?)')
  }
}

/** The narinfo the completion carries (cachix/src/Cachix/Client/Push.hs:343-389,468-494). */
export function narInfoCreate(info: PathInfo, file: { hashHex: string; size: number }, signer?: SigningKey): CachixNarInfoCreate {
  const name = basename(info.path)
  // The bare signature, base64: the cache's key is known to the server by its public half (Push.hs:474-481).
  const sig = signer?.sign(fingerprint(info.path, info.narHash, info.narSize, info.references))
  return {
    cStoreHash: hashPart(info.path),
    cStoreSuffix: name.slice(33),
    cNarHash: formatNix32Hash(parseHash(info.narHash)),
    cNarSize: info.narSize,
    cFileHash: file.hashHex,
    cFileSize: file.size,
    cReferences: info.references.map((r) => basename(r)),
    cDeriver: info.deriver ? basename(info.deriver) : 'unknown-deriver',
    cSig: sig === undefined ? null : sig.slice(sig.indexOf(':') + 1)
  }
}

/**
 * Pushes exactly `infos` to the Cachix cache with the multipart NAR upload, references before
 * referrers: a completion publishes, so a path whose reference failed is not uploaded.
 */
export async function pushToCachix(infos: readonly PathInfo[], opts: CachixPushOptions): Promise<UploadOutcome> {
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
          const fileSize = await uploadOne(info, opts)
          const pushed = { path: info.path, narSize: info.narSize, fileSize }
          outcome.pushed.push(pushed)
          opts.onPushed?.(pushed)
          return true
        } catch (e) {
          const message = e instanceof Error ? e.message : String(e)
          if (e instanceof CachixRefused && stopped === undefined) {
            stopped = `Cachix refused the auth-token (${message})`
            // Every later upload would be refused too: the job says this once.
            outcome.stoppedBy = cachixRefusalMessage(e, opts.api.cacheName)
          } else if (e instanceof CacheUnavailableError && stopped === undefined) stopped = e.message
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

/** Compresses one NAR into a spool file, checked against its NarHash, then uploads it in parts. */
async function uploadOne(info: PathInfo, opts: CachixPushOptions): Promise<number> {
  const spool = join(opts.spoolDir, `cachix-${randomBytes(8).toString('hex')}.spool`)
  try {
    const nar = new Meter()
    const fileHash = createHash('sha256')
    let fileSize = 0
    const tap = async function* (source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
      for await (const chunk of source) {
        fileHash.update(chunk)
        fileSize += chunk.length
        yield chunk
      }
    }
    await pipeline(narStream(join(opts.realStoreDir, basename(info.path))), nar, compressor(opts.compression, info.narSize), tap, createWriteStream(spool))
    if (nar.bytes !== info.narSize || !nar.digest().equals(parseHash(info.narHash))) throw new NarMismatch()

    const { narId, uploadId } = await opts.api.startUpload(opts.compression === 'xz' ? 'xz' : 'zst')
    try {
      const parts: Array<{ partNumber: number; eTag: string }> = []
      const partSize = opts.partSize ?? DEFAULT_PART_SIZE
      const handle = await open(spool, 'r')
      try {
        for (let offset = 0, partNumber = 1; offset < fileSize || partNumber === 1; offset += partSize, partNumber++) {
          const part = Buffer.alloc(Math.min(partSize, fileSize - offset))
          await handle.read(part, 0, part.length, offset)
          const md5 = createHash('md5').update(part).digest('base64')
          const url = await opts.api.partUrl(narId, uploadId, partNumber, md5)
          parts.push({ partNumber, eTag: await opts.api.putPart(url, part, md5, partNumber) })
        }
      } finally {
        await handle.close()
      }
      await opts.api.complete(narId, uploadId, parts, narInfoCreate(info, { hashHex: fileHash.digest('hex'), size: fileSize }, opts.signer))
    } catch (e) {
      // The parts already stored would wait for a completion that never comes.
      await opts.api.abort(narId, uploadId).catch(() => undefined)
      throw e
    }
    return fileSize
  } finally {
    await rm(spool, { force: true })
  }
}
