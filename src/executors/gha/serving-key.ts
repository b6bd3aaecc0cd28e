import { randomBytes } from 'node:crypto'
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { generateSecretKey, parseSecretKey, type SigningKey } from '../../format/signing.js'
import { log } from '../../runtime/host.js'

/**
 * The keys the local substituter (the GitHub Actions cache, served or restored) signs its
 * narinfos with, so that Nix accepts its paths by signature and never by URL (`?trusted=1`):
 * anything else answering on the announced port, on a machine several runners share, gets its
 * paths refused.
 *
 * - The *job key* is made for one job: generated in the main step, kept 0600 in the job
 *   directory, removed by the post step. The job's Nix trusts it through NIX_CONFIG, which works
 *   where the user is trusted (root, single-user, trusted-users).
 * - The *machine key* is made once by an admin, for runners whose Nix daemon does not trust the
 *   user: a daemon takes keys from its own nix.conf only, and a key per job there would mean a
 *   daemon restart per job. Its public half goes into nix.conf's trusted-public-keys, once.
 */
export interface ServingKeys {
  job: SigningKey
  /** The admin's machine key, when one is installed and this user can read it. */
  machine?: SigningKey
  /** Every key a narinfo is signed with. */
  all: SigningKey[]
}

/** Where an admin puts the machine key: next to the nix.conf that trusts its public half. */
export function machineKeyFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.NIX_CONF_DIR || '/etc/nix', 'nix-buildtime-cache', 'substituter.sec')
}

/**
 * The job key in `file`, made now if the job has none yet. The main step and its agent may both
 * ask at once: the key is written to a private temporary file and linked into place, so a reader
 * sees a whole key or none, and the second writer adopts the first one's.
 */
export async function jobServingKey(file: string): Promise<SigningKey> {
  try {
    return parseSecretKey(await readFile(file, 'utf8'))
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
  }
  await mkdir(dirname(file), { recursive: true })
  const tmp = `${file}.${randomBytes(6).toString('hex')}`
  await writeFile(tmp, generateSecretKey(`nix-buildtime-cache-job-${randomBytes(6).toString('hex')}`), { mode: 0o600, flag: 'wx' })
  try {
    await link(tmp, file)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
  } finally {
    await rm(tmp, { force: true })
  }
  return parseSecretKey(await readFile(file, 'utf8'))
}

/** The machine key, if installed; one warning when it is there but cannot be used. */
export async function machineServingKey(file = machineKeyFile()): Promise<SigningKey | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
    log.warning(`The machine's substituter key ${file} cannot be read (${code ?? String(e)}): the local substituter signs with this job's key only.`)
    return undefined
  }
  try {
    return parseSecretKey(text)
  } catch (e) {
    log.warning(`The machine's substituter key ${file} is not a Nix secret key (${(e as Error).message}): the local substituter signs with this job's key only.`)
    return undefined
  }
}

export async function servingKeys(jobKeyFile: string): Promise<ServingKeys> {
  const [job, machine] = await Promise.all([jobServingKey(jobKeyFile), machineServingKey()])
  return { job, ...(machine ? { machine } : {}), all: machine ? [job, machine] : [job] }
}

/** The post step: the job key leaves the disk with the job. */
export async function removeJobServingKey(file: string): Promise<void> {
  await rm(file, { force: true })
}

/**
 * A cache this job filled or serves itself: Nix pulls from `url` and trusts what is signed by
 * `keys`. `machineKey` is the one key a Nix daemon can trust for every job (set once in its
 * nix.conf); an untrusted user's daemon ignores the others.
 */
export interface LocalPull {
  url: string
  keys: string[]
  machineKey?: string
  /** Whether `url` is the same for every job on the machine (pull/configure.ts `LocalCache`). */
  stable: boolean
}

export function localPull(url: string, keys: ServingKeys, stable: boolean): LocalPull {
  return { url, keys: keys.all.map((k) => k.publicKey), ...(keys.machine ? { machineKey: keys.machine.publicKey } : {}), stable }
}
