import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { host, log } from '../runtime/host.js'
import { jobDir } from '../runtime/job-dir.js'
import { credentialsFor, loadNetrc, netrcPath, type NetrcEntry } from '../config/netrc.js'
import { urlCredentials, withoutCredentials } from '../config/url-credentials.js'

/**
 * Credentials for the job's Nix to pull from a private HTTP cache. Nix sends no custom headers,
 * but curl reads its `netrc-file`; so the credentials go into a 0600 netrc file in the
 * job directory, and NIX_CONFIG only names that file. Setting `netrc-file` replaces the one Nix
 * had, so the file also carries the user's netrc and the one Nix was configured with.
 */

const STATE_KEY = 'nix_buildtime_cache_netrc'

/** Pure: several netrc files as one, in precedence order (curl takes the first matching machine). */
export function mergeNetrc(...sources: ReadonlyArray<readonly NetrcEntry[]>): NetrcEntry[] {
  const all = sources.flat()
  const machines = all.filter((e) => e.machine !== undefined)
  // curl stops at `default`, so the single catch-all entry has to come after every machine.
  const fallback = all.find((e) => e.machine === undefined)
  return fallback ? [...machines, fallback] : machines
}

/** A token as curl reads it: quoted (with escapes) when it has spaces, quotes or backslashes. */
function token(value: string): string {
  if (value !== '' && !/[\s"\\]/.test(value)) return value
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')}"`
}

export function renderNetrc(entries: readonly NetrcEntry[]): string {
  return entries
    .map((e) => {
      const parts = [e.machine === undefined ? 'default' : `machine ${token(e.machine)}`]
      if (e.login !== undefined) parts.push(`login ${token(e.login)}`)
      if (e.password !== undefined) parts.push(`password ${token(e.password)}`)
      if (e.account !== undefined) parts.push(`account ${token(e.account)}`)
      return `${parts.join(' ')}\n`
    })
    .join('')
}

export interface PullNetrcSources {
  /** The cache URL as the user wrote it, perhaps with `user:password@`. */
  cacheUrl: string
  /** The `netrc-file` input (else $NETRC, else ~/.netrc). */
  netrcFile?: string
  /** The `netrc-file` the job's Nix is configured with (`nix config show`). */
  nixNetrcFile?: string
}

/**
 * The merged netrc's entries, or undefined when Nix already has every credential it can get:
 * no credentials in the URL, and the user's netrc has none for the cache's host or is the very
 * file Nix reads.
 */
export async function pullNetrcEntries(src: PullNetrcSources): Promise<NetrcEntry[] | undefined> {
  const fromUrl = urlCredentials(src.cacheUrl)
  const userFile = netrcPath(src.netrcFile)
  const user = await loadNetrc(src.netrcFile).catch(() => [] as NetrcEntry[])
  const cacheHost = new URL(withoutCredentials(src.cacheUrl)).hostname
  const sameFile = src.nixNetrcFile !== undefined && src.nixNetrcFile === userFile
  if (!fromUrl && (sameFile || !credentialsFor(cacheHost, user))) return undefined
  let nix: NetrcEntry[] = []
  if (src.nixNetrcFile && !sameFile) {
    const read = await loadNetrc(src.nixNetrcFile).catch(() => 'unreadable' as const)
    if (read === 'unreadable') {
      log.info(`Could not read Nix's netrc-file ${src.nixNetrcFile}; the job's Nix pulls with the cache's credentials and ${userFile} instead.`)
    } else nix = read
  }
  const url: NetrcEntry[] = fromUrl ? [{ machine: fromUrl.host, login: fromUrl.login, password: fromUrl.password }] : []
  return mergeNetrc(url, user, nix)
}

/**
 * Writes `entries` to the job's 0600 netrc file, remembered for the post step to remove. One
 * name per job: a repeated `start` (whose state an earlier one's name would not survive) or a
 * second use of the action replaces it rather than leaving another file of credentials behind.
 * A second use read the first one's file as Nix's netrc-file, so what it writes still holds it.
 */
export async function writePullNetrc(entries: readonly NetrcEntry[]): Promise<string> {
  const dir = jobDir()
  await mkdir(dir.root, { recursive: true, mode: 0o700 })
  const file = dir.pullNetrc
  const tmp = `${file}.${process.pid}.tmp`
  await rm(tmp, { force: true })
  await writeFile(tmp, renderNetrc(entries), { mode: 0o600, flag: 'wx' })
  // The mode given to writeFile is subject to the umask; say it again to be sure.
  await chmod(tmp, 0o600)
  // Renamed into place: a Nix reading it at the same time sees the old file or the new, whole.
  await rename(tmp, file)
  host().saveState(STATE_KEY, file)
  return file
}

/** The post step: the credentials leave the disk with the job's last use of them. */
export async function removePullNetrc(): Promise<void> {
  const file = host().getState(STATE_KEY)
  if (file) await rm(file, { force: true })
}
