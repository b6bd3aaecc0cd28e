import { log } from '../runtime/host.js'
import type { BinaryCacheBackend } from '../executors/binary-cache/backend.js'
import { binaryCacheBackend } from '../executors/index.js'
import { hashPart } from '../format/store-path.js'
import { pushWithNixCopy } from '../executors/nix-copy.js'
import { collectReferenceFacts, type JobFacts } from './collect.js'
import type { Inputs } from '../config/inputs.js'
import type { PathInfo } from '../format/path-info.js'
import type { StoreLocation } from '../nix/store-location.js'
import { completeClosure, selectPaths, withoutCached, type Selection, type SelectionPolicy } from '../plan/selection.js'
import { uploadPaths, type UploadOutcome } from '../executors/binary-cache/upload.js'

export interface PushResult {
  selection: Selection
  outcome: UploadOutcome
  mode: 'push' | 'dry-run' | 'pull-only'
  note?: string
}

function policyOf(inputs: Inputs): SelectionPolicy {
  return {
    includeDerivations: inputs.includeDerivations,
    includePreExisting: inputs.pushPreExisting,
    skipSignedBy: inputs.skipSignedBy,
    exclude: inputs.exclude
  }
}

/** The selection policy applied to what the job did, with the inputs' settings. */
function selectFromFacts(inputs: Inputs, facts: JobFacts): Selection {
  return selectPaths({
    newPaths: facts.newPaths,
    closure: facts.closure,
    signatures: new Map([...facts.infos].map(([p, i]) => [p, i.signatures])),
    policy: policyOf(inputs)
  })
}

/**
 * The selection without what `backend` already holds, completed so that everything it publishes
 * can be substituted whole (see `completeClosure`). The lookups it needs (infos of pre-existing
 * references, then the cache's answer for them) are made here, round by round, and the infos
 * found join `facts.infos` for the upload and the summary.
 */
export async function planPush(
  inputs: Inputs,
  facts: JobFacts,
  storeDir: string,
  backend: Pick<BinaryCacheBackend, 'existing'>,
  selected: Selection = selectFromFacts(inputs, facts)
): Promise<Selection> {
  const selection = await withoutExisting(selected, backend)
  const missing = new Set<string>()
  const cached = new Map<string, boolean>()
  for (;;) {
    const c = completeClosure(selection, { infos: facts.infos, missing, cached }, policyOf(inputs))
    if (c.lookups.infos.length > 0) {
      for (const p of await collectReferenceFacts(facts, c.lookups.infos, storeDir)) missing.add(p)
    } else if (c.lookups.cache.length > 0) {
      const present = await backend.existing(c.lookups.cache.map(hashPart))
      for (const p of c.lookups.cache) cached.set(p, present.has(hashPart(p)))
    } else {
      reportCompletion(c.selection, c.unserved)
      return c.selection
    }
  }
}

function reportCompletion(selection: Selection, unserved: ReadonlyArray<{ path: string; referrer: string }>): void {
  const added = selection.completion ?? []
  if (added.length > 0) {
    log.info(`Also pushing ${added.length} path(s) from before the job that pushed paths reference and neither this cache nor an upstream serves.`)
  }
  const withheld = selection.skipped['unserved-reference']
  if (withheld.length > 0) {
    const first = unserved[0]
    log.warning(
      `${withheld.length} path(s) were not pushed because they reference paths that no cache will serve ` +
        `(excluded, or not in the store), so consumers could not substitute them; first: ${first?.referrer} references ${first?.path}.`
    )
  }
}

/** Moves what `backend` already holds (its narinfo is present) to the already-cached reason. */
async function withoutExisting(selection: Selection, backend: Pick<BinaryCacheBackend, 'existing'>): Promise<Selection> {
  if (selection.push.length === 0) return selection
  const present = await backend.existing(selection.push.map(hashPart))
  return withoutCached(selection, new Set(selection.push.filter((p) => present.has(hashPart(p)))))
}

export async function selectAndPush(inputs: Inputs, store: StoreLocation, facts: JobFacts): Promise<PushResult> {
  let selection = selectFromFacts(inputs, facts)
  const outcome: UploadOutcome = { pushed: [], failed: [], vanished: [] }
  const backend = await binaryCacheBackend(inputs)

  if (!backend) {
    if (inputs.dryRun) return { selection, outcome, mode: 'dry-run' }
    const narSizes = new Map([...facts.infos].map(([p, i]) => [p, i.narSize]))
    const copied = await pushWithNixCopy(selection.push, {
      uri: inputs.cache.url,
      secretKeyText: inputs.secretKeyText,
      narSizes,
      storeDir: store.storeDir
    })
    return { selection, outcome: copied, mode: 'push' }
  }

  if (selection.push.length === 0) return { selection, outcome, mode: inputs.dryRun ? 'dry-run' : 'push' }
  const signer = inputs.secretKey
  if (!inputs.dryRun && !signer) {
    const note = 'No secret-key: this job only pulls from the cache (as on pull requests from forks). Nothing was uploaded.'
    log.notice(note)
    return { selection, outcome, mode: 'pull-only', note }
  }
  // Checked first so that an unreachable cache costs one round of retries, not one per path.
  if (!inputs.dryRun) await backend.prepare(store.storeDir)
  selection = await planPush(inputs, facts, store.storeDir, backend, selection)
  if (inputs.dryRun || !signer || selection.push.length === 0) return { selection, outcome, mode: inputs.dryRun ? 'dry-run' : 'push' }

  const infos = selection.push.map((p) => facts.infos.get(p)).filter((i): i is PathInfo => i !== undefined)
  // Alongside the uploads: a directory listing of a large cache takes a moment.
  const sweeping = backend.sweepLeftovers?.()
  const result = await uploadPaths(infos, {
    backend,
    signer,
    compression: inputs.compression,
    parallelism: inputs.parallelism,
    realStoreDir: store.realStoreDir
  })
  const swept = await sweeping
  if (swept) log.info(`Removed ${swept} temporary file(s) that interrupted uploads had left in the cache.`)
  return { selection, outcome: result, mode: 'push' }
}
