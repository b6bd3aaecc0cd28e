import { basename } from 'node:path'
import { zstdCompressSync } from 'node:zlib'
import { formatNix32Hash, parseHash } from '../../format/nix32.js'
import type { PathInfo } from '../../format/path-info.js'
import { hashPart } from '../../format/store-path.js'
import { CacheUnavailableError } from '../../runtime/budget.js'
import type { Pushed, UploadOutcome } from '../../plan/result.js'
import { pushInReferenceOrder, withSpooledNar } from '../server-push.js'
import { Niks3Error, Niks3Refused, niks3RefusalMessage, type Niks3Api, type Niks3NarinfoMetadata } from './api.js'

/** Parts of at least 10 MiB, as the server plans them (server/pending_multipart.go:14,21-23). */
export const PART_SIZE = 10 << 20

export interface Niks3PushOptions {
  /** Told of each path as soon as it is published (the agent records it at once: it may be killed). */
  onPushed?: (pushed: Pushed) => void
  api: Niks3Api
  /** For messages: the server as the user named it. */
  endpoint: string
  parallelism: number
  realStoreDir: string
  spoolDir: string
  partSize?: number
}

export const narKeyOf = (info: Pick<PathInfo, 'narHash'>): string => `nar/${formatNix32Hash(parseHash(info.narHash)).slice('sha256:'.length)}.nar.zst`

/** The narinfo the client writes with the server's signatures (client/narinfo.go:15-66): no FileHash, sorted references. */
export function narinfoText(meta: Niks3NarinfoMetadata, signatures: readonly string[]): string {
  const refs = [...meta.references].sort().map((r) => basename(r))
  const lines = [`StorePath: ${meta.store_path}`, `URL: ${meta.url}`, `Compression: ${meta.compression}`, `NarHash: ${meta.nar_hash}`, `NarSize: ${meta.nar_size}`, `References: ${refs.join(' ')}`]
  if (meta.deriver) lines.push(`Deriver: ${basename(meta.deriver)}`)
  for (const s of [...signatures].sort()) lines.push(`Sig: ${s}`)
  if (meta.ca) lines.push(`CA: ${meta.ca}`)
  return `${lines.join('\n')}\n`
}

/**
 * Pushes exactly `infos`, each path as a pending closure of its own (its narinfo and its NAR; the
 * narinfo refers to its references' narinfos, so the server's GC keeps them), references before
 * referrers (the narinfo upload publishes).
 */
export function pushToNiks3(infos: readonly PathInfo[], opts: Niks3PushOptions): Promise<UploadOutcome> {
  return pushInReferenceOrder(infos, {
    parallelism: opts.parallelism,
    onPushed: opts.onPushed,
    upload: async (info) => {
      try {
        return await uploadOne(info, opts)
      } catch (e) {
        // A pending closure the server cleaned up meanwhile (older than its cleanup age, 1 h by
        // default: server/uploads.go CleanupPendingClosuresHandler) is refused by sign (403) or
        // complete (404): start over once, with a new one.
        if (!(e instanceof Niks3Error && (e.status === 404 || e.status === 403))) throw e
        return uploadOne(info, opts)
      }
    },
    stopsOn: (e, message) => {
      if (e instanceof Niks3Refused) return { notTried: 'the server refused the token', stoppedBy: niks3RefusalMessage(e, opts.endpoint) }
      if (e instanceof CacheUnavailableError) return { notTried: 'the server refused the token', stoppedBy: `the cache was given up on: ${message}` }
      return undefined
    }
  })
}

async function uploadOne(info: PathInfo, opts: Niks3PushOptions): Promise<number> {
  const hash = hashPart(info.path)
  const narinfoKey = `${hash}.narinfo`
  const narKey = narKeyOf(info)
  const refs = [...info.references.map((r) => `${hashPart(r)}.narinfo`), narKey]
  const closure = await opts.api.openClosure(narinfoKey, [
    { key: narinfoKey, type: 'narinfo', refs },
    { key: narKey, type: 'nar', refs: [], nar_size: info.narSize }
  ])
  let fileSize = 0
  const nar = closure.pending_objects[narKey]
  if (nar) fileSize = await uploadNar(info, narKey, nar, opts)
  if (closure.pending_objects[narinfoKey]) {
    const target = closure.pending_objects[narinfoKey]
    if (!target.presigned_url) throw new Niks3Error(`the server gave no upload URL for ${narinfoKey}`, 0)
    const meta: Niks3NarinfoMetadata = {
      store_path: info.path,
      url: narKey,
      compression: 'zstd',
      nar_hash: formatNix32Hash(parseHash(info.narHash)),
      nar_size: info.narSize,
      references: info.references,
      ...(info.deriver ? { deriver: info.deriver } : {}),
      ...(info.ca ? { ca: info.ca } : {})
    }
    const signatures = await opts.api.sign(closure.id, { [narinfoKey]: meta })
    // The narinfo goes up zstd-compressed with Content-Encoding, as the niks3 client sends it (client/simple_uploads.go:39-50).
    const body = zstdCompressSync(Buffer.from(narinfoText(meta, signatures[narinfoKey] ?? [])))
    await opts.api.put(target.presigned_url, body, { 'Content-Type': 'text/x-nix-narinfo', 'Content-Encoding': 'zstd' }, `PUT ${narinfoKey} (presigned)`)
  }
  await opts.api.commit(closure.id)
  return fileSize
}

function uploadNar(info: PathInfo, key: string, target: { presigned_url?: string; multipart_info?: { upload_id: string; part_urls: string[] } }, opts: Niks3PushOptions): Promise<number> {
  return withSpooledNar(info, { ...opts, prefix: 'niks3', compression: 'zstd' }, async (file) => {
    // The compressed NAR is opaque bytes, with no Content-Encoding (client/nar_upload.go:32).
    if (target.presigned_url) {
      await opts.api.put(target.presigned_url, await file.read(0, file.size), { 'Content-Type': 'application/octet-stream' }, `PUT ${key} (presigned)`)
      return file.size
    }
    const multipart = target.multipart_info
    if (!multipart) throw new Niks3Error(`the server gave no upload URL for ${key}`, 0)
    const partSize = opts.partSize ?? PART_SIZE
    const count = Math.max(1, Math.ceil(file.size / partSize))
    const urls = [...multipart.part_urls]
    if (urls.length < count) urls.push(...(await opts.api.requestParts(key, multipart.upload_id, urls.length + 1, count - urls.length)))
    const parts: Array<{ part_number: number; etag: string }> = []
    for (let i = 0; i < count; i++) {
      const offset = i * partSize
      const body = await file.read(offset, Math.min(partSize, file.size - offset))
      parts.push({ part_number: i + 1, etag: await opts.api.put(urls[i]!, body, { 'Content-Type': 'application/octet-stream' }, `PUT ${key} part ${i + 1} (presigned)`) })
    }
    await opts.api.completeMultipart(key, multipart.upload_id, parts)
    return file.size
  })
}
