import { randomBytes } from 'node:crypto'
import { Agent as HttpAgent, createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import type { AddressInfo } from 'node:net'
import { JobBudget, type FailureKind } from '../runtime/budget.js'
import { log } from '../runtime/host.js'
import { RequestGuard, RequestTimeout } from '../runtime/request.js'
import { RetryableHttpError } from '../runtime/retry.js'
import { seconds } from '../runtime/units.js'

/**
 * The agent's front for an HTTP(S) binary cache the job's Nix pulls from (issue 20). Nix waits
 * 300 s per attempt (curl's stalled-download-timeout) on a cache that accepts connections and
 * never answers, and retries; the user's own downloads must keep those waits, so they are not
 * shortened in Nix. Instead Nix pulls from this loopback server, which passes every answer
 * through unchanged (Nix checks the cache's own signatures with the cache's keys: the local URL
 * is trusted by nothing), under its own bounds: no sign of life (connection, headers, body bytes)
 * for `idleMs`, and the request is given up. The first request that fails so opens the front's
 * breaker: from then on every narinfo and NAR is "not here" (404) at once, and Nix builds
 * instead. So a cache that dies during the job costs the build one idle timeout, not minutes.
 */

export interface FrontOptions {
  /** The cache's URL, without credentials. */
  remote: string
  /** Headers that authenticate to the cache (the agent holds its credentials; Nix gets none). Asked once. */
  auth: () => Promise<Record<string, string>>
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
class ServerTrouble extends RetryableHttpError {}

/** Nix closed its connection: not the cache's fault, and nothing to count. */
class ClientGone extends Error {}

/** Headers of one hop only (RFC 9110 7.6.1), which a proxy does not pass on. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-authenticate', 'proxy-authorization'])

function passOn(headers: IncomingHttpHeaders): Record<string, string | string[]> {
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

export async function serveCacheFront(opts: FrontOptions): Promise<CacheFront> {
  const remote = new URL(opts.remote.replace(/\/+$/, '') + '/')
  const secret = randomBytes(16).toString('hex')
  const prefix = `/${secret}/`
  const request = remote.protocol === 'https:' ? httpsRequest : httpRequest
  const agent = remote.protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true })
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
  let authHeaders: Promise<Record<string, string>> | undefined

  const unavailable = (): string | undefined => down ?? (opts.jobGaveUp() ? `the job gave up on the cache (${opts.jobGaveUp()})` : undefined)

  /** Said in the cache's place when it cannot be asked: Nix would otherwise try to create it, and fail the build. */
  const sayCacheInfo = (req: IncomingMessage, res: ServerResponse): void => {
    const body = cacheInfo ?? Buffer.from(`StoreDir: ${opts.storeDir}\n`)
    res.writeHead(200, { 'Content-Type': 'text/x-nix-cache-info', 'Content-Length': body.length })
    res.end(req.method === 'HEAD' ? undefined : body)
  }

  const forward = async (rest: string, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = new URL(rest, remote)
    const what = `${req.method} ${target.origin}${target.pathname}`
    authHeaders ??= opts.auth().catch(() => ({}))
    const headers: Record<string, string> = { ...(await authHeaders), 'User-Agent': 'nix-buildtime-cache' }
    for (const h of ['accept', 'accept-encoding', 'range', 'if-none-match', 'if-modified-since']) {
      const v = req.headers[h]
      if (typeof v === 'string') headers[h] = v
    }
    const isCacheInfo = rest === 'nix-cache-info'
    await guard.run(what, (a) =>
      new Promise<void>((resolve, reject) => {
        const up = request(target, { method: req.method, headers, agent, signal: a.signal }, (upRes) => {
          a.touch()
          const status = upRes.statusCode ?? 502
          if (status >= 500) {
            upRes.resume()
            reject(new ServerTrouble(`HTTP ${status}`, status))
            return
          }
          res.writeHead(status, passOn(upRes.headers))
          const kept: Buffer[] = []
          let keptBytes = 0
          upRes.on('data', (chunk: Buffer) => {
            a.touch()
            if (isCacheInfo && status === 200 && (keptBytes += chunk.length) <= MAX_CACHE_INFO) kept.push(chunk)
            if (!res.write(chunk)) {
              // Nix reading slowly is no fault of the cache's: the wait for it is not idleness.
              upRes.pause()
              const waiting = setInterval(() => a.touch(), 250)
              const resume = (): void => {
                clearInterval(waiting)
                a.touch()
                upRes.resume()
              }
              res.once('drain', resume)
              res.once('close', () => clearInterval(waiting))
            }
          })
          upRes.once('end', () => {
            if (kept.length > 0 && keptBytes <= MAX_CACHE_INFO) cacheInfo = Buffer.concat(kept)
            res.end()
            resolve()
          })
          upRes.once('error', reject)
        })
        up.once('error', reject)
        res.once('close', () => {
          if (!res.writableFinished) {
            up.destroy()
            reject(new ClientGone('the client went away'))
          }
        })
        up.end()
      })
    )
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
      await forward(rest, req, res)
    } catch (e) {
      if (e instanceof ClientGone) return
      if (down === undefined) {
        down = `${causeOf(e)} from ${remote.origin}${remote.pathname}${rest}`
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
        agent.destroy()
      })
  }
}
