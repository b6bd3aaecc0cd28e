import { accessSync, constants, existsSync } from 'node:fs'
import { join, resolve as resolvePath } from 'node:path'
import { runNix } from './cli.js'

/** Where the store the job's Nix uses lives on disk, so we can read it without going through Nix. */
export interface StoreLocation {
  /** The `store` setting as Nix reports it (`auto`, `daemon`, `/tmp/root`, `local?root=…`). */
  uri: string
  /** The logical store directory written into store paths. */
  storeDir: string
  /** Where the store's files physically are (differs from storeDir for chroot stores). */
  realStoreDir: string
  /** The physical path of the Nix database. */
  dbPath: string
  /** A daemon store is read through the daemon; its database may not be readable to us. */
  viaDaemon: boolean
}

export function parseNixConfig(text: string): Map<string, string> {
  const settings = new Map<string, string>()
  for (const line of text.split('\n')) {
    const i = line.indexOf(' = ')
    if (i > 0) settings.set(line.slice(0, i).trim(), line.slice(i + 3).trim())
  }
  return settings
}

export interface StoreEnv {
  NIX_STORE_DIR?: string
  NIX_STATE_DIR?: string
  NIX_REMOTE?: string
  HOME?: string
  XDG_DATA_HOME?: string
}

/** What `auto` needs to know about the machine; the real one looks at the filesystem. */
export interface AutoProbe {
  writable(dir: string): boolean
  exists(path: string): boolean
}

interface ParsedStore {
  /** `auto`, `daemon` (also `unix://…`), `local` (also `local://…` and bare paths), or another scheme. */
  kind: 'auto' | 'daemon' | 'local' | 'other'
  /** A local store's root given in the URL itself (`/r`, `local:///r`). */
  root?: string
  params: Map<string, string>
}

function percentDecode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

/**
 * Nix's `decodeQuery`: `&`-separated `k=v`, percent-decoded. Not URLSearchParams, which would
 * turn a `+` in a path into a space.
 */
function parseParams(query: string): Map<string, string> {
  const params = new Map<string, string>()
  for (const part of query.split('&')) {
    if (part === '') continue
    const eq = part.indexOf('=')
    if (eq > 0) params.set(percentDecode(part.slice(0, eq)), percentDecode(part.slice(eq + 1)))
  }
  return params
}

/**
 * Every way Nix 2.3 to 2.35, Lix and Determinate spell a store: `auto`, `daemon`, `local`, a bare
 * path, `unix://[socket]`, and from 2.34 on the renderings of `nix config show`: a bare path `/r`
 * becomes `local:///r`, `local?root=/r` becomes `local://?root=/r` and `daemon?root=/r` becomes
 * `unix://?root=/r` (NixOS/nix `src/libstore/store-reference.cc` `parse()`/`render()`).
 */
function parseStoreUri(uri: string): ParsedStore {
  const q = uri.indexOf('?')
  const base = q >= 0 ? uri.slice(0, q) : uri
  const params = parseParams(q >= 0 ? uri.slice(q + 1) : '')
  if (base === '' || base === 'auto') return { kind: 'auto', params }
  if (base === 'daemon') return { kind: 'daemon', params }
  if (base === 'local') return { kind: 'local', params }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/.exec(base)
  if (scheme) {
    // For unix:// the part after the scheme is the socket, not a root.
    if (scheme[1] === 'unix') return { kind: 'daemon', params }
    if (scheme[1] === 'local') return { kind: 'local', root: scheme[2] ? percentDecode(scheme[2]) : undefined, params }
    return { kind: 'other', params }
  }
  // A path (anything with a slash that is not a URL) is a local store rooted there.
  if (base.includes('/')) return { kind: 'local', root: resolvePath(base), params }
  return { kind: 'other', params }
}

/** The chroot store Nix 2.4+ falls back to on Linux when /nix does not exist (`auto`). */
function defaultChrootRoot(env: StoreEnv): string | undefined {
  const data = env.XDG_DATA_HOME || (env.HOME ? join(env.HOME, '.local/share') : undefined)
  return data ? join(data, 'nix/root') : undefined
}

/**
 * Pure (given the probe): resolve a `store` setting to its physical location the way Nix's
 * LocalFSStoreConfig does (`src/libstore/include/nix/store/local-fs-store.hh`, the same since
 * 2.3): `store` is the logical store directory; `root` prefixes `/nix/store` and `/nix/var/nix`;
 * `state` and `real` override the state directory and the physical store directory.
 * `auto` opens the store directly when its state directory is writable, else the daemon when its
 * socket exists, else (Linux) the chroot store under ~/.local/share/nix/root.
 */
export function resolveStore(uri: string, env: StoreEnv = {}, probe?: AutoProbe, platform: NodeJS.Platform = process.platform): StoreLocation {
  const effective = uri === '' || uri === 'auto' ? env.NIX_REMOTE || 'auto' : uri
  const parsed = parseStoreUri(effective)
  const { params } = parsed
  const storeDir = (params.get('store') || env.NIX_STORE_DIR || '/nix/store').replace(/\/+$/, '')
  let root = params.get('root') || parsed.root
  let viaDaemon = parsed.kind === 'daemon'
  if (parsed.kind === 'auto' && probe && !root) {
    const stateDir = params.get('state') || env.NIX_STATE_DIR || '/nix/var/nix'
    const chroot = defaultChrootRoot(env)
    if (probe.writable(stateDir)) viaDaemon = false
    else if (probe.exists(join(stateDir, 'daemon-socket/socket'))) viaDaemon = true
    else if (platform === 'linux' && !probe.exists(storeDir) && chroot && probe.exists(join(chroot, 'nix/store'))) root = chroot
  }
  const stateDir = params.get('state') || (root ? join(root, 'nix/var/nix') : env.NIX_STATE_DIR || '/nix/var/nix')
  return {
    uri: effective,
    storeDir,
    realStoreDir: params.get('real') || (root ? join(root, 'nix/store') : storeDir),
    dbPath: join(stateDir, 'db/db.sqlite'),
    viaDaemon
  }
}

let config: Promise<Map<string, string>> | undefined

/**
 * The settings in force, as the job's Nix sees them (nix.conf plus NIX_CONFIG). Asked once per
 * step: the store location and the trust checks both need them. `nix show-config` is
 * `nix config show` from 2.20 on, with the old name a deprecated alias that warns; so the new
 * name is asked first, and 2.3–2.19 answer the old one.
 */
export function nixConfig(): Promise<Map<string, string>> {
  config ??= showConfig(process.env)
  return config
}

/** The name this Nix answers to, once known: a second ask (the daemon's view) tries it first. */
let configCommand: string[] | undefined

async function showConfig(env: NodeJS.ProcessEnv): Promise<Map<string, string>> {
  const names = [['config', 'show'], ['show-config']]
  for (const args of configCommand ? [configCommand, ...names.filter((n) => n !== configCommand)] : names) {
    const r = await runNix('nix', args, { allowFailure: true, env })
    if (r.exitCode === 0) {
      configCommand = args
      return parseNixConfig(r.stdout)
    }
  }
  return new Map<string, string>()
}

let systemConfig: Promise<Map<string, string>> | undefined

/**
 * The settings a Nix daemon started on this machine has: nix.conf without the job's NIX_CONFIG
 * and without user configuration files (an empty NIX_USER_CONF_FILES lists none, from 2.4).
 */
export function daemonConfig(): Promise<Map<string, string>> {
  const env: NodeJS.ProcessEnv = { ...process.env, NIX_USER_CONF_FILES: '' }
  delete env.NIX_CONFIG
  systemConfig ??= showConfig(env)
  return systemConfig
}

/** Asks the job's Nix (honouring NIX_CONFIG and nix.conf) which store it uses. */
export async function locateStore(): Promise<StoreLocation> {
  return resolveStore((await nixConfig()).get('store') ?? '', process.env, fsProbe)
}

const fsProbe: AutoProbe = {
  writable(dir) {
    try {
      accessSync(dir, constants.W_OK)
      return true
    } catch {
      return false
    }
  },
  exists: (path) => existsSync(path)
}
