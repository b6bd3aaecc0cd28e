import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Readable } from 'node:stream'
import { JobBudget, type FailureKind } from '../runtime/budget.js'
import { log } from '../runtime/host.js'
import { RequestGuard, RequestTimeout, type Attempt } from '../runtime/request.js'
import { RetryableHttpError } from '../runtime/retry.js'
import { seconds } from '../runtime/units.js'

/**
 * The agent's front for the binary cache the job's Nix pulls from (issue 20). Nix waits
 * 300 s per attempt (curl's stalled-download-timeout, or its S3 client's timeouts) on a cache
 * that accepts connections and never answers, and retries; the user's own downloads must keep
 * those waits, so they are not shortened in Nix. Instead Nix pulls from this loopback server,
 * which passes every answer through unchanged (Nix checks the cache's own signatures with the
 * cache's keys: the local URL is trusted by nothing), under its own bounds: no sign of life
 * (connection, headers, body bytes) for `idleMs`, and the request is given up. The first request
 * that fails so opens the front's breaker: from then on every narinfo and NAR is "not here" (404)
 * at once, and Nix builds instead. So a cache that dies during the job costs the build one idle
 * timeout, not minutes. How the cache is asked is the upstream's business (front-http.ts,
 * front-s3.ts): the front's flow is the same for every kind.
 */

/** What the front passes on of Nix's request. */
export interface UpstreamRequest {
  method: 'GET' | 'HEAD'
  /** Lower-case names: accept, accept-encoding, range, if-none-match, if-modified-since, as Nix sent them. */
  headers: Record<string, string>
}

/** The cache's answer, before its body has been read. */
export interface UpstreamAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  /** None for a HEAD or an answer without one. */
  body?: Readable
}

/** One kind of cache the front can ask: an HTTP(S) server, an S3 bucket. */
export interface CacheUpstream {
  /** Where a key is, for messages (`https://host/path/key`, `s3://bucket/key`); never with credentials. */
  where(key: string): string
  /**
   * Asks for `key` (a path below the cache's root: `nix-cache-info`, `<hash>.narinfo`, `nar/…`),
   * resolving once the answer's status and headers are in. A 5xx rejects with `ServerTrouble`;
   * any other answer resolves, 404 included. `signal` ends the request, body included.
   */
  get(key: string, request: UpstreamRequest, signal: AbortSignal): Promise<UpstreamAnswer>
  close(): void
}

export interface FrontOptions {
  /** The cache, and how it is asked (with its credentials: the agent holds them, Nix gets none). */
  upstream: CacheUpstream
  /** For the `nix-cache-info` said in the cache's place when it cannot be asked. */
  storeDir: string
  /** No sign of life for this long, and a request is given up. */
  idleMs: number
  /** Why the job has given up on the cache (the shared breaker), if it has. */
  jobGaveUp: () => string | undefined
  /** The time the front waited on the cache when it gave it up, for the job's budget: the post step then has that much less to spend on the same dead cache. */
  charge?: (ms: number, why: string) => void
  port?: number
}

export interface CacheFront {
  /** `http://127.0.0.1:<port>/<secret>`: the secret path keeps other local users off the cache's credentials, and Nix's narinfo cache per job. */
  url: string
  /** Why the front answers "not here" without asking, once it does. */
  readonly down: string | undefined
  close(): Promise<void>
}

/** The cache answered 5xx: trouble, as no answer is. */
export class ServerTrouble extends RetryableHttpError {}

/** Nix closed its connection: not the cache's fault, and nothing to count. */
class ClientGone extends Error {}

/** Headers of one hop only (RFC 9110 7.6.1), which a proxy does not pass on. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-authenticate', 'proxy-authorization'])

function passOn(headers: UpstreamAnswer['headers']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v
  return out
}

function kindOf(e: unknown): FailureKind | undefined {
  if (e instanceof ClientGone) return undefined
  if (e instanceof RequestTimeout) return 'timeout'
  if (e instanceof ServerTrouble) return 'server-error'
  return 'connection'
}

function causeOf(e: unknown): string {
  if (e instanceof RequestTimeout) return `no answer for ${seconds(e.idleMs)}`
  return e instanceof Error ? e.message : String(e)
}

/** nix-cache-info is tiny; anything longer is not kept (only passed on). */
const MAX_CACHE_INFO = 64 * 1024

/** The request headers of Nix's that the cache may act on; the rest (its User-Agent, Host) are the front's own business. */
const PASSED_REQUEST_HEADERS = ['accept', 'accept-encoding', 'range', 'if-none-match', 'if-modified-since']

/**
 * Streams the answer's body to Nix, every chunk a sign of life, and waits for its end. Nix
 * reading slowly is no fault of the cache's: the wait for it is not idleness.
 */
function relayBody(body: Readable, res: ServerResponse, a: Attempt, keep?: (chunk: Buffer) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    body.on('data', (chunk: Buffer) => {
      a.touch()
      keep?.(chunk)
      if (!res.write(chunk)) {
        body.pause()
        const waiting = setInterval(() => a.touch(), 250)
        const resume = (): void => {
          clearInterval(waiting)
          a.touch()
          body.resume()
        }
        res.once('drain', resume)
        res.once('close', () => clearInterval(waiting))
      }
    })
    body.once('end', () => {
      res.end()
      resolve()
    })
    body.once('error', reject)
    // A body the upstream's own client does not end on abort (or ends late) is ended here.
    const abort = (): void => {
      body.destroy()
      reject(a.signal.reason as Error)
    }
    if (a.signal.aborted) abort()
    else a.signal.addEventListener('abort', abort, { once: true })
  })
}

export async function serveCacheFront(opts: FrontOptions): Promise<CacheFront> {
  const { upstream } = opts
  const secret = randomBytes(16).toString('hex')
  const prefix = `/${secret}/`
  // Its own breaker, apart from the job's budget: the time a dead front costs is already bounded
  // here, and a blip during the build must not spend the post step's budget for pushing.
  const budget = new JobBudget({ budgetMs: Number.MAX_SAFE_INTEGER, breakerThreshold: 1 })
  const guard = new RequestGuard({
    budget,
    idleMs: opts.idleMs,
    followDeadline: false,
    retry: { attempts: 1 },
    verdict: kindOf,
    isTrouble: (e) => kindOf(e) !== undefined,
    cause: causeOf
  })
  let down: string | undefined
  let cacheInfo: Buffer | undefined

  const unavailable = (): string | undefined => down ?? (opts.jobGaveUp() ? `the job gave up on the cache (${opts.jobGaveUp()})` : undefined)

  /** Said in the cache's place when it cannot be asked: Nix would otherwise try to create it, and fail the build. */
  const sayCacheInfo = (req: IncomingMessage, res: ServerResponse): void => {
    const body = cacheInfo ?? Buffer.from(`StoreDir: ${opts.storeDir}\n`)
    res.writeHead(200, { 'Content-Type': 'text/x-nix-cache-info', 'Content-Length': body.length })
    res.end(req.method === 'HEAD' ? undefined : body)
  }

  const forward = async (key: string, method: 'GET' | 'HEAD', req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const headers: Record<string, string> = {}
    for (const h of PASSED_REQUEST_HEADERS) {
      const v = req.headers[h]
      if (typeof v === 'string') headers[h] = v
    }
    await guard.run(`${method} ${upstream.where(key)}`, async (a) => {
      // Nix hanging up ends the request to the cache too; the guard's abort (idle) does as well.
      const call = new AbortController()
      let clientGone = false
      const onAbort = (): void => call.abort(a.signal.reason)
      a.signal.addEventListener('abort', onAbort, { once: true })
      const onClose = (): void => {
        if (res.writableFinished) return
        clientGone = true
        call.abort(new ClientGone('the client went away'))
      }
      res.once('close', onClose)
      try {
        const answer = await upstream.get(key, { method, headers }, call.signal)
        a.touch()
        if (key === 'nix-cache-info' && (answer.status === 404 || answer.status === 403)) {
          // A new, empty cache: Nix would write one itself (a PUT, which the front refuses) and,
          // failing, warn that the URL "does not appear to be a binary cache" and skip it.
          answer.body?.destroy()
          sayCacheInfo(req, res)
          return
        }
        res.writeHead(answer.status, passOn(answer.headers))
        if (answer.body === undefined || method === 'HEAD') {
          answer.body?.destroy()
          res.end()
          return
        }
        const kept: Buffer[] = []
        let keptBytes = 0
        const keep =
          key === 'nix-cache-info' && answer.status === 200
            ? (chunk: Buffer): void => {
                if ((keptBytes += chunk.length) <= MAX_CACHE_INFO) kept.push(chunk)
              }
            : undefined
        await relayBody(answer.body, res, { ...a, signal: call.signal }, keep)
        if (kept.length > 0 && keptBytes <= MAX_CACHE_INFO) cacheInfo = Buffer.concat(kept)
      } catch (e) {
        if (clientGone) throw new ClientGone('the client went away')
        throw e
      } finally {
        a.signal.removeEventListener('abort', onAbort)
        res.off('close', onClose)
      }
    })
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').replace(/[?#].*$/, '')
    if (!path.startsWith(prefix)) {
      res.writeHead(404).end()
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end()
      return
    }
    const rest = path.slice(prefix.length)
    const gone = unavailable()
    if (gone !== undefined) {
      if (rest === 'nix-cache-info') sayCacheInfo(req, res)
      else res.writeHead(404).end()
      return
    }
    const startedAt = Date.now()
    try {
      await forward(rest, req.method, req, res)
    } catch (e) {
      if (e instanceof ClientGone) return
      if (down === undefined) {
        down = `${causeOf(e)} from ${upstream.where(rest)}`
        opts.charge?.(Date.now() - startedAt, down)
        log.warning(`The cache stopped answering the job's Nix (${down}): for the rest of the job, Nix builds what it would have pulled from it.`)
      }
      if (res.headersSent) res.destroy()
      else if (rest === 'nix-cache-info') sayCacheInfo(req, res)
      else res.writeHead(404).end()
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500)
      res.end()
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/${secret}`,
    get down() {
      return down
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
        upstream.close()
      })
  }
}
