import { join } from 'node:path'
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

/** Pure: resolve a `store` setting to its physical location. */
export function resolveStore(
  uri: string,
  env: { NIX_STORE_DIR?: string; NIX_STATE_DIR?: string; NIX_REMOTE?: string } = {}
): StoreLocation {
  const storeDir = env.NIX_STORE_DIR || '/nix/store'
  const stateDir = env.NIX_STATE_DIR || '/nix/var/nix'
  const effective = uri === '' || uri === 'auto' ? env.NIX_REMOTE || 'auto' : uri
  const [scheme, query = ''] = effective.split('?', 2)
  const params = new URLSearchParams(query)
  // `root` is a setting of every store whose files are local: local, daemon and unix:// stores.
  const root = scheme.startsWith('/') ? scheme : (params.get('root') ?? '')
  const viaDaemon = scheme === 'daemon' || scheme.startsWith('unix://')
  return {
    uri: effective,
    storeDir,
    realStoreDir: root ? join(root, storeDir) : storeDir,
    dbPath: root ? join(root, 'nix/var/nix/db/db.sqlite') : join(stateDir, 'db/db.sqlite'),
    viaDaemon
  }
}

let config: Promise<Map<string, string>> | undefined

/**
 * The settings in force, as the job's Nix sees them (nix.conf plus NIX_CONFIG). Asked once per
 * step: the store location and the trust checks both need them. `nix show-config` is
 * `nix config show` from 2.20 on, with the old name kept as an alias for now.
 */
export function nixConfig(): Promise<Map<string, string>> {
  config ??= (async () => {
    for (const args of [['show-config'], ['config', 'show']]) {
      const r = await runNix('nix', args, { allowFailure: true })
      if (r.exitCode === 0) return parseNixConfig(r.stdout)
    }
    return new Map<string, string>()
  })()
  return config
}

/** Asks the job's Nix (honouring NIX_CONFIG and nix.conf) which store it uses. */
export async function locateStore(): Promise<StoreLocation> {
  return resolveStore((await nixConfig()).get('store') ?? '', process.env)
}
