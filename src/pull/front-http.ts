import { Agent as HttpAgent, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { ServerTrouble, type CacheUpstream, type UpstreamAnswer, type UpstreamRequest } from './front.js'

/**
 * The front's upstream for an HTTP(S) binary cache (front.ts): one request per ask, on kept-alive
 * connections, with the cache's credentials added here (Nix never sees them).
 */
export function httpUpstream(remoteUrl: string, auth: () => Promise<Record<string, string>>): CacheUpstream {
  const remote = new URL(remoteUrl.replace(/\/+$/, '') + '/')
  const request = remote.protocol === 'https:' ? httpsRequest : httpRequest
  const agent = remote.protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true })
  // Asked once, on the first request; a failure means no credentials (the cache then says 401).
  let authHeaders: Promise<Record<string, string>> | undefined
  const target = (key: string): URL => new URL(key, remote)
  return {
    where: (key) => {
      const t = target(key)
      return `${t.origin}${t.pathname}`
    },
    async get(key: string, req: UpstreamRequest, signal: AbortSignal): Promise<UpstreamAnswer> {
      authHeaders ??= auth().catch(() => ({}))
      const headers = { ...req.headers, ...(await authHeaders), 'User-Agent': 'nix-buildtime-cache' }
      return new Promise<UpstreamAnswer>((resolve, reject) => {
        const up = request(target(key), { method: req.method, headers, agent, signal }, (res) => {
          const status = res.statusCode ?? 502
          if (status >= 500) {
            res.resume()
            reject(new ServerTrouble(`HTTP ${status}`, status))
            return
          }
          resolve({ status, headers: res.headers, body: res })
        })
        up.once('error', reject)
        up.end()
      })
    },
    close: () => agent.destroy()
  }
}
