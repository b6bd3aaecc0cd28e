import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { host, log } from '../host.js'
import { batches, runNix } from '../nix/cli.js'
import { isDerivation } from '../nix/closure.js'
import { drvArgumentIsLiteral } from '../nix/query-path-info.js'
import type { UploadOutcome } from '../upload/pipeline.js'

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
  const outcome: UploadOutcome = { pushed: [], failed: [], vanished: [] }
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
  for (const [batch, flags] of groups.flatMap(([group, flags]) => batches(group).map((b) => [b, flags] as const))) {
    // --no-check-sigs is honoured only where the user is trusted on the destination, which is
    // exactly where unsigned paths are acceptable; elsewhere our signature (above) is what counts.
    const r = await runNix('nix', ['copy', ...flags, '--no-check-sigs', '--to', opts.uri, ...batch], { allowFailure: true })
    if (r.exitCode === 0) {
      for (const p of batch) outcome.pushed.push({ path: p, narSize: opts.narSizes.get(p) ?? 0, fileSize: 0 })
    } else {
      const reason = `nix copy failed: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`
      for (const p of batch) outcome.failed.push({ path: p, reason })
    }
  }
  return outcome
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
