// A stand-in niks3 server and its bucket on loopback, written from the server's source (Mic92/niks3
// @ 780939adecefc2f84be700a6f9ae1cc9385ad240):
// - routes: server/server.go:284-310; GET /api/cache-config without auth (server/cache_config.go);
//   everything else behind AuthMiddleware: `Authorization: Bearer <token>`, the prefix compared
//   case-sensitively, a plain-text 401 "Unauthorized" otherwise (server/server.go:127-185);
// - POST /api/pending_closures {closure, objects:[{key,type,refs,nar_size?}]}: the closure key
//   ends in .narinfo, keys are checked per type (server/upload_key.go), objects the bucket holds
//   are left out of `pending_objects`; a NAR over 10 MiB gets multipart_info with one part URL per
//   10 MiB, anything else a presigned_url (server/uploads.go:53-151, server/pending_multipart.go);
// - POST /api/multipart/request-parts and /api/multipart/complete (server/uploads.go:153-285);
// - POST /api/pending_closures/{id}/sign {narinfos}: each key must belong to the closure, else
//   403 "invalid narinfo key: not part of this pending closure"; the fingerprint needs nar_hash as
//   sha256:<nix32> and full reference paths (server/uploads.go:487-590, signing/fingerprint.go);
// - POST /api/pending_closures/{id}/complete: 404 "pending closure not found" once cleaned up
//   (server/uploads.go:601-640); `expireNext` makes the next closure one the server cleans up
//   before it is signed, as its 1 h cleanup does to a slow client;
// - HEAD /api/objects/{key}: 204 or 404 (server/uploads.go:403-426);
// - the bucket: presigned PUTs keep their Content-Encoding, GETs under /cache/ serve it back as S3
//   does (the substituter_url).
import { createHash, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fingerprint, type SigningKey } from '../../src/format/signing.js'

export interface Niks3Request {
  method: string
  url: string
  status: number
  authorization?: string
  contentEncoding?: string
}

export interface Niks3Server {
  endpoint: string
  uri: string
  substituter: string
  bucket: Map<string, { body: Buffer; encoding?: string }>
  requests: Niks3Request[]
  /** Closures committed, by their closure key, in order. */
  committed: string[]
  expireNext: boolean
  faults: Array<{ method: string; path: string; status: number; times: number; retryAfter?: string }>
  stop(): Promise<void>
}

const PART = 10 << 20
const NARINFO_KEY = /^[0-9a-df-np-sv-z]{32}\.narinfo$/
const NAR_KEY = /^nar\/[0-9a-df-np-sv-z]{52}\.nar(\.(xz|zst|bz2|br))?$/

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message)
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

export async function startNiks3Server(opts: { key: SigningKey; token: string; storeDir?: string }): Promise<Niks3Server> {
  const storeDir = opts.storeDir ?? '/nix/store'
  const bucket = new Map<string, { body: Buffer; encoding?: string }>([['nix-cache-info', { body: Buffer.from(`StoreDir: ${storeDir}\nWantMassQuery: 1\nPriority: 30\n`) }]])
  const closures = new Map<string, { closure: string; keys: Set<string>; expired: boolean }>()
  const presigned = new Map<string, string>()
  const multiparts = new Map<string, { key: string; parts: Map<number, Buffer> }>()
  const requests: Niks3Request[] = []
  const committed: string[] = []
  let nextId = 1
  let base = ''

  const presign = (key: string, query = ''): string => {
    const sig = randomBytes(8).toString('hex')
    presigned.set(sig, key)
    return `${base}cache/${key}?X-Amz-Signature=${sig}${query}`
  }

  const state: Niks3Server = {
    endpoint: '',
    uri: '',
    substituter: '',
    bucket,
    requests,
    committed,
    expireNext: false,
    faults: [],
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }

  async function handle(req: IncomingMessage, res: ServerResponse, record: Niks3Request): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x')
    const p = url.pathname
    const send = (status: number, body: string | Buffer = '', headers: Record<string, string> = {}): void => {
      record.status = status
      res.writeHead(status, headers)
      res.end(body)
    }
    const json = (body: unknown): void => send(200, JSON.stringify(body), { 'Content-Type': 'application/json' })
    const fault = state.faults.find((f) => f.method === req.method && p.startsWith(f.path) && f.times > 0)
    if (fault) {
      fault.times--
      await readBody(req)
      return send(fault.status, 'injected by the test', { 'Content-Type': 'text/plain', ...(fault.retryAfter ? { 'Retry-After': fault.retryAfter } : {}) })
    }

    if (p === '/api/cache-config' && req.method === 'GET') return json({ substituter_url: state.substituter, public_keys: [opts.key.publicKey] })

    if (p.startsWith('/api/')) {
      const auth = req.headers.authorization ?? ''
      if (!auth.startsWith('Bearer ') || auth.slice('Bearer '.length) !== opts.token) throw new HttpError(401, 'Unauthorized')
      if (p === '/api/pending_closures' && req.method === 'POST') {
        const body = await readBody(req)
        if (body.length > 128 << 20) throw new HttpError(413, 'request body exceeds 134217728 bytes')
        const r = JSON.parse(body.toString('utf8')) as { closure?: string; objects?: Array<{ key: string; type: string; refs: string[]; nar_size?: number }> }
        if (!r.closure) throw new HttpError(400, 'missing closure key')
        if (!r.closure.endsWith('.narinfo')) throw new HttpError(400, 'closure key must end with .narinfo')
        if (!r.objects?.length) throw new HttpError(400, 'missing objects key')
        const pending: Record<string, unknown> = {}
        for (const o of r.objects) {
          const valid = o.type === 'narinfo' ? NARINFO_KEY.test(o.key) : o.type === 'nar' ? NAR_KEY.test(o.key) : false
          if (!valid) throw new HttpError(400, `invalid object key "${o.key}" for type "${o.type}"`)
          if (bucket.has(o.key)) continue
          if (o.type === 'nar' && (o.nar_size ?? 0) > PART) {
            const uploadId = randomBytes(8).toString('hex')
            multiparts.set(uploadId, { key: o.key, parts: new Map() })
            const n = Math.ceil((o.nar_size ?? 0) / PART)
            pending[o.key] = { type: o.type, multipart_info: { upload_id: uploadId, part_urls: Array.from({ length: n }, (_, i) => presign(o.key, `&uploadId=${uploadId}&partNumber=${i + 1}`)) } }
          } else pending[o.key] = { type: o.type, presigned_url: presign(o.key) }
        }
        const id = String(nextId++)
        closures.set(id, { closure: r.closure, keys: new Set(Object.keys(pending)), expired: state.expireNext })
        state.expireNext = false
        return json({ id, started_at: new Date().toISOString(), pending_objects: pending })
      }
      if (p === '/api/multipart/request-parts' && req.method === 'POST') {
        const r = JSON.parse((await readBody(req)).toString('utf8')) as { object_key: string; upload_id: string; start_part_number: number; num_parts: number }
        if (!multiparts.has(r.upload_id)) throw new HttpError(404, 'upload not found')
        return json({ part_urls: Array.from({ length: r.num_parts }, (_, i) => presign(r.object_key, `&uploadId=${r.upload_id}&partNumber=${r.start_part_number + i}`)) })
      }
      if (p === '/api/multipart/complete' && req.method === 'POST') {
        const r = JSON.parse((await readBody(req)).toString('utf8')) as { object_key: string; upload_id: string; parts: Array<{ part_number: number; etag: string }> }
        const up = multiparts.get(r.upload_id)
        if (!up || !r.parts?.length) throw new HttpError(400, 'missing parts')
        const sorted = [...r.parts].sort((a, b) => a.part_number - b.part_number)
        const chunks = sorted.map((part) => {
          const data = up.parts.get(part.part_number)
          if (!data || `"${createHash('md5').update(data).digest('hex')}"` !== part.etag) throw new HttpError(500, 'failed to complete multipart upload: InvalidPart')
          return data
        })
        bucket.set(r.object_key, { body: Buffer.concat(chunks) })
        multiparts.delete(r.upload_id)
        return send(204)
      }
      const sign = /^\/api\/pending_closures\/(\d+)\/sign$/.exec(p)
      if (sign && req.method === 'POST') {
        const c = closures.get(sign[1]!)
        const r = JSON.parse((await readBody(req)).toString('utf8')) as { narinfos: Record<string, { store_path: string; nar_hash: string; nar_size: number; references: string[] }> }
        const signatures: Record<string, string[]> = {}
        for (const [key, meta] of Object.entries(r.narinfos)) {
          if (!c || c.expired || !c.keys.has(key)) throw new HttpError(403, 'invalid narinfo key: not part of this pending closure')
          if (!/^sha256:[0-9a-df-np-sv-z]{52}$/.test(meta.nar_hash)) throw new HttpError(500, 'failed to sign narinfo: nar hash must be sha256 nix32')
          if (meta.references.some((ref) => !ref.startsWith(`${storeDir}/`))) throw new HttpError(500, 'failed to sign narinfo: references must be full store paths')
          signatures[key] = [opts.key.sign(fingerprint(meta.store_path, meta.nar_hash, meta.nar_size, meta.references))]
        }
        return json({ signatures })
      }
      const complete = /^\/api\/pending_closures\/(\d+)\/complete$/.exec(p)
      if (complete && req.method === 'POST') {
        const c = closures.get(complete[1]!)
        if (!c || c.expired) throw new HttpError(404, 'pending closure not found')
        closures.delete(complete[1]!)
        committed.push(c.closure)
        return send(204)
      }
      const object = /^\/api\/objects\/(.+)$/.exec(p)
      if (object && req.method === 'HEAD') return send(bucket.has(object[1]!) ? 204 : 404)
      throw new HttpError(404, '404 page not found')
    }

    const obj = /^\/cache\/(.+)$/.exec(p)
    if (obj && req.method === 'PUT') {
      const key = presigned.get(url.searchParams.get('X-Amz-Signature') ?? '')
      if (key !== obj[1]) throw new HttpError(403, 'SignatureDoesNotMatch')
      const body = await readBody(req)
      record.contentEncoding = req.headers['content-encoding']
      const etag = `"${createHash('md5').update(body).digest('hex')}"`
      const uploadId = url.searchParams.get('uploadId')
      if (uploadId) multiparts.get(uploadId)?.parts.set(Number(url.searchParams.get('partNumber')), body)
      else bucket.set(key, { body, encoding: record.contentEncoding })
      return send(200, '', { ETag: etag })
    }
    if (obj && (req.method === 'GET' || req.method === 'HEAD')) {
      const o = bucket.get(obj[1]!)
      if (!o) throw new HttpError(404, 'NoSuchKey')
      return send(200, o.body, o.encoding ? { 'Content-Encoding': o.encoding } : {})
    }
    throw new HttpError(404, 'Not found')
  }

  const server: Server = createServer((req, res) => {
    const record: Niks3Request = { method: req.method ?? '', url: req.url ?? '', status: 0, authorization: req.headers.authorization }
    handle(req, res, record)
      .catch((e: unknown) => {
        const err = e instanceof HttpError ? e : new HttpError(500, String(e))
        record.status = err.status
        if (!res.headersSent) {
          res.writeHead(err.status, { 'Content-Type': 'text/plain; charset=utf-8' })
          res.end(`${err.message}\n`)
        }
      })
      .finally(() => requests.push(record))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  base = `http://127.0.0.1:${port}/`
  state.endpoint = base
  state.uri = `niks3+http://127.0.0.1:${port}`
  state.substituter = `${base}cache`
  return state
}
