// A stand-in Cachix service on loopback. The real service is closed source, so this follows what
// its own client sends and expects (cachix/cachix @ e1d8f8cdeee6ea513cff15f3411842961d10ada9) and
// what its docs say (cachix/docs.cachix.org @ 92b486b3):
// - API routes under /api/v1 (cachix-api/src/Cachix/API.hs:69-147): GET /cache/{name} (the
//   BinaryCache of Types/BinaryCache.hs:12-24), POST /cache/{name}/narinfo (missing hashes),
//   POST /cache/{name}/multipart-nar?compression= ({narId, uploadId}), POST
//   .../multipart-nar/{narId}?uploadId=&partNumber= ({contentMD5} -> {uploadUrl}), POST
//   .../{narId}/complete?uploadId= ({parts, narInfoCreate}, Types/MultipartUpload.hs:27-47 and
//   Types/NarInfoCreate.hs:18-40), POST .../{narId}/abort;
// - parts are PUT to the presigned URL with Content-MD5, S3's rules: the digest must match
//   (400 BadDigest), the ETag comes back, parts but the last are at least 5 MiB (EntityTooSmall)
//   (cachix/src/Cachix/Client/Push/S3.hs:98-122);
// - auth: `Authorization: Bearer <token>`, or Basic with the token as password for pulls
//   (API.hs:31, docs source/faq.rst:136-146); per-cache tokens read and/or write
//   (docs source/getting-started.rst:34-51);
// - signing: a managed cache signs narinfos itself (cSig null); a self-signed one stores the
//   client's bare base64 signature under its key's name (Push.hs:474-481);
// - paths on cache.nixos.org count as present (docs source/garbage-collection.rst:6-9): the
//   test names such hashes in `upstreamHashes`.
// The binary cache is served at `uri` = http://127.0.0.1:<port>/serve/<name> (on cachix.org it is
// https://<name>.cachix.org). Faults are injectable per route for the tests.
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { zstdDecompressSync } from 'node:zlib'
import { fingerprint, verifySignature, type SigningKey } from '../../src/format/signing.js'
import { formatNix32Hash, parseHash, toNix32 } from '../../src/format/nix32.js'

export interface CachixCacheSpec {
  /** The managed cache's own key; undefined for a self-signed cache. */
  key?: SigningKey
  /** A self-signed cache's public key (`name:base64`), the one its clients sign with. */
  selfSignedPublicKey?: string
  isPublic: boolean
  upstreamHashes?: string[]
}

export interface CachixFault {
  method: string
  path: string
  status: number
  times: number
  retryAfter?: string
  body?: string
}

export interface CachixNarInfo {
  storePath: string
  narHash: string
  narSize: number
  references: string[]
  deriver: string
  fileHashHex: string
  fileSize: number
  sig: string
  file: Buffer
}

export interface CachixRequest {
  method: string
  url: string
  status: number
  authorization?: string
  contentMD5?: string
}

export interface CachixServer {
  /** `cachix+http://127.0.0.1:<port>/<name>` */
  uri(cache: string): string
  /** Where Nix pulls from, as the cache's `uri` says. */
  substituter(cache: string): string
  narinfos: Map<string, Map<string, CachixNarInfo>>
  /** Store paths in the order their completions came, per cache. */
  completed: Map<string, string[]>
  requests: CachixRequest[]
  faults: CachixFault[]
  /** Multipart uploads started and neither completed nor aborted. */
  openUploads(): number
  stop(): Promise<void>
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message)
  }
}

const MIN_PART = 5 * 1024 * 1024

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

export async function startCachixServer(opts: { caches: Record<string, CachixCacheSpec>; tokens: Record<string, Record<string, 'r' | 'rw'>>; storeDir?: string }): Promise<CachixServer> {
  const storeDir = opts.storeDir ?? '/nix/store'
  const narinfos = new Map<string, Map<string, CachixNarInfo>>(Object.keys(opts.caches).map((c) => [c, new Map()]))
  const completed = new Map<string, string[]>(Object.keys(opts.caches).map((c) => [c, []]))
  const uploads = new Map<string, { cache: string; uploadId: string; parts: Map<number, { md5: string; etag: string; data?: Buffer }>; signatures: Map<number, string> }>()
  const requests: CachixRequest[] = []
  const faults: CachixFault[] = []
  let base = ''

  const tokenOf = (req: IncomingMessage): string | undefined => {
    const h = req.headers.authorization ?? ''
    const bearer = /^Bearer\s+(.+)$/i.exec(h)
    if (bearer) return bearer[1]!.trim()
    const basic = /^Basic\s+(.+)$/i.exec(h)
    if (basic) {
      const d = Buffer.from(basic[1]!, 'base64').toString('utf8')
      return d.slice(d.indexOf(':') + 1)
    }
    return undefined
  }

  const allow = (req: IncomingMessage, cache: string, perm: 'r' | 'w'): CachixCacheSpec => {
    const spec = opts.caches[cache]
    const token = tokenOf(req)
    const grants = token === undefined ? undefined : opts.tokens[token]
    if (token !== undefined && grants === undefined) throw new HttpError(401, 'Unauthorized: invalid token')
    const granted = `${grants?.[cache] ?? ''}${spec?.isPublic ? 'r' : ''}`
    if (!spec) throw new HttpError(404, `Cache ${cache} does not exist`)
    if (!granted.includes(perm)) throw new HttpError(token === undefined ? 401 : 403, perm === 'w' ? 'Forbidden: the token has no write access to this cache' : 'Forbidden')
    return spec
  }

  const publicKeysOf = (spec: CachixCacheSpec): string[] => (spec.key ? [spec.key.publicKey] : [spec.selfSignedPublicKey!])

  function narinfoText(n: CachixNarInfo): string {
    const lines = [
      `StorePath: ${n.storePath}`,
      `URL: nar/${toNix32(Buffer.from(n.fileHashHex, 'hex'))}.nar.zst`,
      'Compression: zstd',
      `FileHash: sha256:${toNix32(Buffer.from(n.fileHashHex, 'hex'))}`,
      `FileSize: ${n.fileSize}`,
      `NarHash: ${n.narHash}`,
      `NarSize: ${n.narSize}`,
      `References: ${n.references.join(' ')}`,
      `Deriver: ${n.deriver}`,
      `Sig: ${n.sig}`
    ]
    return `${lines.join('\n')}\n`
  }

  async function handle(req: IncomingMessage, res: ServerResponse, record: CachixRequest): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x')
    const fault = faults.find((f) => f.method === req.method && url.pathname.startsWith(f.path) && f.times > 0)
    if (fault) {
      fault.times--
      await readBody(req)
      record.status = fault.status
      res.writeHead(fault.status, { 'Content-Type': 'text/plain', ...(fault.retryAfter ? { 'Retry-After': fault.retryAfter } : {}) })
      res.end(fault.body ?? 'injected by the test')
      return
    }
    const send = (status: number, body: string | Buffer, type = 'application/json', headers: Record<string, string> = {}): void => {
      record.status = status
      res.writeHead(status, { 'Content-Type': type, ...headers })
      res.end(body)
    }
    const p = url.pathname

    let m = /^\/api\/v1\/cache\/([^/]+)$/.exec(p)
    if (m && req.method === 'GET') {
      const spec = allow(req, m[1]!, 'r')
      send(200, JSON.stringify({ name: m[1], uri: `${base}serve/${m[1]}`, isPublic: spec.isPublic, publicSigningKeys: publicKeysOf(spec), githubUsername: 'test', permission: 'Write', preferredCompressionMethod: 'ZSTD' }))
      return
    }
    m = /^\/api\/v1\/cache\/([^/]+)\/narinfo$/.exec(p)
    if (m && req.method === 'POST') {
      const spec = allow(req, m[1]!, 'r')
      const hashes = JSON.parse((await readBody(req)).toString('utf8')) as string[]
      const held = narinfos.get(m[1]!)!
      send(200, JSON.stringify(hashes.filter((h) => !held.has(h) && !(spec.upstreamHashes ?? []).includes(h))))
      return
    }
    m = /^\/api\/v1\/cache\/([^/]+)\/multipart-nar$/.exec(p)
    if (m && req.method === 'POST') {
      allow(req, m[1]!, 'w')
      await readBody(req)
      if (!['zst', 'xz'].includes(url.searchParams.get('compression') ?? '')) throw new HttpError(400, 'compression must be xz or zst')
      const narId = randomUUID()
      const uploadId = randomBytes(12).toString('hex')
      uploads.set(narId, { cache: m[1]!, uploadId, parts: new Map(), signatures: new Map() })
      send(200, JSON.stringify({ narId, uploadId }))
      return
    }
    m = /^\/api\/v1\/cache\/([^/]+)\/multipart-nar\/([^/]+)$/.exec(p)
    if (m && req.method === 'POST') {
      allow(req, m[1]!, 'w')
      const up = uploads.get(m[2]!)
      if (!up || up.uploadId !== url.searchParams.get('uploadId')) throw new HttpError(404, 'NoSuchUpload')
      const partNumber = Number(url.searchParams.get('partNumber'))
      const { contentMD5 } = JSON.parse((await readBody(req)).toString('utf8')) as { contentMD5: string }
      const sig = randomBytes(8).toString('hex')
      up.signatures.set(partNumber, `${contentMD5}|${sig}`)
      send(200, JSON.stringify({ uploadUrl: `${base}s3/${m[2]}/${partNumber}?X-Amz-Signature=${sig}` }))
      return
    }
    m = /^\/s3\/([^/]+)\/(\d+)$/.exec(p)
    if (m && req.method === 'PUT') {
      record.contentMD5 = req.headers['content-md5'] as string | undefined
      const up = uploads.get(m[1]!)
      const partNumber = Number(m[2])
      const presigned = up?.signatures.get(partNumber)
      if (!up || !presigned || presigned !== `${record.contentMD5}|${url.searchParams.get('X-Amz-Signature')}`) throw new HttpError(403, 'SignatureDoesNotMatch')
      const data = await readBody(req)
      if (createHash('md5').update(data).digest('base64') !== record.contentMD5) throw new HttpError(400, 'BadDigest')
      const etag = `"${createHash('md5').update(data).digest('hex')}"`
      up.parts.set(partNumber, { md5: record.contentMD5!, etag, data })
      send(200, '', 'text/plain', { ETag: etag })
      return
    }
    m = /^\/api\/v1\/cache\/([^/]+)\/multipart-nar\/([^/]+)\/(complete|abort)$/.exec(p)
    if (m && req.method === 'POST') {
      allow(req, m[1]!, 'w')
      const up = uploads.get(m[2]!)
      if (!up || up.uploadId !== url.searchParams.get('uploadId')) throw new HttpError(404, 'NoSuchUpload')
      const body = await readBody(req)
      if (m[3] === 'abort') {
        uploads.delete(m[2]!)
        send(204, '')
        return
      }
      const { parts, narInfoCreate: n } = JSON.parse(body.toString('utf8')) as {
        parts: Array<{ partNumber: number; eTag: string }> | null
        narInfoCreate: { cStoreHash: string; cStoreSuffix: string; cNarHash: string; cNarSize: number; cFileHash: string; cFileSize: number; cReferences: string[]; cDeriver: string; cSig: string | null }
      }
      const chunks: Buffer[] = []
      for (const [i, part] of (parts ?? []).entries()) {
        const stored = up.parts.get(part.partNumber)
        if (!stored || stored.etag !== part.eTag) throw new HttpError(400, 'InvalidPart')
        if (i < (parts ?? []).length - 1 && stored.data!.length < MIN_PART) throw new HttpError(400, 'EntityTooSmall')
        chunks.push(stored.data!)
      }
      const file = Buffer.concat(chunks)
      if (file.length !== n.cFileSize || createHash('sha256').update(file).digest('hex') !== n.cFileHash) throw new HttpError(400, 'File hash or size mismatch')
      if (n.cNarSize <= 0) throw new HttpError(400, 'NAR size must be positive')
      const nar = zstdDecompressSync(file)
      if (nar.length !== n.cNarSize || formatNix32Hash(createHash('sha256').update(nar).digest()) !== formatNix32Hash(parseHash(n.cNarHash))) throw new HttpError(400, 'NAR hash mismatch')
      const cache = m[1]!
      const spec = opts.caches[cache]!
      const storePath = `${storeDir}/${n.cStoreHash}-${n.cStoreSuffix}`
      const fp = fingerprint(storePath, n.cNarHash, n.cNarSize, n.cReferences.map((r) => `${storeDir}/${r}`))
      let sig: string
      if (spec.key) sig = spec.key.sign(fp)
      else {
        const name = spec.selfSignedPublicKey!.split(':')[0]
        if (n.cSig === null) throw new HttpError(400, 'This cache is self-signed: narinfos need a signature')
        sig = `${name}:${n.cSig}`
        if (!verifySignature(spec.selfSignedPublicKey!, fp, sig)) throw new HttpError(400, 'Invalid signature')
      }
      narinfos.get(cache)!.set(n.cStoreHash, { storePath, narHash: n.cNarHash, narSize: n.cNarSize, references: n.cReferences, deriver: n.cDeriver, fileHashHex: n.cFileHash, fileSize: n.cFileSize, sig, file })
      completed.get(cache)!.push(storePath)
      uploads.delete(m[2]!)
      send(204, '')
      return
    }
    m = /^\/serve\/([^/]+)\/(nix-cache-info|([0-9a-z]{32})\.narinfo|nar\/([0-9a-z]{52})\.nar\.zst)$/.exec(p)
    if (m && (req.method === 'GET' || req.method === 'HEAD')) {
      allow(req, m[1]!, 'r')
      if (m[2] === 'nix-cache-info') return send(200, `StoreDir: ${storeDir}\nWantMassQuery: 1\nPriority: 41\n`, 'text/x-nix-cache-info')
      const held = narinfos.get(m[1]!)!
      if (m[3]) {
        const n = held.get(m[3])
        if (!n) throw new HttpError(404, 'Not found')
        return send(200, narinfoText(n), 'text/x-nix-narinfo')
      }
      const n = [...held.values()].find((x) => toNix32(Buffer.from(x.fileHashHex, 'hex')) === m![4])
      if (!n) throw new HttpError(404, 'Not found')
      return send(200, n.file, 'application/octet-stream')
    }
    throw new HttpError(404, 'Not found')
  }

  const server: Server = createServer((req, res) => {
    const record: CachixRequest = { method: req.method ?? '', url: req.url ?? '', status: 0, authorization: req.headers.authorization }
    handle(req, res, record)
      .catch((e: unknown) => {
        const err = e instanceof HttpError ? e : new HttpError(500, String(e))
        record.status = err.status
        if (!res.headersSent) {
          res.writeHead(err.status, { 'Content-Type': 'text/plain' })
          res.end(err.message)
        }
      })
      .finally(() => requests.push(record))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  base = `http://127.0.0.1:${port}/`
  return {
    uri: (cache) => `cachix+http://127.0.0.1:${port}/${cache}`,
    substituter: (cache) => `${base}serve/${cache}`,
    narinfos,
    completed,
    requests,
    faults,
    openUploads: () => uploads.size,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
