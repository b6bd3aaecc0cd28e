import { ServerError, ServerRefused, ServerRequests, type ServerApiOptions, refusalCause } from '../server-api.js'

/**
 * The Cachix API (v1) as its own client speaks it (cachix/cachix @
 * e1d8f8cdeee6ea513cff15f3411842961d10ada9): routes in `cachix-api/src/Cachix/API.hs`, bodies in
 * `cachix-api/src/Cachix/Types/`, the part uploads in `cachix/src/Cachix/Client/Push/S3.hs`.
 * The server is closed source: its behaviour is what the client and the docs
 * (cachix/docs.cachix.org @ 92b486b3) say. Every request goes through the job's request guard.
 */

/** `GET /cache/{name}` (Types/BinaryCache.hs:12-24). */
export interface CachixCache {
  name: string
  /** The binary cache Nix pulls from, `https://<name>.cachix.org`. */
  uri: string
  isPublic: boolean
  publicSigningKeys: string[]
  permission?: string
  preferredCompressionMethod?: 'XZ' | 'ZSTD'
}

/** `narInfoCreate` of the completion (Types/NarInfoCreate.hs:18-40). */
export interface CachixNarInfoCreate {
  cStoreHash: string
  cStoreSuffix: string
  /** `sha256:<nix32>` */
  cNarHash: string
  cNarSize: number
  /** Hex SHA-256 of the compressed file. */
  cFileHash: string
  cFileSize: number
  /** Base names. */
  cReferences: string[]
  cDeriver: string
  /** Base64 of the bare Ed25519 signature, for a self-signed cache; null: the server signs. */
  cSig: string | null
}

/** 401 or 403: the token is not valid for this cache, or may not write to it. */
export class CachixRefused extends ServerRefused {
  override name = 'CachixRefused'
}

/** Any other final answer (400, 404, 413). */
export class CachixError extends ServerError {
  override name = 'CachixError'
}

// The Cachix client retries 429 and 5xx after Retry-After (cachix/src/Cachix/Client/Retry.hs:48-52),
// as ServerRequests does; Servant answers errors with a short text or JSON body (plainErrorText).

/** The most hashes one missing-paths request carries: the client's batch for the server's 1 MB limit (Push.hs:532-533). */
export const MISSING_BATCH = 32768

export interface CachixApiOptions extends ServerApiOptions {
  /** `https://cachix.org/api/v1/` or `<scheme>://HOST/api/v1/`. */
  apiBase: string
  cacheName: string
}

export class CachixApi {
  private readonly requests: ServerRequests

  constructor(private readonly opts: CachixApiOptions) {
    this.requests = new ServerRequests({
      ...opts,
      base: opts.apiBase,
      authScheme: 'Bearer',
      refusedStatuses: [401, 403],
      refused: (m, s) => new CachixRefused(m, s),
      error: (m, s) => new CachixError(m, s)
    })
  }

  get cacheName(): string {
    return this.opts.cacheName
  }

  private call<T>(method: string, route: string, body?: unknown): Promise<T> {
    return this.requests.call(method, route, body)
  }

  /** `GET /cache/{name}` (API.hs:69-74). */
  cache(): Promise<CachixCache> {
    return this.call('GET', `cache/${this.opts.cacheName}`)
  }

  /** `POST /cache/{name}/narinfo`: the hashes the cache lacks (API.hs:75-83). */
  async missing(hashes: readonly string[]): Promise<Set<string>> {
    const missing = new Set<string>()
    for (let i = 0; i < hashes.length; i += MISSING_BATCH) {
      const answer = await this.call<string[]>('POST', `cache/${this.opts.cacheName}/narinfo`, hashes.slice(i, i + MISSING_BATCH))
      for (const h of answer ?? []) missing.add(h)
    }
    return missing
  }

  /** `POST /cache/{name}/multipart-nar?compression=` (API.hs:103-111). */
  startUpload(compression: 'zst' | 'xz'): Promise<{ narId: string; uploadId: string }> {
    return this.call('POST', `cache/${this.opts.cacheName}/multipart-nar?compression=${compression}`)
  }

  /** A presigned URL for one part (API.hs:112-123). */
  async partUrl(narId: string, uploadId: string, partNumber: number, contentMD5: string): Promise<string> {
    const r = await this.call<{ uploadUrl: string }>(
      'POST',
      `cache/${this.opts.cacheName}/multipart-nar/${narId}?uploadId=${encodeURIComponent(uploadId)}&partNumber=${partNumber}`,
      { contentMD5 }
    )
    return r.uploadUrl
  }

  /** `PUT` of one part to its presigned URL, with Content-MD5; returns the ETag (Push/S3.hs:98-122). */
  putPart(uploadUrl: string, part: Buffer, contentMD5: string, partNumber: number): Promise<string> {
    const what = `PUT part ${partNumber} (presigned)`
    return this.requests.put(what, uploadUrl, part, { 'Content-Type': 'application/octet-stream', 'Content-MD5': contentMD5 }, (etag, status) => {
      if (!etag) throw new CachixError(`${what}: the storage answered without an ETag`, status)
      return etag
    })
  }

  /** Completes the upload with the narinfo: the path is published (API.hs:124-136). */
  async complete(narId: string, uploadId: string, parts: Array<{ partNumber: number; eTag: string }>, narInfoCreate: CachixNarInfoCreate): Promise<void> {
    await this.call('POST', `cache/${this.opts.cacheName}/multipart-nar/${narId}/complete?uploadId=${encodeURIComponent(uploadId)}`, { parts, narInfoCreate })
  }

  /** Abandons an upload whose parts failed, so the storage drops them (API.hs:137-147). */
  async abort(narId: string, uploadId: string): Promise<void> {
    await this.call('POST', `cache/${this.opts.cacheName}/multipart-nar/${narId}/abort?uploadId=${encodeURIComponent(uploadId)}`)
  }
}

/** The one warning a refused token gets. */
export function cachixRefusalMessage(e: CachixRefused, cacheName: string): string {
  const cause = refusalCause(e)
  const why = e.status === 401 ? 'it is not valid, or has expired' : 'it may not write to the cache (a read-only or another cache\'s token)'
  return `Cachix refused the auth-token for cache ${cacheName} (${cause}): ${why}. Nothing more was uploaded to it.`
}
