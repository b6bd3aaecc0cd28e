// A binary cache over HTTP (GET/HEAD serve a directory, PUT writes it, atomically or in place)
// with scripted faults: statuses (500, 429 with Retry-After, 403…), connections cut mid-body, and
// hangs that accept the connection and never answer. The directory is a real `file://` cache, so
// tests can verify it with Nix afterwards.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join, normalize } from 'node:path'
import { pipeline } from 'node:stream/promises'

export type Fault =
  | { kind: 'status'; status: number; retryAfter?: string }
  /**
   * Reads part of the request body (PUT) or sends part of the response (GET), then drops the
   * connection. A PUT to a server that writes in place leaves the first half of the body under the
   * final name.
   */
  | { kind: 'cut' }
  /** Accepts the request and never answers (nor reads a PUT body). */
  | { kind: 'hang' }

export interface FaultRule {
  method?: string
  /** Matched against the request path. */
  path?: RegExp
  fault: Fault
  /** How many matching requests get the fault; every one when omitted. */
  times?: number
}

export interface Served {
  method: string
  path: string
  /** The status sent, or the fault applied. */
  outcome: number | 'cut' | 'hang'
  at: number
}

export interface FaultServerOptions {
  /**
   * How a PUT body reaches its name. 'atomic' (the default, as nginx's WebDAV module does): into a
   * temporary file, renamed into place once the body is complete. 'in-place' (as a naive WebDAV or
   * PUT handler does): straight into the file under its final name, so an upload cut mid-body
   * leaves a partial file that GET and HEAD then serve like any other. Neither honours
   * `If-None-Match`.
   */
  writes?: 'atomic' | 'in-place'
}

export class FaultServer {
  readonly log: Served[] = []
  private rules: Array<FaultRule & { used: number }> = []
  private server: Server | undefined
  private readonly sockets = new Set<Socket>()
  private readonly writes: 'atomic' | 'in-place'
  port = 0

  constructor(
    readonly root: string,
    opts: FaultServerOptions = {}
  ) {
    this.writes = opts.writes ?? 'atomic'
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  /** Replaces the scripted faults (each rule counts its own uses). */
  script(...rules: FaultRule[]): void {
    this.rules = rules.map((r) => ({ ...r, used: 0 }))
  }

  count(method: string, path?: RegExp): number {
    return this.log.filter((r) => r.method === method && (!path || path.test(r.path))).length
  }

  async start(): Promise<void> {
    await mkdir(this.root, { recursive: true })
    this.server = createServer((req, res) => void this.handle(req, res))
    this.server.on('connection', (s) => {
      this.sockets.add(s)
      s.on('close', () => this.sockets.delete(s))
    })
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    const addr = this.server.address()
    this.port = typeof addr === 'object' && addr !== null ? addr.port : 0
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
  }

  private fault(method: string, path: string): Fault | undefined {
    for (const r of this.rules) {
      if (r.method && r.method !== method) continue
      if (r.path && !r.path.test(path)) continue
      if (r.times !== undefined && r.used >= r.times) continue
      r.used++
      return r.fault
    }
    return undefined
  }

  /**
   * An in-place write the connection dies in the middle of: the first half of the body (by its
   * Content-Length, else of what arrived first) is written under the final name, then the
   * connection is dropped without an answer.
   */
  private async keepFirstHalf(req: IncomingMessage, file: string): Promise<void> {
    const declared = Number(req.headers['content-length'])
    const chunks: Buffer[] = []
    let received = 0
    const half = await new Promise<Buffer>((resolve) => {
      const done = (): void => {
        const all = Buffer.concat(chunks)
        resolve(all.subarray(0, Math.floor((Number.isFinite(declared) && declared > 0 ? declared : all.length) / 2)))
      }
      req.on('data', (c: Buffer) => {
        chunks.push(c)
        received += c.length
        if (!Number.isFinite(declared) || received >= declared / 2) done()
      })
      req.once('end', done)
      req.once('error', done)
    })
    req.socket.destroy()
    await mkdir(dirname(file), { recursive: true })
    await writeFile(file, half)
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET'
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
    const record = (outcome: Served['outcome']): void => void this.log.push({ method, path, outcome, at: Date.now() })
    const file = join(this.root, normalize(path))
    const fault = this.fault(method, path)
    if (fault?.kind === 'hang') {
      record('hang')
      return
    }
    if (fault?.kind === 'cut') {
      record('cut')
      if (method === 'PUT' && this.writes === 'in-place' && file.startsWith(this.root)) {
        await this.keepFirstHalf(req, file)
      } else if (method === 'PUT') {
        req.once('data', () => req.socket.destroy())
        req.once('end', () => req.socket.destroy())
      } else {
        res.writeHead(200, { 'Content-Length': '1000000' })
        res.write('partial')
        setTimeout(() => req.socket.destroy(), 20)
      }
      return
    }
    if (fault?.kind === 'status') {
      req.resume()
      record(fault.status)
      res.writeHead(fault.status, fault.retryAfter ? { 'Retry-After': fault.retryAfter } : {})
      res.end()
      return
    }
    if (!file.startsWith(this.root)) {
      record(400)
      res.writeHead(400).end()
      return
    }
    if (method === 'PUT' && this.writes === 'in-place') {
      await mkdir(dirname(file), { recursive: true })
      try {
        await pipeline(req, createWriteStream(file))
        record(201)
        res.writeHead(201).end()
      } catch {
        // The client went away mid-body: what arrived stays under the name.
        record('cut')
      }
      return
    }
    if (method === 'PUT') {
      await mkdir(dirname(file), { recursive: true })
      const tmp = `${file}.part-${process.hrtime.bigint()}`
      try {
        await pipeline(req, createWriteStream(tmp))
        await rename(tmp, file)
        record(201)
        res.writeHead(201).end()
      } catch {
        // The client went away mid-body: nothing is published under the name.
        await rm(tmp, { force: true })
        record('cut')
      }
      return
    }
    req.resume()
    try {
      const st = await stat(file)
      if (!st.isFile()) throw new Error('not a file')
      record(200)
      res.writeHead(200, { 'Content-Length': String(st.size) })
      if (method === 'HEAD') res.end()
      else createReadStream(file).pipe(res)
    } catch {
      record(404)
      res.writeHead(404).end()
    }
  }
}

export async function startFaultServer(root: string, opts: FaultServerOptions = {}): Promise<FaultServer> {
  const s = new FaultServer(root, opts)
  await s.start()
  return s
}
