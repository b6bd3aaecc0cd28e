import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { DEFAULT_SUBSTITUTER_PORT } from '../../config/inputs.js'
import type { LazyLayers } from './lazy.js'


export interface LocalSubstituter {
  /** `http://127.0.0.1:<port>`, without the `?trusted=1` Nix is given. */
  url: string
  close(): Promise<void>
}

const NARINFO = /^\/([0-9a-df-np-sv-z]{32})\.narinfo$/
const NAR = /^\/nar\/[0-9a-df-np-sv-z]{52}\.nar$/

/**
 * A read-only binary cache on loopback over the lazily restored layers. Narinfos of paths no
 * layer holds are answered 404 at once; the others wait for their layer. NARs are served from the
 * merged binary cache, where a narinfo is only ever served after its NAR was verified.
 */
export async function serveLazyLayers(layers: LazyLayers, binaryCache: string, port = DEFAULT_SUBSTITUTER_PORT): Promise<LocalSubstituter> {
  const server = createServer((req, res) => {
    handle(layers, binaryCache, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500)
      res.end()
    })
  })
  await listen(server, port)
  const { port: bound } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
  }
}

/** The stable port when it is free, else any: a second use of the action in a job still works. */
async function listen(server: Server, port: number): Promise<void> {
  const attempt = (p: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const onError = (e: Error): void => reject(e)
      server.once('error', onError)
      server.listen(p, '127.0.0.1', () => {
        server.off('error', onError)
        resolve()
      })
    })
  try {
    await attempt(port)
  } catch (e) {
    if (port === 0 || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e
    await attempt(0)
  }
}

async function handle(layers: LazyLayers, dir: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD' }).end()
    return
  }
  const path = new URL(req.url ?? '/', 'http://localhost').pathname
  if (path === '/nix-cache-info') return sendFile(join(dir, 'nix-cache-info'), 'text/x-nix-cache-info', req, res)
  const narinfo = NARINFO.exec(path)
  if (narinfo) {
    if (!(await layers.lookup(narinfo[1]!))) {
      res.writeHead(404).end()
      return
    }
    return sendFile(join(dir, `${narinfo[1]}.narinfo`), 'text/x-nix-narinfo', req, res)
  }
  if (NAR.test(path)) return sendFile(join(dir, path), 'application/x-nix-nar', req, res)
  res.writeHead(404).end()
}

async function sendFile(file: string, type: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let size: number
  try {
    size = (await stat(file)).size
  } catch {
    res.writeHead(404).end()
    return
  }
  res.writeHead(200, { 'Content-Type': type, 'Content-Length': size })
  if (req.method === 'HEAD') {
    res.end()
    return
  }
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res)
}
