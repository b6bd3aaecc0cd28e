import { createReadStream } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { DEFAULT_SUBSTITUTER_PORT } from '../../config/inputs.js'
import { withSignatures } from '../../format/narinfo-signature.js'
import type { SigningKey } from '../../format/signing.js'
import type { LazyLayers } from './lazy.js'


export interface LocalSubstituter {
  /** `http://127.0.0.1:<port>`: Nix trusts what it serves by signature, never by URL. */
  url: string
  close(): Promise<void>
}

const NARINFO = /^\/([0-9a-df-np-sv-z]{32})\.narinfo$/
const NAR = /^\/nar\/[0-9a-df-np-sv-z]{52}\.nar$/

export interface ServeOptions {
  port?: number
  /** Every narinfo is served signed by these (serving-key.ts); its own signatures stay. */
  keys: readonly SigningKey[]
  storeDir: string
}

/**
 * A read-only binary cache on loopback over the lazily restored layers. Narinfos of paths no
 * layer holds are answered 404 at once; the others wait for their layer. NARs are served from the
 * merged binary cache, where a narinfo is only ever served after its NAR was verified.
 */
export async function serveLazyLayers(layers: LazyLayers, binaryCache: string, opts: ServeOptions): Promise<LocalSubstituter> {
  const port = opts.port ?? DEFAULT_SUBSTITUTER_PORT
  const server = createServer((req, res) => {
    handle(layers, binaryCache, opts, req, res).catch(() => {
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

async function handle(layers: LazyLayers, dir: string, opts: ServeOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
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
    return sendNarInfo(join(dir, `${narinfo[1]}.narinfo`), opts, req, res)
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

/** Narinfos are small: each is read, signed for this job, and sent whole. */
async function sendNarInfo(file: string, opts: ServeOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body: Buffer
  try {
    body = Buffer.from(withSignatures(await readFile(file, 'utf8'), opts.storeDir, opts.keys))
  } catch {
    res.writeHead(404).end()
    return
  }
  res.writeHead(200, { 'Content-Type': 'text/x-nix-narinfo', 'Content-Length': body.length })
  res.end(req.method === 'HEAD' ? undefined : body)
}
