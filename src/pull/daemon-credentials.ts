import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { host } from '../runtime/host.js'
import type { NetrcEntry } from '../config/netrc.js'
import { parseNetrc } from '../config/netrc.js'
import { mergeNetrc, renderNetrc } from './credentials.js'
import { managedBlock, restartCommand, sudo, systemConfigFile, withManagedBlock } from './system-config.js'
import { execCapture } from '../runtime/exec.js'

/**
 * Credentials for a daemon that does not trust the job's user. Such a daemon ignores the
 * client's `netrc-file`, and reads its own; so, with passwordless sudo, the credentials go into a
 * root-only netrc next to nix.conf, named by a `netrc-file` line in the action's managed block.
 * Unlike the trust lines, this does not outlive the job: the post step takes both away again.
 */

const FILE_NAME = 'nix-buildtime-cache.netrc'
const STATE_KEY = 'nix_buildtime_cache_daemon_netrc'

const confDir = (): string => process.env.NIX_CONF_DIR || '/etc/nix'

/** Pure: the managed block's lines with its `netrc-file` line set to `file`, or removed. */
export function withNetrcSetting(block: readonly string[], file: string | undefined): string[] {
  const rest = block.filter((l) => !/^netrc-file\s*=/.test(l))
  return file === undefined ? rest : [...rest, `netrc-file = ${file}`]
}

async function setBlockNetrc(isDeterminate: boolean, file: string | undefined): Promise<string> {
  const conf = systemConfigFile(confDir(), isDeterminate)
  const text = await readFile(conf, 'utf8').catch(() => '')
  const next = withManagedBlock(text, withNetrcSetting(managedBlock(text), file))
  if (next === text) return 'unchanged'
  if (!(await sudo(['tee', conf], next))) throw new Error(`could not write ${conf} with sudo`)
  const restart = restartCommand(process.platform, isDeterminate)
  if (!restart || !(await sudo(restart))) return `changed ${conf}, but could not restart the Nix daemon; it takes effect at its next start`
  return `changed ${conf} and restarted the Nix daemon (${restart.join(' ')})`
}

/**
 * Gives the daemon `entries` ahead of what its own netrc-file (`daemonNetrcFile`) holds, which
 * only root may read. Returns what it did, for the log.
 */
export async function giveDaemonCredentials(entries: readonly NetrcEntry[], daemonNetrcFile: string | undefined, isDeterminate: boolean): Promise<string> {
  const target = join(confDir(), FILE_NAME)
  let own: NetrcEntry[] = []
  // Even when that is our own file (a job whose post step never ran): it holds what the daemon had.
  if (daemonNetrcFile) {
    const r = await execCapture('sudo', ['-n', 'cat', daemonNetrcFile])
    if (r.exitCode === 0) own = parseNetrc(r.stdout)
  }
  // Created empty and 0600 first, so the credentials are never readable by others, not even briefly.
  if (!(await sudo(['install', '-m', '0600', '/dev/null', target]))) throw new Error(`could not create ${target} with sudo`)
  if (!(await sudo(['tee', target], renderNetrc(mergeNetrc(entries, own))))) throw new Error(`could not write ${target} with sudo`)
  host().saveState(STATE_KEY, target)
  return `wrote the credentials to ${target} (root only); ${await setBlockNetrc(isDeterminate, target)}`
}

/** The post step: takes the daemon's credentials away again, if the main step gave it any. */
export async function takeBackDaemonCredentials(isDeterminate: () => Promise<boolean>): Promise<string | undefined> {
  const target = host().getState(STATE_KEY)
  if (!target) return undefined
  const did = await setBlockNetrc(await isDeterminate(), undefined)
  await sudo(['rm', '-f', target])
  return `removed ${target}; ${did}`
}
