import { userInfo } from 'node:os'
import { execCapture } from '../runtime/exec.js'
import { runNix } from '../nix/cli.js'
import { daemonConfig, type StoreLocation } from '../nix/store-location.js'
import { nixVersion } from '../nix/version.js'

/**
 * How far the job's Nix trusts this user. Only root, single-user installs and trusted users may
 * add substituters and keys; a multi-user daemon silently drops them for everyone else.
 */
export type TrustLevel = 'single-user' | 'root' | 'trusted' | 'untrusted'

export interface TrustFacts {
  level: TrustLevel
  /**
   * What the daemon lets an untrusted client use: its `trusted-substituters` and its own
   * `substituters`, read from the system configuration (nix.conf without NIX_CONFIG and user files).
   */
  trustedSubstituters: string[]
  /** From Nix 2.34 the daemon compares substituters as parsed store references, not strings. */
  structuralSubstituters: boolean
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
  /** What the daemon itself said (`nix store ping --json` from 2.15, `nix store info` from 2.19), when it said anything. */
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

/** The daemon's own verdict on this user, where the Nix version reports one. */
export async function daemonTrust(): Promise<boolean | undefined> {
  // `nix store info` (2.19+) and `nix store ping` (2.15+, Lix) report the daemon's own verdict.
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

/** A store reference as Nix 2.34+ compares them: scheme, authority and path, and the set of parameters. */
function storeReferenceKey(uri: string, withSlash: boolean): string | undefined {
  const q = uri.indexOf('?')
  const base = q >= 0 ? uri.slice(0, q) : uri
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/.exec(base)
  // Only a URL (`Specified`) gets the trailing-slash second chance in the daemon.
  if (withSlash && (!m || m[2]!.endsWith('/'))) return undefined
  const params = (q >= 0 ? uri.slice(q + 1) : '').split('&').filter((p) => p !== '').sort()
  return JSON.stringify([withSlash ? `${base}/` : base, params])
}

/**
 * Pure: whether the daemon keeps a substituter `url` an untrusted client asks for, exactly as
 * its `setSubstituters` decides: `url` itself or `url` with a `/` appended must be trusted, not
 * the other way round (2.18 `daemon.cc` compares strings; 2.34+ `daemon.cc` compares parsed
 * StoreReferences, so the order of parameters no longer matters).
 */
export function daemonAcceptsSubstituter(url: string, trusted: readonly string[], structural: boolean): boolean {
  if (!structural) return trusted.includes(url) || trusted.includes(`${url}/`)
  const keys = new Set(trusted.map((t) => storeReferenceKey(t, false)))
  return keys.has(storeReferenceKey(url, false)) || keys.has(storeReferenceKey(url, true) ?? '\0')
}

export async function detectTrust(store: StoreLocation): Promise<TrustFacts> {
  const uid = process.getuid?.() ?? -1
  // locateStore has already decided, as Nix does, whether `auto` means the daemon.
  const viaDaemon = store.viaDaemon
  const askDaemon = viaDaemon && uid !== 0
  // What the daemon decides by is its own configuration (nix.conf), never the job's NIX_CONFIG;
  // it is asked only where a daemon decides (one `nix config show` fewer in every other job).
  const [system, version, groups, daemonSaysTrusted] = await Promise.all([
    askDaemon ? daemonConfig() : new Map<string, string>(),
    nixVersion(),
    askDaemon ? groupsOf() : [],
    askDaemon ? daemonTrust() : undefined
  ])
  const decision = decideTrust({
    uid,
    user: userInfo().username,
    groups,
    viaDaemon,
    trustedUsers: words(system.get('trusted-users')),
    daemonSaysTrusted
  })
  return {
    ...decision,
    trustedSubstituters: [...words(system.get('trusted-substituters')), ...words(system.get('substituters'))],
    structuralSubstituters: version !== undefined && version.implementation !== 'lix' && (version.major > 2 || version.minor >= 34),
    trustedPublicKeys: words(system.get('trusted-public-keys'))
  }
}

/** Determinate Nix names itself in `nix --version`: `nix (Determinate Nix 3.22.2) 2.35.2`. */
export async function isDeterminateNix(): Promise<boolean> {
  return (await nixVersion())?.implementation === 'determinate'
}
