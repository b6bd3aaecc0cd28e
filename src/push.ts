import { log } from './host.js'
import type { BinaryCacheBackend } from './backends/backend.js'
import { binaryCacheBackend } from './backends/index.js'
import { hashPart } from './nix/store-path.js'
import { pushWithNixCopy } from './backends/nix-copy.js'
import type { JobFacts } from './collect.js'
import type { Inputs } from './inputs.js'
import type { PathInfo } from './nix/path-info-types.js'
import type { StoreLocation } from './nix/store-location.js'
import { selectPaths, withoutCached, type Selection } from './selection.js'
import { uploadPaths, type UploadOutcome } from './upload/pipeline.js'

export interface PushResult {
  selection: Selection
  outcome: UploadOutcome
  mode: 'push' | 'dry-run' | 'pull-only'
  note?: string
}

/** The selection policy applied to what the job did, with the inputs' settings. */
export function selectFromFacts(inputs: Inputs, facts: JobFacts): Selection {
  return selectPaths({
    newPaths: facts.newPaths,
    closure: facts.closure,
    signatures: new Map([...facts.infos].map(([p, i]) => [p, i.signatures])),
    policy: {
      includeDerivations: inputs.includeDerivations,
      includePreExisting: inputs.pushPreExisting,
      skipSignedBy: inputs.skipSignedBy,
      exclude: inputs.exclude
    }
  })
}

/** Moves what `backend` already holds (its narinfo is present) to the already-cached reason. */
export async function withoutExisting(selection: Selection, backend: BinaryCacheBackend): Promise<Selection> {
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
  selection = await withoutExisting(selection, backend)
  if (inputs.dryRun || !signer || selection.push.length === 0) return { selection, outcome, mode: inputs.dryRun ? 'dry-run' : 'push' }

  const infos = selection.push.map((p) => facts.infos.get(p)).filter((i): i is PathInfo => i !== undefined)
  const result = await uploadPaths(infos, {
    backend,
    signer,
    compression: inputs.compression,
    parallelism: inputs.parallelism,
    realStoreDir: store.realStoreDir
  })
  return { selection, outcome: result, mode: 'push' }
}
