import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { seconds } from '../runtime/units.js'
import { CacheUnavailableError, jobBudget } from '../runtime/budget.js'
import { timings, type Timings } from '../runtime/timings.js'
import { RequestGuard } from '../runtime/request.js'
import { host, log } from '../runtime/host.js'
import { batches, runNix } from '../nix/cli.js'
import { isDerivation } from '../nix/closure.js'
import { drvArgumentIsLiteral } from '../nix/query-path-info.js'
import { emptyOutcome, type UploadOutcome } from '../plan/result.js'

export interface NixCopyOptions {
  uri: string
  /** The secret key text; written to a 0600 file only for as long as `nix store sign` needs it. */
  secretKeyText?: string
  narSizes: ReadonlyMap<string, number>
  /** The logical store directory, to read `nix path-info` answers. */
  storeDir: string
}

/**
 * Any other Nix store (ssh://, ssh-ng://, local?root=…) is written with `nix copy`. Unlike our
 * binary-cache writer, it copies each path's runtime closure too, because a Nix store cannot hold
 * a path without its references.
 */
export async function pushWithNixCopy(paths: readonly string[], opts: NixCopyOptions): Promise<UploadOutcome> {
  const outcome = emptyOutcome()
  if (paths.length === 0) return outcome
  // On Nix 2.4–2.14 a `.drv` argument means its outputs, which `nix copy` builds if missing and
  // `nix store sign` signs instead; `--derivation` makes it the .drv itself. Derivations go in
  // batches of their own so that the flag never maps an output path to its deriver.
  const drvs = paths.filter(isDerivation)
  const drvFlag = drvs.length > 0 && !(await drvArgumentIsLiteral(drvs[0]!, opts.storeDir)) ? ['--derivation'] : []
  const groups: Array<[readonly string[], string[]]> = [
    [paths.filter((p) => !isDerivation(p)), []],
    [drvs, drvFlag]
  ]
  if (opts.secretKeyText) for (const [group, flags] of groups) await signLocally(group, opts.secretKeyText, flags)
  const env = { ...process.env, ...sshBounds(opts.uri, process.env) }
  const work = groups.flatMap(([group, flags]) => batches(group).map((b) => [b, flags] as const))
  for (const [i, [batch, flags]] of work.entries()) {
    const failure = await copyBatch(batch, flags, opts.uri, env)
    if (failure === undefined) {
      for (const p of batch) outcome.pushed.push({ path: p, narSize: opts.narSizes.get(p) ?? 0, fileSize: 0 })
      continue
    }
    for (const p of batch) outcome.failed.push({ path: p, reason: failure.reason })
    if (failure.unreachable) {
      // The store does not answer: the other batches would only wait for it too.
      for (const [rest] of work.slice(i + 1)) for (const p of rest) outcome.failed.push({ path: p, reason: `not tried: ${failure.reason}` })
      break
    }
  }
  return outcome
}

/** Nix's and ssh's words for a store that cannot be reached, as opposed to one that refuses a path. */
const UNREACHABLE =
  /ssh: connect to host|Connection timed out|Connection refused|Connection reset|Connection closed|timed out during banner exchange|Timeout, server .* not responding|Broken pipe|Could not resolve hostname|No route to host|Network is unreachable|failed to start SSH connection|cannot connect to|unexpected end-of-file/i

/** A `nix copy` that failed because the store could not be reached (worth another try). */
class Unreachable extends Error {}

/**
 * One `nix copy`, tried again with backoff while the job's failure budget lasts when the store
 * cannot be reached (a network blip), and not at all once an earlier failure spent the budget.
 * Only an unreachable store is trouble for the budget: one that refuses a path has answered.
 */
async function copyBatch(batch: readonly string[], flags: readonly string[], uri: string, env: NodeJS.ProcessEnv): Promise<{ reason: string; unreachable: boolean } | undefined> {
  const budget = jobBudget()
  const requests = new RequestGuard({
    budget,
    channel: 'nix copy',
    // No idle timeout of ours: ssh's own options bound a silent store (sshBounds).
    followDeadline: false,
    retry: { isRetryable: (e) => e instanceof Unreachable && !budget.tripped },
    isTrouble: (e) => e instanceof Unreachable,
    verdict: (e) => (e instanceof Unreachable ? 'connection' : undefined),
    // The reason already says what failed.
    text: (e) => (e as Error).message,
    retryLine: (e, _what, attempt, _attempts, delay) => `${(e as Error).message}; trying again in ${seconds(delay)} (attempt ${attempt + 1}).`
  })
  try {
    await requests.run('nix copy', async () => {
      // --no-check-sigs is honoured only where the user is trusted on the destination, which is
      // exactly where unsigned paths are acceptable; elsewhere our signature (above) is what counts.
      const r = await runNix('nix', ['copy', ...flags, '--no-check-sigs', '--to', uri, ...batch], { allowFailure: true, env })
      if (r.exitCode === 0) return
      const reason = `nix copy failed: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`
      if (!UNREACHABLE.test(r.stderr)) throw new Error(reason)
      throw new Unreachable(reason)
    })
    return undefined
  } catch (e) {
    if (e instanceof CacheUnavailableError) return { reason: `the store was given up on: ${budget.tripped}`, unreachable: true }
    return { reason: (e as Error).message, unreachable: e instanceof Unreachable }
  }
}

/**
 * For ssh:// and ssh-ng:// stores: ssh options that make a host that does not answer, or a
 * connection that dies, fail within the job's timings instead of hanging the step until the job's
 * own timeout (ssh waits for ever by default). Appended to the user's NIX_SSHOPTS: ssh takes the
 * first value given for each option, so any the user set win.
 */
export function sshBounds(uri: string, env: NodeJS.ProcessEnv, t: Timings = timings(env)): { NIX_SSHOPTS: string } | undefined {
  if (!/^ssh(-ng)?:\/\//.test(uri)) return undefined
  const connect = Math.max(1, Math.ceil(t.connectMs / 1000))
  const alive = Math.max(1, Math.ceil(t.idleMs / 3000))
  const ours = `-o ConnectTimeout=${connect} -o ServerAliveInterval=${alive} -o ServerAliveCountMax=3`
  const theirs = env.NIX_SSHOPTS?.trim()
  return { NIX_SSHOPTS: theirs ? `${theirs} ${ours}` : ours }
}

/** Signatures in the local database travel with `nix copy`; an untrusted user may not add them. */
async function signLocally(paths: readonly string[], keyText: string, flags: readonly string[]): Promise<void> {
  if (paths.length === 0) return
  const dir = await mkdtemp(join(host().tempDir, 'nix-buildtime-cache-key-'))
  const keyFile = join(dir, 'secret-key')
  try {
    await writeFile(keyFile, keyText, { mode: 0o600 })
    await chmod(keyFile, 0o600)
    // `nix store sign` from 2.4 on; Nix 2.3 calls it `nix sign-paths` (still an alias in 2.35 and Lix).
    let command = ['store', 'sign']
    for (const batch of batches(paths)) {
      let r = await runNix('nix', [...command, ...flags, '--recursive', '--key-file', keyFile, ...batch], { allowFailure: true })
      if (r.exitCode !== 0 && command.length === 2) {
        command = ['sign-paths']
        r = await runNix('nix', [...command, ...flags, '--recursive', '--key-file', keyFile, ...batch], { allowFailure: true })
      }
      if (r.exitCode !== 0) {
        log.warning(`Could not sign paths locally (${r.stderr.trim().split('\n').pop()}); they are copied unsigned.`)
        return
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
