import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { existsSync } from 'node:fs'
import { execCapture } from '../runtime/exec.js'

/**
 * Editing the machine's Nix configuration, for an untrusted user with passwordless sudo. The
 * lines sit in a marked block, replaced rather than appended, so that a self-hosted runner that
 * keeps /etc/nix between jobs never accumulates duplicates.
 */

const BEGIN = '# nix-buildtime-cache: begin (managed by the nix-buildtime-cache action)'
const END = '# nix-buildtime-cache: end'

/** Pure: `text` with our block set to `lines` (or removed when `lines` is empty). */
export function withManagedBlock(text: string, lines: readonly string[]): string {
  const start = text.indexOf(BEGIN)
  const end = start >= 0 ? text.indexOf(END, start) : -1
  let rest = text
  if (start >= 0 && end >= 0) rest = text.slice(0, start) + text.slice(end + END.length).replace(/^\n/, '')
  if (lines.length === 0) return rest
  const sep = rest === '' || rest.endsWith('\n') ? '' : '\n'
  return `${rest}${sep}${BEGIN}\n${lines.join('\n')}\n${END}\n`
}

/** Pure: the settings that let this job's untrusted user pull from `url`. */
export function trustLines(existingBlock: readonly string[], url: string, keys: readonly string[]): string[] {
  // Keep caches other jobs on this machine added, so two workflows do not undo each other.
  const subs = new Set<string>()
  const pks = new Set<string>()
  // Other lines of the block (the daemon's netrc-file, daemon-credentials.ts) are kept as they are.
  const others: string[] = []
  for (const line of existingBlock) {
    const m = /^extra-trusted-(substituters|public-keys) = (.*)$/.exec(line)
    if (!m) {
      others.push(line)
      continue
    }
    for (const w of m[2].split(/\s+/).filter(Boolean)) (m[1] === 'substituters' ? subs : pks).add(w)
  }
  subs.add(url)
  for (const k of keys) pks.add(k)
  const lines = [`extra-trusted-substituters = ${[...subs].join(' ')}`]
  if (pks.size > 0) lines.push(`extra-trusted-public-keys = ${[...pks].join(' ')}`)
  return [...lines, ...others]
}

export function managedBlock(text: string): string[] {
  const start = text.indexOf(BEGIN)
  const end = start >= 0 ? text.indexOf(END, start) : -1
  if (start < 0 || end < 0) return []
  return text.slice(start + BEGIN.length, end).split('\n').filter((l) => l.trim() !== '')
}

/**
 * Determinate Nix manages nix.conf itself and reads local additions from nix.custom.conf;
 * upstream Nix and Lix read nix.conf.
 */
export function systemConfigFile(confDir: string, isDeterminate: boolean): string {
  return join(confDir, isDeterminate ? 'nix.custom.conf' : 'nix.conf')
}

export function restartCommand(platform: NodeJS.Platform, isDeterminate: boolean): string[] | undefined {
  if (platform === 'linux') return existsSync('/run/systemd/system') ? ['systemctl', 'restart', 'nix-daemon'] : undefined
  if (platform === 'darwin') {
    return ['launchctl', 'kickstart', '-k', isDeterminate ? 'system/systems.determinate.nix-daemon' : 'system/org.nixos.nix-daemon']
  }
  return undefined
}

export async function sudo(args: readonly string[], input?: string): Promise<boolean> {
  const r = await execCapture('sudo', ['-n', ...args], { input })
  return r.exitCode === 0
}

export async function hasPasswordlessSudo(): Promise<boolean> {
  try {
    return await sudo(['true'])
  } catch {
    return false // no sudo at all
  }
}

/** Adds `url` and `keys` to the daemon's trusted settings and restarts it. Returns what it did. */
export async function trustSystemWide(url: string, keys: readonly string[], isDeterminate: boolean): Promise<string> {
  const confDir = process.env.NIX_CONF_DIR || '/etc/nix'
  const file = systemConfigFile(confDir, isDeterminate)
  const text = await readFile(file, 'utf8').catch(() => '')
  const next = withManagedBlock(text, trustLines(managedBlock(text), url, keys))
  if (next !== text && !(await sudo(['tee', file], next))) throw new Error(`could not write ${file} with sudo`)
  const restart = restartCommand(process.platform, isDeterminate)
  if (next === text) return `${file} already trusts ${url}`
  if (!restart || !(await sudo(restart))) {
    return `added ${url} to ${file}, but could not restart the Nix daemon; it takes effect at its next start`
  }
  return `added ${url} to trusted-substituters in ${file} and restarted the Nix daemon (${restart.join(' ')})`
}
