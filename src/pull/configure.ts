import { join } from 'node:path'
import { host, log } from '../runtime/host.js'
import type { CacheTarget, Inputs } from '../config/inputs.js'
import { bucketHttpUrl, type S3Location } from '../config/s3-uri.js'
import { probeStoreSupport, UNKNOWN_STORE_TYPE, type StoreSupport } from '../nix/store-support.js'
import { daemonConfig, nixConfig, type StoreLocation } from '../nix/store-location.js'
import { isNix23, nixVersion } from '../nix/version.js'
import { daemonAcceptsSubstituter, detectTrust, isDeterminateNix, type TrustFacts } from './trust.js'
import { hasPasswordlessSudo, trustSystemWide } from './system-config.js'
import { mergeNetrc, pullNetrcEntries, writePullNetrc } from './credentials.js'
import { credentialsFor, loadNetrc } from '../config/netrc.js'
import { giveDaemonCredentials } from './daemon-credentials.js'
import { withoutCredentials } from '../config/url-credentials.js'
import { probeHttpCache, type ProbeVerdict } from './probe.js'

/** The substituter URL Nix should pull from, or undefined where pulling makes no sense. */
export function substituterUrl(inputs: Inputs): string | undefined {
  const { cache } = inputs
  // Credentials reach Nix through a netrc file (pull-credentials.ts), never through NIX_CONFIG.
  if (cache.kind === 'http') return withoutCredentials(cache.url)
  if (cache.kind === 'file' || cache.kind === 's3') return cache.url
  // A remote Nix store (ssh-ng://…) can substitute too, but users seldom want every build to
  // open an SSH connection; they can list it in substituters themselves.
  return undefined
}

export function trustedKeys(inputs: Inputs): string[] {
  const keys = [...inputs.publicKeys]
  if (inputs.secretKey && !keys.includes(inputs.secretKey.publicKey)) keys.push(inputs.secretKey.publicKey)
  return keys
}

/**
 * Settings appended to NIX_CONFIG: `extra-` settings add to what nix.conf and the user's own
 * NIX_CONFIG say instead of replacing it.
 */
export function pullSettings(url: string, keys: readonly string[], netrcFile?: string): string {
  const lines = [`extra-substituters = ${url}`]
  if (keys.length > 0) lines.push(`extra-trusted-public-keys = ${keys.join(' ')}`)
  // Only the file's name: its contents are credentials.
  if (netrcFile !== undefined) lines.push(`netrc-file = ${netrcFile}`)
  return lines.join('\n')
}

export function appendNixConfig(existing: string | undefined, settings: string): string {
  if (!existing) return settings
  // Running the set-up twice in one job must not repeat the lines.
  if (existing.includes(settings)) return existing
  return `${existing.replace(/\n+$/, '')}\n${settings}`
}

/** Names the problem (Nix without S3 support) and the way around it (the bucket over HTTPS). */
export function noS3SupportMessage(location: S3Location): string {
  const store = `s3://${location.bucket}`
  return (
    `This job's Nix was built without S3 support ("${UNKNOWN_STORE_TYPE} '${store}…'"), so later steps will not substitute from ${store}; pushing still works. ` +
    `Workaround: let Nix read the bucket through its https:// endpoint instead: allow reads without credentials (or put a signing proxy in front) ` +
    `and add \`extra-substituters = ${bucketHttpUrl(location)}\` with the cache's key in trusted-public-keys to nix.conf or NIX_CONFIG.`
  )
}

/**
 * A substituter this Nix cannot open would print a warning in every later nix command and never
 * serve a path, so it is left out, with one warning here instead.
 */
export async function nixCanReadS3(
  cache: Extract<CacheTarget, { kind: 's3' }>,
  probe: (uri: string) => Promise<StoreSupport> = probeStoreSupport
): Promise<boolean> {
  if ((await probe(cache.url)) !== 'unsupported') return true
  log.warning(noS3SupportMessage(cache.s3))
  return false
}

/**
 * Pure: the one warning for Nix 2.3, which reads neither NIX_CONFIG nor `extra-` settings, so
 * only the machine's nix.conf can make it pull. The lines carry the values in force plus ours,
 * because on 2.3 a setting in nix.conf replaces rather than extends.
 */
export function nix23PullMessage(
  url: string,
  keys: readonly string[],
  settings: ReadonlyMap<string, string>,
  confFile = '/etc/nix/nix.conf'
): string {
  const join = (current: string | undefined, add: readonly string[]): string => {
    const words = (current ?? '').split(/\s+/).filter((w) => w !== '')
    return [...words, ...add.filter((a) => !words.includes(a))].join(' ')
  }
  const lines = [`substituters = ${join(settings.get('substituters'), [url])}`]
  if (keys.length > 0) lines.push(`trusted-public-keys = ${join(settings.get('trusted-public-keys'), keys)}`)
  return (
    `Later steps do not substitute from ${url}: Nix 2.3 ignores NIX_CONFIG, so pulling needs the machine's nix.conf. ` +
    `To pull, add these lines to ${confFile} (and restart nix-daemon on a multi-user install):\n${lines.join('\n')}\n` +
    'Pushing works as usual.'
  )
}

/**
 * A cache the action filled or serves itself (the GitHub Actions cache, restored or served by the
 * agent): Nix pulls from `url` and trusts it by signature, with `keys`, never by URL.
 * `machineKey` is the key an admin made once for the machine, the only one a daemon that does not
 * trust the user can have in its own nix.conf (executors/gha/serving-key.ts).
 */
export interface LocalCache {
  url: string
  keys: readonly string[]
  machineKey?: string
  /**
   * Whether `url` is the same in every job on the machine (the agent on `substituter-port`), so
   * that nix.conf may name it once. A fallback port or the eager restore's per-job directory is
   * never written there: that would restart the daemon under other jobs' builds, job after job.
   */
  stable: boolean
}

/**
 * A cache that accepts connections and never answers would stall every later Nix command for
 * minutes (Nix waits 300 s per attempt, and retries), so it is asked first, for a few seconds;
 * one that does not answer is left out, with one warning.
 */
export async function cacheAnswers(url: string, probe: (url: string) => Promise<ProbeVerdict> = probeHttpCache, name = url): Promise<boolean> {
  const trouble = await probe(url)
  if (trouble === undefined) return true
  log.warning(`Later steps do not substitute from ${name}: it did not answer within seconds (${trouble}), and Nix would wait minutes on it. Pushing is still tried, within the job's time budget.`)
  return false
}

/**
 * A cache whose server says where Nix pulls from and with which key (Attic's cache config), and
 * the token a private one reads with, which Nix gets through the 0600 netrc.
 */
export interface ServerSubstituter {
  url: string
  keys: string[]
  /** `login` as the server's own client writes it (Cachix: empty); `token` when not given. */
  credentials?: { machine: string; login?: string; password: string }
}

/**
 * Makes the cache a substituter for the rest of the job, where the job's Nix will honour it. A
 * multi-user daemon ignores substituters an untrusted user adds, so that case is settled first:
 * already allowed by trusted-substituters, or allowed system-wide with passwordless sudo, or a
 * one-line warning and pushing only.
 */
export async function configurePull(inputs: Inputs, store: StoreLocation, local?: LocalCache, server?: ServerSubstituter, front?: string): Promise<void> {
  const url = local?.url ?? server?.url ?? substituterUrl(inputs)
  if (!inputs.pull || !url) return
  // Through the agent's front, Nix reads the bucket as a plain HTTP cache: whether it can open
  // s3:// stores matters only where it pulls from the bucket itself (an untrusted user's daemon).
  const s3Direct = async (): Promise<boolean> => local !== undefined || inputs.cache.kind !== 's3' || (await nixCanReadS3(inputs.cache))
  if (front === undefined && !(await s3Direct())) return
  // An S3 endpoint answers an unsigned GET of the bucket's HTTP URL too (403 is an answer): one
  // that does not would hold Nix's S3 client as long as a silent HTTP cache holds curl.
  if (!local && inputs.cache.kind === 's3' && !(await cacheAnswers(bucketHttpUrl(inputs.cache.s3), probeHttpCache, inputs.cache.url))) return
  if (!local && inputs.cache.kind === 'http' && !(await cacheAnswers(url))) return
  const keys = [...new Set([...trustedKeys(inputs), ...(local?.keys ?? []), ...(server?.keys ?? [])])]
  // Nix 2.3 would ignore what we export, and warns about every `extra-` line in nix.conf: say
  // so once and leave the machine's configuration alone (the post step may never run to undo it).
  if (isNix23(await nixVersion())) {
    log.warning(
      local
        ? 'Later steps do not substitute from the restored GitHub Actions cache: Nix 2.3 ignores NIX_CONFIG, and a per-job directory does not belong in nix.conf. Pushing works as usual.'
        : nix23PullMessage(url, keys, await nixConfig(), join(process.env.NIX_CONF_DIR || '/etc/nix', 'nix.conf'))
    )
    return
  }
  const trust = await detectTrust(store)
  log.info(`Nix trust: ${trust.level} (${trust.reason}).`)
  if (trust.level === 'untrusted' && front !== undefined && !(await s3Direct())) return
  if (trust.level === 'untrusted' && !(await untrustedMayPull(url, keys, trust, local))) return
  // The agent's front (pull/front.ts) bounds Nix's waits on the cache and holds its credentials.
  // A daemon that does not trust the user ignores a loopback URL it does not list: there, Nix
  // pulls from the cache directly, as configured above.
  if (front !== undefined && !local && trust.level !== 'untrusted') {
    host().exportVariable('NIX_CONFIG', appendNixConfig(process.env.NIX_CONFIG, pullSettings(front, keys)))
    log.info(`Later steps substitute from ${url} through the background agent at 127.0.0.1, which gives the cache up within seconds if it stops answering${keys.length ? ` (trusting ${keys.map((k) => k.split(':')[0]).join(', ')})` : ''}.`)
    if (keys.length === 0) log.warning('No public-keys or secret-key given: Nix will refuse unsigned paths from the cache unless require-sigs is off.')
    return
  }
  const netrcFile =
    !local && inputs.cache.kind === 'http'
      ? await pullCredentials(inputs.cache.url, inputs, trust.level === 'untrusted')
      : server?.credentials
        ? await serverCredentials(server.credentials, inputs, trust.level === 'untrusted')
        : undefined
  const value = appendNixConfig(process.env.NIX_CONFIG, pullSettings(url, keys, netrcFile))
  host().exportVariable('NIX_CONFIG', value)
  log.info(`Later steps substitute from ${url}${keys.length ? ` (trusting ${keys.map((k) => k.split(':')[0]).join(', ')})` : ''}.`)
  if (keys.length === 0 && !local) {
    log.warning('No public-keys or secret-key given: Nix will refuse unsigned paths from the cache unless require-sigs is off.')
  }
}

/**
 * Where the daemon does not trust the user, it pulls only from its trusted-substituters and
 * checks signatures with its own trusted-public-keys. For the action's own local cache that is
 * the machine key: a key per job in nix.conf would need a daemon restart per job, under the
 * builds of the machine's other jobs.
 */
async function untrustedMayPull(url: string, keys: readonly string[], trust: TrustFacts, local: LocalCache | undefined): Promise<boolean> {
  const daemonKeys = local ? (local.machineKey ? [local.machineKey] : []) : keys
  if (local && daemonKeys.length === 0) {
    log.warning(
      `Pulls from ${url} are disabled: ${trust.reason}, and the Nix daemon accepts only keys from its own nix.conf, while this job's cache is signed with a key made for the job. ` +
        `An admin can install a machine key once (${machineKeyHint}); see the README's "Self-hosted runners". Pushing still works.`
    )
    return false
  }
  if (daemonAcceptsSubstituter(url, trust.trustedSubstituters, trust.structuralSubstituters)) {
    const missing = daemonKeys.filter((k) => !trust.trustedPublicKeys.includes(k))
    if (missing.length > 0) {
      log.warning(
        `${url} is in trusted-substituters, but the daemon does not trust ${missing.map((k) => k.split(':')[0]).join(', ')}: ` +
          'add the key to trusted-public-keys in nix.conf, or signed paths from the cache will be refused.'
      )
    }
    return true
  }
  if (local && !local.stable) {
    log.warning(
      `Pulls from ${url} are disabled: ${trust.reason}, and the Nix daemon trusts only the substituters in its nix.conf; this job's cache is not at the one URL ` +
        'every job of the machine uses (the substituter-port was taken, by another job at the same time?, or the cache was restored into this job\'s directory). Pushing still works.'
    )
    return false
  }
  if (await hasPasswordlessSudo()) {
    log.info(`Untrusted user with passwordless sudo: ${await trustSystemWide(url, daemonKeys, await isDeterminateNix())}.`)
    return true
  }
  log.warning(
    `Pulls from ${url} are disabled: ${trust.reason}, and the Nix daemon ignores substituters an untrusted user adds. ` +
      'Add the cache to trusted-substituters (and its key to trusted-public-keys) in nix.conf, or the user to trusted-users. Pushing still works.'
  )
  return false
}

const machineKeyHint = 'nix-store --generate-binary-cache-key <name> $NIX_CONF_DIR/nix-buildtime-cache/substituter.sec <public key file>, readable by the runner\'s user, its public key in trusted-public-keys'

/**
 * The netrc file the job's Nix pulls with, when there are credentials Nix would not otherwise
 * have. A daemon takes `netrc-file` from trusted clients only; for anyone else it reads its own,
 * so then all that can be done is to say where the credentials have to go.
 */
async function pullCredentials(cacheUrl: string, inputs: Inputs, untrusted: boolean): Promise<string | undefined> {
  const nixNetrcFile = (await nixConfig()).get('netrc-file') || undefined
  const entries = await pullNetrcEntries({ cacheUrl, netrcFile: inputs.netrcFile, nixNetrcFile })
  if (!entries) return undefined
  if (untrusted) {
    // The daemon reads its own netrc-file (nix.conf's, not the job's), and serves every user of
    // the machine: it gets the cache's credentials only, never the rest of the user's netrc.
    const daemonNetrcFile = (await daemonConfig()).get('netrc-file') || undefined
    const host = new URL(withoutCredentials(cacheUrl)).hostname
    const forCache = credentialsFor(host, entries)
    if (forCache && (await hasPasswordlessSudo())) {
      const entry = { ...forCache, machine: host }
      log.info(`The Nix daemon does not take credentials from this user; with sudo: ${await giveDaemonCredentials([entry], daemonNetrcFile, await isDeterminateNix())}.`)
      return undefined
    }
    // Where the daemon's own file is readable and already has the host, there is nothing to say.
    const theirs = daemonNetrcFile ? await loadNetrc(daemonNetrcFile).catch(() => undefined) : undefined
    if (theirs && credentialsFor(host, theirs)) return undefined
    log.warning(
      `The Nix daemon pulls from ${withoutCredentials(cacheUrl)} with its own netrc-file (${daemonNetrcFile ?? 'unset'}), and takes none from an untrusted user: ` +
        `unless that file has credentials for ${host}, pulls will be refused. Add them there, or add the user to trusted-users. Pushing still works.`
    )
    return undefined
  }
  const file = await writePullNetrc(entries)
  log.info(`Nix pulls with the credentials in ${file} (0600, removed by the post step).`)
  return file
}

/**
 * The netrc a private server's cache is read with: its token as the password for its host (Attic
 * takes Basic auth with the token as password, token/src/util.rs), merged with the user's and
 * Nix's own entries so that no other host loses its credentials.
 */
async function serverCredentials(cred: { machine: string; login?: string; password: string }, inputs: Inputs, untrusted: boolean): Promise<string | undefined> {
  if (untrusted) {
    log.warning(
      `The Nix daemon pulls from ${cred.machine} with its own netrc-file, and takes none from an untrusted user: unless that file has the cache's token, ` +
        'pulls from a private cache will be refused. Add it there, or add the user to trusted-users. Pushing still works.'
    )
    return undefined
  }
  const nixNetrcFile = (await nixConfig()).get('netrc-file') || undefined
  const user = await loadNetrc(inputs.netrcFile).catch(() => [])
  const nix = nixNetrcFile ? await loadNetrc(nixNetrcFile).catch(() => []) : []
  const file = await writePullNetrc(mergeNetrc([{ machine: cred.machine, login: cred.login ?? 'token', password: cred.password }], user, nix))
  log.info(`Nix pulls with the cache's token in ${file} (0600, removed by the post step).`)
  return file
}
