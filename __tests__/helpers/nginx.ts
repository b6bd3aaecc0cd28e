// A real nginx serving a directory over HTTP with WebDAV PUT: a stand-in for an
// http(s) binary cache (Attic/S3-gateway style) in end-to-end tests.
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import { freePort, waitForHttp } from './ports.js'
import { killTree, removeAtExit, spawnTracked } from './proc.js'
import { removeTree, SYSTEM_PATH } from './nix-store.js'

export const NGINX = '/usr/sbin/nginx'

export type NginxAuth = { user: string; password: string } | { bearerToken: string }

export interface NginxOptions {
  /** Directory served at / and written by PUT. */
  root: string
  /** Require HTTP basic auth or a bearer token for every request. */
  auth?: NginxAuth
  /** Raw nginx directives added inside `location /` (e.g. to inject failures). */
  extraLocationConfig?: string
}

export interface AccessEntry {
  method: string
  /** The request URI as sent (path and query). */
  uri: string
  status: number
  /** Request length in bytes (headers and body). */
  requestLength: number
  /** Response body bytes sent. */
  bytesSent: number
}

export interface Nginx {
  /** http://127.0.0.1:<port> (no trailing slash) */
  url: string
  port: number
  root: string
  /** Directory with nginx.conf, pid file and logs. */
  dir: string
  /** Stops nginx (idempotent). Its temp dir (logs) is kept until the test process exits. */
  stop(): Promise<void>
  /** The access log, one line per finished request: `METHOD URI STATUS REQUEST_LENGTH BYTES_SENT`. */
  accessLog(): Promise<string[]>
  /** The access log parsed. */
  requests(): Promise<AccessEntry[]>
  /** nginx's error log. */
  errorLog(): Promise<string>
}

const TOKEN_RE = /^[A-Za-z0-9._~+/=-]+$/

function authConfig(auth: NginxAuth | undefined, htpasswd: string): string {
  if (!auth) return ''
  if ('bearerToken' in auth) {
    if (!TOKEN_RE.test(auth.bearerToken)) throw new Error('bearer token must match ' + String(TOKEN_RE))
    return `if ($http_authorization != "Bearer ${auth.bearerToken}") { return 401; }`
  }
  return `auth_basic "test cache"; auth_basic_user_file ${htpasswd};`
}

function nginxConf(dir: string, port: number, opts: NginxOptions): string {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  return `${isRoot ? 'user root root;' : ''}
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} info;
events { worker_connections 256; }
http {
  default_type application/octet-stream;
  log_format e2e '$request_method $request_uri $status $request_length $body_bytes_sent';
  access_log ${join(dir, 'access.log')} e2e;
  client_body_temp_path ${join(dir, 'tmp', 'body')};
  proxy_temp_path ${join(dir, 'tmp', 'proxy')};
  fastcgi_temp_path ${join(dir, 'tmp', 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'tmp', 'uwsgi')};
  scgi_temp_path ${join(dir, 'tmp', 'scgi')};
  server {
    listen 127.0.0.1:${port};
    server_name localhost;
    root ${opts.root};
    location / {
      dav_methods PUT DELETE;
      create_full_put_path on;
      dav_access user:rw group:r all:r;
      client_max_body_size 0;
      client_body_buffer_size 1m;
      ${authConfig(opts.auth, join(dir, 'htpasswd'))}
      ${opts.extraLocationConfig ?? ''}
    }
  }
}
`
}

async function startOnce(dir: string, opts: NginxOptions): Promise<{ child: ChildProcess; port: number; url: string } | 'port-in-use'> {
  const port = await freePort()
  const conf = join(dir, 'nginx.conf')
  await writeFile(conf, nginxConf(dir, port, opts))
  const child = spawnTracked(NGINX, ['-p', dir, '-e', join(dir, 'error.log'), '-c', conf, '-g', 'daemon off;'], {
    env: { PATH: SYSTEM_PATH },
    cwd: dir
  })
  let stderr = ''
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()))
  child.stdout?.resume()
  let exited = false
  child.on('exit', () => (exited = true))
  const url = `http://127.0.0.1:${port}`
  try {
    await waitForHttp(url + '/', 10000, () => !exited)
    return { child, port, url }
  } catch (e) {
    killTree(child, 'SIGKILL')
    const log = stderr + (await readFile(join(dir, 'error.log'), 'utf8').catch(() => ''))
    if (/Address already in use/.test(log)) return 'port-in-use'
    throw new Error(`nginx did not start: ${(e as Error).message}\n${log}`, { cause: e })
  }
}

/** Starts nginx on a free loopback port serving opts.root, and waits until it answers. */
export async function startNginx(opts: NginxOptions): Promise<Nginx> {
  const dir = await mkdtemp(join(tmpdir(), 'nginx-e2e-'))
  removeAtExit(dir)
  await mkdir(join(dir, 'tmp'))
  await mkdir(opts.root, { recursive: true })
  if (opts.auth && 'user' in opts.auth) {
    const sha = createHash('sha1').update(opts.auth.password).digest('base64')
    await writeFile(join(dir, 'htpasswd'), `${opts.auth.user}:{SHA}${sha}\n`)
  }
  let started: Awaited<ReturnType<typeof startOnce>> = 'port-in-use'
  for (let attempt = 0; attempt < 5 && started === 'port-in-use'; attempt++) started = await startOnce(dir, opts)
  if (started === 'port-in-use') {
    await removeTree(dir)
    throw new Error('nginx: no free port found')
  }
  const { child, port, url } = started
  let stopped: Promise<void> | undefined
  const accessLog = async (): Promise<string[]> =>
    (await readFile(join(dir, 'access.log'), 'utf8').catch(() => '')).split('\n').filter((l) => l !== '')

  return {
    url,
    port,
    root: opts.root,
    dir,
    accessLog,
    async requests() {
      return (await accessLog()).map((line) => {
        const [method = '', uri = '', status = '0', requestLength = '0', bytesSent = '0'] = line.split(' ')
        return { method, uri, status: Number(status), requestLength: Number(requestLength), bytesSent: Number(bytesSent) }
      })
    },
    errorLog: () => readFile(join(dir, 'error.log'), 'utf8').catch(() => ''),
    stop() {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const exit = once(child, 'exit')
          killTree(child, 'SIGTERM')
          const timer = setTimeout(() => killTree(child, 'SIGKILL'), 5000)
          await exit
          clearTimeout(timer)
        }
      })()
      return stopped
    }
  }
}
