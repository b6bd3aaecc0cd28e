// A stand-in for the GitHub Actions cache service (v2), on loopback, for the real @actions/cache
// client inside the bundled action. It speaks what the client uses:
//   POST /twirp/github.actions.results.api.v1.CacheService/{CreateCacheEntry,
//        FinalizeCacheEntryUpload, GetCacheEntryDownloadURL}   (JSON, snake_case fields)
//   PUT  <signed upload URL>   single shot (x-ms-blob-type: BlockBlob) or comp=block / comp=blocklist
//   GET  <signed download URL>
// It also models what GitHub documents about scopes: an entry belongs to the ref that wrote it,
// and a job reads its own ref first, then the refs it may fall back to (a pull request's base,
// the default branch). Faults (429 with Retry-After, 5xx, refusals) can be injected per method.
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

const TWIRP = '/twirp/github.actions.results.api.v1.CacheService/'

export type TwirpMethod = 'CreateCacheEntry' | 'FinalizeCacheEntryUpload' | 'GetCacheEntryDownloadURL'

export interface CacheEntry {
  id: number
  key: string
  version: string
  /** The ref whose job wrote the entry (its scope). */
  scope: string
  createdAt: number
  finalized: boolean
  /** The archive as uploaded (zstd- or gzip-compressed tar). */
  data: Buffer
  /** Blocks staged with comp=block, until comp=blocklist commits them. */
  blocks: Map<string, Buffer>
}

export interface LoggedRequest {
  at: number
  /** A twirp method, or UPLOAD / DOWNLOAD for the blob side. */
  method: TwirpMethod | 'UPLOAD' | 'DOWNLOAD'
  status: number
  key?: string
  /** For lookups: the key that matched, if any. */
  matched?: string
  /** The scope (ref) of the token that made the request. */
  scope?: string
}

export interface Fault {
  method: TwirpMethod
  status: number
  /** Value of the Retry-After header. */
  retryAfter?: string
  /** Twirp error message (`msg`). */
  message?: string
  /** How many requests in a row get this answer (default 1). */
  times?: number
}

/**
 * A download that goes wrong on the wire: `no-headers` accepts the request and never answers;
 * `stalled-body` sends the headers and half the archive, then nothing more.
 */
export interface DownloadFault {
  /** `slow-body`: not a fault, a slow link: the archive in ten pieces, `pauseMs` apart. */
  kind: 'no-headers' | 'stalled-body' | 'slow-body'
  pauseMs?: number
  /** Only downloads of this key. */
  key?: string
  /** How many matching downloads get it (default 1). */
  times?: number
}

/** Which refs a job's token may write and read (in lookup order). */
export interface TokenScope {
  ref: string
  /** Refs searched after `ref`, e.g. a pull request's base branch. */
  fallbacks?: string[]
}

export interface GhaCacheServer {
  /** ACTIONS_RESULTS_URL, with the trailing slash the runner gives it. */
  readonly url: string
  /** The runner variables that point @actions/cache at this server for a job on `scope`. */
  env(scope?: TokenScope): Record<string, string>
  /** Finalized entries, oldest first. */
  entries(): CacheEntry[]
  readonly requests: LoggedRequest[]
  inject(fault: Fault): void
  /** Makes matching downloads hang (see DownloadFault); they are logged with status 0. */
  stallDownloads(fault: DownloadFault): void
  clearFaults(): void
  /** Deletes every entry with this key (as eviction would). */
  remove(key: string): void
  /** Replaces the stored archive of every entry with this key. */
  overwrite(key: string, data: Buffer): void
  /** Entries created (finalized) by CreateCacheEntry calls logged after `since` (an index into requests). */
  createdSince(since: number): LoggedRequest[]
  stop(): Promise<void>
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

export async function startGhaCacheServer(): Promise<GhaCacheServer> {
  const entries: CacheEntry[] = []
  const requests: LoggedRequest[] = []
  const faults: Fault[] = []
  const downloadFaults: DownloadFault[] = []
  /** Downloads held by a fault, let go (their connections cut) by clearFaults. */
  const held: ServerResponse[] = []
  const tokens = new Map<string, TokenScope>()
  const uploads = new Map<string, CacheEntry>()
  const downloads = new Map<string, CacheEntry>()
  let nextId = 1
  let base = ''

  const scopeOf = (req: IncomingMessage): TokenScope | undefined => {
    const auth = req.headers.authorization ?? ''
    return tokens.get(auth.replace(/^Bearer /, ''))
  }

  const lookup = (scope: TokenScope, version: string, key: string, restoreKeys: string[]): CacheEntry | undefined => {
    const newestFirst = entries.filter((e) => e.finalized && e.version === version).sort((a, b) => b.createdAt - a.createdAt || b.id - a.id)
    for (const ref of [scope.ref, ...(scope.fallbacks ?? [])]) {
      const inScope = newestFirst.filter((e) => e.scope === ref)
      const exact = inScope.find((e) => e.key === key)
      if (exact) return exact
      for (const prefix of [key, ...restoreKeys]) {
        const hit = inScope.find((e) => e.key.startsWith(prefix))
        if (hit) return hit
      }
    }
    return undefined
  }

  const twirp = async (req: IncomingMessage, res: ServerResponse, method: TwirpMethod): Promise<void> => {
    const body = JSON.parse((await readBody(req)).toString('utf8') || '{}') as Record<string, unknown>
    const key = typeof body.key === 'string' ? body.key : ''
    const version = typeof body.version === 'string' ? body.version : ''
    const scope = scopeOf(req)
    const log = (status: number, matched?: string): void => {
      requests.push({ at: Date.now(), method, status, key, matched, scope: scope?.ref })
    }
    if (!scope) {
      log(401)
      json(res, 401, { code: 'unauthenticated', msg: 'invalid token' })
      return
    }
    const fault = faults.find((f) => f.method === method)
    if (fault) {
      fault.times = (fault.times ?? 1) - 1
      if (fault.times <= 0) faults.splice(faults.indexOf(fault), 1)
      log(fault.status)
      json(res, fault.status, { code: 'error', msg: fault.message ?? 'injected fault' }, fault.retryAfter ? { 'Retry-After': fault.retryAfter } : {})
      return
    }
    if (method === 'CreateCacheEntry') {
      if (entries.some((e) => e.key === key && e.version === version && e.scope === scope.ref)) {
        log(409)
        json(res, 409, { code: 'already_exists', msg: 'cache entry with the same key, version, and scope already exists' })
        return
      }
      const entry: CacheEntry = { id: nextId++, key, version, scope: scope.ref, createdAt: Date.now(), finalized: false, data: Buffer.alloc(0), blocks: new Map() }
      entries.push(entry)
      // A unique sig per URL: the client masks it with setSecret.
      const sig = randomBytes(12).toString('hex')
      uploads.set(sig, entry)
      log(200)
      json(res, 200, { ok: true, signed_upload_url: `${base}upload/${entry.id}?sig=${sig}` })
      return
    }
    if (method === 'FinalizeCacheEntryUpload') {
      const entry = entries.find((e) => e.key === key && e.version === version && e.scope === scope.ref && !e.finalized)
      if (!entry) {
        log(404)
        json(res, 404, { code: 'not_found', msg: 'no such cache entry being created' })
        return
      }
      entry.finalized = true
      entry.createdAt = Date.now()
      log(200)
      json(res, 200, { ok: true, entry_id: String(entry.id) })
      return
    }
    const restoreKeys = Array.isArray(body.restore_keys) ? body.restore_keys.filter((k): k is string => typeof k === 'string') : []
    const hit = lookup(scope, version, key, restoreKeys)
    log(200, hit?.key)
    if (!hit) {
      json(res, 200, { ok: false })
      return
    }
    const sig = randomBytes(12).toString('hex')
    downloads.set(sig, hit)
    json(res, 200, { ok: true, signed_download_url: `${base}download/${hit.id}?sig=${sig}`, matched_key: hit.key })
  }

  const blob = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const sig = url.searchParams.get('sig') ?? ''
    if (req.method === 'PUT' && url.pathname.startsWith('/upload/')) {
      const entry = uploads.get(sig)
      const data = await readBody(req)
      if (!entry) {
        res.writeHead(403).end()
        return
      }
      const comp = url.searchParams.get('comp')
      if (comp === 'block') {
        entry.blocks.set(url.searchParams.get('blockid') ?? '', data)
      } else if (comp === 'blocklist') {
        const ids = [...data.toString('utf8').matchAll(/<(?:Latest|Committed|Uncommitted)>([^<]*)<\//g)].map((m) => m[1] ?? '')
        entry.data = Buffer.concat(ids.map((id) => entry.blocks.get(id) ?? Buffer.alloc(0)))
        entry.blocks.clear()
      } else {
        entry.data = data
      }
      requests.push({ at: Date.now(), method: 'UPLOAD', status: 201, key: entry.key })
      // The Azure SDK treats anything but 201 as a failed upload.
      res.writeHead(201, { 'Content-Length': 0 }).end()
      return
    }
    if (req.method === 'GET' && url.pathname.startsWith('/download/')) {
      const entry = downloads.get(sig)
      if (!entry || !entries.includes(entry)) {
        res.writeHead(404).end()
        return
      }
      const stall = downloadFaults.find((f) => f.key === undefined || f.key === entry.key)
      if (stall) {
        stall.times = (stall.times ?? 1) - 1
        if (stall.times <= 0) downloadFaults.splice(downloadFaults.indexOf(stall), 1)
        if (stall.kind === 'slow-body') {
          requests.push({ at: Date.now(), method: 'DOWNLOAD', status: 200, key: entry.key })
          res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': entry.data.length })
          const piece = Math.ceil(entry.data.length / 10)
          for (let at = 0; at < entry.data.length; at += piece) {
            res.write(entry.data.subarray(at, at + piece))
            await new Promise((resolve) => setTimeout(resolve, stall.pauseMs ?? 500))
          }
          res.end()
          return
        }
        requests.push({ at: Date.now(), method: 'DOWNLOAD', status: 0, key: entry.key })
        if (stall.kind === 'stalled-body') {
          res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': entry.data.length })
          res.write(entry.data.subarray(0, Math.floor(entry.data.length / 2)))
        }
        // Nothing more: the connection stays open until the client gives up, clearFaults cuts it, or the server stops.
        held.push(res)
        return
      }
      requests.push({ at: Date.now(), method: 'DOWNLOAD', status: 200, key: entry.key })
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': entry.data.length })
      res.end(entry.data)
      return
    }
    res.writeHead(404).end()
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const handle = url.pathname.startsWith(TWIRP)
      ? twirp(req, res, url.pathname.slice(TWIRP.length) as TwirpMethod)
      : blob(req, res, url)
    handle.catch((e: unknown) => {
      if (!res.headersSent) json(res, 500, { code: 'internal', msg: String(e) })
      else res.destroy()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`

  return {
    url: base,
    env(scope: TokenScope = { ref: 'refs/heads/main' }) {
      const token = `test-token-${randomBytes(8).toString('hex')}`
      tokens.set(token, scope)
      return {
        ACTIONS_RESULTS_URL: base,
        ACTIONS_CACHE_SERVICE_V2: 'True',
        ACTIONS_RUNTIME_TOKEN: token,
        GITHUB_REF: scope.ref
      }
    },
    entries: () => entries.filter((e) => e.finalized),
    requests,
    inject(fault) {
      faults.push({ ...fault })
    },
    stallDownloads(fault) {
      downloadFaults.push({ ...fault })
    },
    clearFaults() {
      faults.length = 0
      downloadFaults.length = 0
      for (const res of held.splice(0)) res.destroy()
    },
    remove(key) {
      for (let i = entries.length - 1; i >= 0; i--) if (entries[i]?.key === key) entries.splice(i, 1)
    },
    overwrite(key, data) {
      for (const e of entries) if (e.key === key) e.data = data
    },
    createdSince(since) {
      return requests.slice(since).filter((r) => r.method === 'FinalizeCacheEntryUpload' && r.status === 200)
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
