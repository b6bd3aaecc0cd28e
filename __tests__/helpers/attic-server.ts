// A stand-in Attic server on loopback, written from the server's source (zhaofengli/attic @
// b7c905657cb81b8ec9c26b0d9f53aa2e4f231810, see ../shared notes "cache-servers.md"): the routes,
// checks and errors a real client meets. Attic does not run on our machines (it needs a Rust
// toolchain and a database); what a client can observe is reproduced here:
// - routes: server/src/api/v1/mod.rs:16-24 (cache-config, get-missing-paths, upload-path) and
//   server/src/api/binary_cache.rs:280-285 (nix-cache-info, narinfo, nar), under `/{cache}/`;
// - auth: `Authorization: bearer <token>` (any case) or Basic with the token as password
//   (token/src/util.rs:8-30); a token that does not verify is ignored, not rejected
//   (server/src/access/http.rs:102-133); per-cache permissions r (pull) and w (push)
//   (token/src/lib.rs:161-205); cache-config needs r (server/src/api/v1/cache_config.rs:31),
//   get-missing-paths and upload-path need w (upload_path.rs:145);
// - errors: JSON {code, error, message} (server/src/error.rs:79-84,136-230): 401 Unauthorized
//   when the caller has no permission at all on the cache (which also hides whether it exists),
//   403 AccessError for a missing permission, 404 NoSuchCache / NoSuchObject, 400 RequestError
//   "Bad NAR Hash or Size" (upload_path.rs:207,378);
// - upload: the info in X-Attic-Nar-Info, or as a body preamble of X-Attic-Nar-Info-Preamble-Size
//   bytes, at most 1 MiB (upload_path.rs:96-137); the body is the raw NAR, of which nar_size bytes
//   are read and hashed (upload_path.rs:315,462); references are base names;
// - serving: narinfo with `URL: nar/<hash>.nar`, no FileHash/FileSize, signed at serve time with
//   the cache's key (binary_cache.rs:152-157, database/entity/object.rs:119-140).
// Stored NARs stay uncompressed here (the real server chunks and compresses them: invisible to a
// client). Faults (a status for the next N requests to a route) are injectable for the tests.
import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fingerprint, type SigningKey } from '../../src/format/signing.js'
import { formatNix32Hash, parseHash } from '../../src/format/nix32.js'

export interface AtticCacheSpec {
  key: SigningKey
  isPublic: boolean
  upstreamKeyNames?: string[]
}

/** Permissions per cache of one token: 'r', 'w', 'rw'. */
export type TokenGrants = Record<string, string>

export interface AtticFault {
  method: string
  /** A prefix of the request's path, e.g. `/_api/v1/upload-path`. */
  path: string
  status: number
  times: number
  retryAfter?: string
}

export interface AtticObject {
  storePath: string
  narHash: string
  narSize: number
  references: string[]
  nar: Buffer
  ca: string | null
}

export interface AtticRequest {
  method: string
  url: string
  status: number
  /** The Authorization header as sent (for checks that the token was, or was not, sent). */
  authorization?: string
  /** upload-path only: how the info came (header or preamble). */
  infoVia?: 'header' | 'preamble'
}

export interface AtticServer {
  /** http://127.0.0.1:<port>/ */
  endpoint: string
  uri(cache: string): string
  /** What each cache holds, by store path hash. */
  objects: Map<string, Map<string, AtticObject>>
  requests: AtticRequest[]
  /** Store paths in the order their uploads completed, per cache. */
  uploads: Map<string, string[]>
  faults: AtticFault[]
  stop(): Promise<void>
}

interface Caller {
  /** null: no token that verifies (anonymous). */
  grants: TokenGrants | null
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string
  ) {
    super(message)
  }
}

const MAX_PREAMBLE = 1024 * 1024

function callerOf(req: IncomingMessage, tokens: Record<string, TokenGrants>): Caller {
  const h = req.headers.authorization ?? ''
  const bearer = /^bearer\s+(.+)$/i.exec(h)
  const basic = /^basic\s+(.+)$/i.exec(h)
  let token: string | undefined
  if (bearer) token = bearer[1]!.trim()
  else if (basic) {
    const decoded = Buffer.from(basic[1]!.trim(), 'base64').toString('utf8')
    token = decoded.slice(decoded.indexOf(':') + 1)
  }
  // A token that does not verify is ignored, not rejected (access/http.rs).
  return { grants: token !== undefined ? (tokens[token] ?? null) : null }
}

function permissions(caller: Caller, cache: string, spec: AtticCacheSpec | undefined): string {
  const granted = caller.grants?.[cache] ?? ''
  return spec?.isPublic ? `${granted}r` : granted
}

/** access/mod.rs: no permission at all is 401 (hiding whether the cache exists); the wrong one 403. */
function require(caller: Caller, cache: string, spec: AtticCacheSpec | undefined, perm: 'r' | 'w'): AtticCacheSpec {
  const perms = permissions(caller, cache, spec)
  if (perms === '') throw new ApiError(401, 'Unauthorized', 'Unauthorized.')
  if (!spec) throw new ApiError(404, 'NoSuchCache', 'The requested cache does not exist.')
  if (!perms.includes(perm)) throw new ApiError(403, 'AccessError', `Access error: No ${perm === 'r' ? 'pull' : 'push'} permission.`)
  return spec
}

async function readBody(req: IncomingMessage, limit = Infinity): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const c of req) {
    size += (c as Buffer).length
    if (size > limit) throw new ApiError(413, 'RequestError', 'Payload too large')
    chunks.push(c as Buffer)
  }
  return Buffer.concat(chunks)
}

function narinfoText(obj: AtticObject, spec: AtticCacheSpec): string {
  const hash = createHash('sha256').update(obj.nar).digest()
  const nix32Hash = formatNix32Hash(hash)
  const refs = obj.references.map((r) => r.slice(r.lastIndexOf('/') + 1))
  const storeDir = obj.storePath.slice(0, obj.storePath.lastIndexOf('/'))
  const lines = [
    `StorePath: ${obj.storePath}`,
    `URL: nar/${obj.storePath.slice(storeDir.length + 1, storeDir.length + 33)}.nar`,
    'Compression: none',
    `NarHash: ${nix32Hash}`,
    `NarSize: ${obj.narSize}`,
    `References: ${refs.join(' ')}`,
    `Sig: ${spec.key.sign(fingerprint(obj.storePath, nix32Hash, obj.narSize, refs.map((r) => `${storeDir}/${r}`)))}`
  ]
  if (obj.ca) lines.push(`CA: ${obj.ca}`)
  return `${lines.join('\n')}\n`
}

export async function startAtticServer(opts: { caches: Record<string, AtticCacheSpec>; tokens: Record<string, TokenGrants>; storeDir?: string }): Promise<AtticServer> {
  const storeDir = opts.storeDir ?? '/nix/store'
  const objects = new Map<string, Map<string, AtticObject>>(Object.keys(opts.caches).map((c) => [c, new Map()]))
  const uploads = new Map<string, string[]>(Object.keys(opts.caches).map((c) => [c, []]))
  const requests: AtticRequest[] = []
  const faults: AtticFault[] = []
  let endpoint = ''

  async function handle(req: IncomingMessage, res: ServerResponse, record: AtticRequest): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x')
    const fault = faults.find((f) => f.method === req.method && url.pathname.startsWith(f.path) && f.times > 0)
    if (fault) {
      fault.times--
      await readBody(req).catch(() => undefined)
      res.writeHead(fault.status, { 'Content-Type': 'application/json', ...(fault.retryAfter ? { 'Retry-After': fault.retryAfter } : {}) })
      res.end(JSON.stringify({ code: fault.status, error: 'InjectedFault', message: 'injected by the test' }))
      record.status = fault.status
      return
    }
    const caller = callerOf(req, opts.tokens)
    const send = (status: number, body: string | Buffer, type: string): void => {
      record.status = status
      res.writeHead(status, { 'Content-Type': type })
      res.end(body)
    }
    const json = (status: number, body: unknown): void => send(status, JSON.stringify(body), 'application/json')

    const config = /^\/_api\/v1\/cache-config\/([^/]+)$/.exec(url.pathname)
    if (config && req.method === 'GET') {
      const name = config[1]!
      const spec = require(caller, name, opts.caches[name], 'r')
      json(200, {
        substituter_endpoint: endpoint,
        api_endpoint: endpoint,
        public_key: spec.key.publicKey,
        is_public: spec.isPublic,
        store_dir: storeDir,
        priority: 41,
        upstream_cache_key_names: spec.upstreamKeyNames ?? ['cache.nixos.org-1'],
        retention_period: { Global: null }
      })
      return
    }
    if (url.pathname === '/_api/v1/get-missing-paths' && req.method === 'POST') {
      const body = JSON.parse((await readBody(req, 2 * 1024 * 1024)).toString('utf8')) as { cache: string; store_path_hashes: string[] }
      require(caller, body.cache, opts.caches[body.cache], 'w')
      const held = objects.get(body.cache)!
      json(200, { missing_paths: body.store_path_hashes.filter((h) => !held.has(h)) })
      return
    }
    if (url.pathname === '/_api/v1/upload-path' && req.method === 'PUT') {
      const body = await readBody(req)
      let infoText: string
      let nar: Buffer
      const preamble = req.headers['x-attic-nar-info-preamble-size']
      if (typeof preamble === 'string') {
        const size = Number(preamble)
        if (!Number.isSafeInteger(size) || size > MAX_PREAMBLE) throw new ApiError(400, 'RequestError', 'Upload info preamble too large')
        infoText = body.subarray(0, size).toString('utf8')
        nar = body.subarray(size)
        record.infoVia = 'preamble'
      } else {
        const header = req.headers['x-attic-nar-info']
        if (typeof header !== 'string') throw new ApiError(400, 'RequestError', 'X-Attic-Nar-Info must be set')
        infoText = header
        nar = body
        record.infoVia = 'header'
      }
      const info = JSON.parse(infoText) as {
        cache: string
        store_path_hash: string
        store_path: string
        references: string[]
        nar_hash: string
        nar_size: number
        ca: string | null
      }
      require(caller, info.cache, opts.caches[info.cache], 'w')
      for (const r of info.references) if (r.includes('/')) throw new ApiError(400, 'RequestError', `Invalid store path base name: ${r}`)
      // Only the first nar_size bytes are read, then hashed (upload_path.rs:315,462).
      const read = nar.subarray(0, info.nar_size)
      const actual = createHash('sha256').update(read).digest()
      if (read.length !== info.nar_size || !actual.equals(parseHash(info.nar_hash))) {
        throw new ApiError(400, 'RequestError', 'Bad Request: Bad NAR Hash or Size')
      }
      const held = objects.get(info.cache)!
      const existed = held.has(info.store_path_hash)
      held.set(info.store_path_hash, { storePath: info.store_path, narHash: info.nar_hash, narSize: info.nar_size, references: info.references, nar: read, ca: info.ca })
      uploads.get(info.cache)!.push(info.store_path)
      json(200, existed ? { kind: 'Deduplicated' } : { kind: 'Uploaded', file_size: read.length, frac_deduplicated: 0 })
      return
    }
    const bin = /^\/([^/_][^/]*)\/(nix-cache-info|([0-9a-z]{32})\.narinfo|nar\/([0-9a-z]{32})\.nar)$/.exec(url.pathname)
    if (bin && (req.method === 'GET' || req.method === 'HEAD')) {
      const name = bin[1]!
      const spec = require(caller, name, opts.caches[name], 'r')
      if (bin[2] === 'nix-cache-info') {
        send(200, `StoreDir: ${storeDir}\nWantMassQuery: 1\nPriority: 41\n`, 'text/x-nix-cache-info')
        return
      }
      const obj = objects.get(name)!.get(bin[3] ?? bin[4] ?? '')
      if (!obj) throw new ApiError(404, 'NoSuchObject', 'The requested object does not exist.')
      if (bin[3]) send(200, narinfoText(obj, spec), 'text/x-nix-narinfo')
      else send(200, obj.nar, 'application/x-nix-nar')
      return
    }
    throw new ApiError(404, 'NotFound', 'Not found')
  }

  const server: Server = createServer((req, res) => {
    const record: AtticRequest = { method: req.method ?? '', url: req.url ?? '', status: 0, authorization: req.headers.authorization }
    handle(req, res, record)
      .catch((e: unknown) => {
        const err = e instanceof ApiError ? e : new ApiError(500, 'InternalServerError', String(e))
        record.status = err.status
        if (!res.headersSent) {
          res.writeHead(err.status, { 'Content-Type': 'application/json' })
          res.end(JSON.stringify({ code: err.status, error: err.error, message: err.message }))
        }
      })
      .finally(() => requests.push(record))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  endpoint = `http://127.0.0.1:${port}/`
  return {
    endpoint,
    uri: (cache) => `attic+http://127.0.0.1:${port}/${cache}`,
    objects,
    requests,
    uploads,
    faults,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
