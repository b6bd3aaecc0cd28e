// Loopback ports and readiness checks for test servers.
import { request } from 'node:http'
import { createServer } from 'node:net'

/** A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address()
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))))
    })
  })
}

export interface HttpResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

export interface HttpRequestOptions {
  method?: string
  headers?: Record<string, string>
  /** A string/Buffer is sent with Content-Length; an array is sent chunked, one chunk per item. */
  body?: string | Buffer | readonly (string | Buffer)[]
  timeoutMs?: number
}

/** One HTTP request with node:http; rejects on connection errors and timeouts. */
export function httpRequest(url: string, opts: HttpRequestOptions = {}): Promise<HttpResponse> {
  return new Promise<HttpResponse>((resolve, reject) => {
    const headers: Record<string, string> = { ...opts.headers }
    if (Array.isArray(opts.body)) headers['Transfer-Encoding'] = 'chunked'
    const req = request(url, { method: opts.method ?? 'GET', headers, timeout: opts.timeoutMs ?? 10000 }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (b: Buffer) => chunks.push(b))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)))
    req.on('error', reject)
    const body = opts.body
    if (Array.isArray(body)) {
      for (const chunk of body as readonly (string | Buffer)[]) req.write(chunk)
      req.end()
    } else {
      req.end(body as string | Buffer | undefined)
    }
  })
}

/** One HTTP request; resolves with the status code, or undefined if nothing answered. */
export async function httpStatus(url: string, method = 'HEAD', headers: Record<string, string> = {}): Promise<number | undefined> {
  try {
    return (await httpRequest(url, { method, headers, timeoutMs: 2000 })).status
  } catch {
    return undefined
  }
}

/**
 * Polls until an HTTP server answers at url (any status). `alive` is checked between tries
 * so that a server that died stops the wait early. Throws after timeoutMs.
 */
export async function waitForHttp(url: string, timeoutMs = 10000, alive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`server for ${url} exited before answering`)
    if ((await httpStatus(url)) !== undefined) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`nothing answered at ${url} within ${timeoutMs} ms`)
}
