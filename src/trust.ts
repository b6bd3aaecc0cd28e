import { userInfo } from 'node:os'
import { execCapture } from './exec.js'
import { runNix } from './nix/cli.js'
import { nixConfig, type StoreLocation } from './nix/store-location.js'
import { nixVersion } from './nix/version.js'

/**
 * How far the job's Nix trusts this user. Only root, single-user installs and trusted users may
 * add substituters and keys; a multi-user daemon silently drops them for everyone else.
 */
export type TrustLevel = 'single-user' | 'root' | 'trusted' | 'untrusted'

export interface TrustFacts {
  level: TrustLevel
  /** The daemon's `trusted-substituters`, as the client's configuration shows them. */
  trustedSubstituters: string[]
  /** The `trusted-public-keys` in force. */
  trustedPublicKeys: string[]
  /** Why we decided so, for the log. */
  reason: string
}

export interface TrustInputs {
  uid: number
  user: string
  groups: readonly string[]
  viaDaemon: boolean
  /** `trusted-users` from the configuration. */
  trustedUsers: readonly string[]
  /** What the daemon itself said (`nix store ping --json`, Nix 2.16+), when it said anything. */
  daemonSaysTrusted?: boolean
}

/** Pure: the decision, from plain facts. */
export function decideTrust(f: TrustInputs): { level: TrustLevel; reason: string } {
  if (!f.viaDaemon) return { level: 'single-user', reason: 'the store is opened directly (single-user)' }
  if (f.uid === 0) return { level: 'root', reason: 'running as root' }
  if (f.daemonSaysTrusted !== undefined) {
    return f.daemonSaysTrusted
      ? { level: 'trusted', reason: 'the Nix daemon reports this user as trusted' }
      : { level: 'untrusted', reason: `the Nix daemon reports ${f.user} as untrusted` }
  }
  if (f.trustedUsers.includes('*') || f.trustedUsers.includes(f.user)) {
    return { level: 'trusted', reason: `${f.user} is in trusted-users` }
  }
  const group = f.groups.find((g) => f.trustedUsers.includes(`@${g}`))
  if (group) return { level: 'trusted', reason: `${f.user} is in trusted-users through @${group}` }
  return { level: 'untrusted', reason: `${f.user} is not in trusted-users (${f.trustedUsers.join(' ') || 'empty'})` }
}

const words = (s: string | undefined): string[] => (s ?? '').split(/\s+/).filter((w) => w !== '')

async function daemonTrust(): Promise<boolean | undefined> {
  // `nix store info` (2.19+) and `nix store ping` (2.16+) report the daemon's own verdict.
  for (const cmd of [['store', 'info', '--json'], ['store', 'ping', '--json']]) {
    const r = await runNix('nix', cmd, { allowFailure: true })
    if (r.exitCode !== 0) continue
    try {
      const trusted = (JSON.parse(r.stdout) as { trusted?: number | boolean }).trusted
      if (trusted !== undefined && trusted !== null) return Boolean(trusted)
    } catch {
      // Not JSON: an older Nix. Fall back to the configuration.
    }
  }
  return undefined
}

async function groupsOf(): Promise<string[]> {
  const r = await execCapture('id', ['-Gn'])
  return r.exitCode === 0 ? words(r.stdout) : []
}

export async function detectTrust(store: StoreLocation): Promise<TrustFacts> {
  const settings = await nixConfig()
  const uid = process.getuid?.() ?? -1
  const viaDaemon = store.viaDaemon || (store.uri === 'auto' && uid !== 0 && !(await storeWritable(store)))
  const decision = decideTrust({
    uid,
    user: userInfo().username,
    groups: viaDaemon && uid !== 0 ? await groupsOf() : [],
    viaDaemon,
    trustedUsers: words(settings.get('trusted-users')),
    daemonSaysTrusted: viaDaemon && uid !== 0 ? await daemonTrust() : undefined
  })
  return {
    ...decision,
    trustedSubstituters: words(settings.get('trusted-substituters')),
    trustedPublicKeys: words(settings.get('trusted-public-keys'))
  }
}

/** With `auto`, Nix uses the daemon exactly when it cannot write the store's database itself. */
async function storeWritable(store: StoreLocation): Promise<boolean> {
  const { access, constants } = await import('node:fs/promises')
  try {
    await access(store.dbPath.replace(/db\.sqlite$/, ''), constants.W_OK)
    return true
  } catch {
    return false
  }
}

/** Determinate Nix names itself in `nix --version`: `nix (Determinate Nix 3.22.2) 2.35.2`. */
export async function isDeterminateNix(): Promise<boolean> {
  return (await nixVersion())?.implementation === 'determinate'
}
