import { createHash } from 'node:crypto'
import { basename } from 'node:path'
import { formatNix32Hash, parseHash } from '../../format/nix32.js'
import type { PathInfo } from '../../format/path-info.js'
import { fingerprint, type SigningKey } from '../../format/signing.js'
import { hashPart } from '../../format/store-path.js'
import { CacheUnavailableError } from '../../runtime/budget.js'
import type { Pushed, UploadOutcome } from '../../plan/result.js'
import { pushInReferenceOrder, withSpooledNar } from '../server-push.js'
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
 * referrers (a completion publishes).
 */
export function pushToCachix(infos: readonly PathInfo[], opts: CachixPushOptions): Promise<UploadOutcome> {
  return pushInReferenceOrder(infos, {
    parallelism: opts.parallelism,
    onPushed: opts.onPushed,
    upload: (info) => uploadOne(info, opts),
    stopsOn: (e, message) => {
      // Every later upload would be refused too: the job says this once.
      if (e instanceof CachixRefused) return { notTried: `Cachix refused the auth-token (${message})`, stoppedBy: cachixRefusalMessage(e, opts.api.cacheName) }
      if (e instanceof CacheUnavailableError) return { notTried: message }
      return undefined
    }
  })
}

/** Compresses one NAR into a checked spool file, then uploads it in parts; returns the file's size. */
function uploadOne(info: PathInfo, opts: CachixPushOptions): Promise<number> {
  return withSpooledNar(info, { ...opts, prefix: 'cachix' }, async (file) => {
    const { narId, uploadId } = await opts.api.startUpload(opts.compression === 'xz' ? 'xz' : 'zst')
    try {
      const parts: Array<{ partNumber: number; eTag: string }> = []
      const partSize = opts.partSize ?? DEFAULT_PART_SIZE
      for (let offset = 0, partNumber = 1; offset < file.size || partNumber === 1; offset += partSize, partNumber++) {
        const part = await file.read(offset, Math.min(partSize, file.size - offset))
        const md5 = createHash('md5').update(part).digest('base64')
        const url = await opts.api.partUrl(narId, uploadId, partNumber, md5)
        parts.push({ partNumber, eTag: await opts.api.putPart(url, part, md5, partNumber) })
      }
      await opts.api.complete(narId, uploadId, parts, narInfoCreate(info, { hashHex: file.sha256Hex, size: file.size }, opts.signer))
    } catch (e) {
      // The parts already stored would wait for a completion that never comes.
      await opts.api.abort(narId, uploadId).catch(() => undefined)
      throw e
    }
    return file.size
  })
}
