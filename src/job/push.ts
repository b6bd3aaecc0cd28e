import { log } from '../runtime/host.js'
import { exposedCollector, spentBufferCollector } from '../runtime/collector.js'
import { reuseFrames } from '../format/frame-buffers.js'
import { uploadPaths } from '../executors/binary-cache/upload.js'
import { binaryCacheBackend, recordIdFor } from '../executors/index.js'
import type { BinaryCacheBackend } from '../executors/binary-cache/backend.js'
import { recordContext, writeRecordPart } from '../executors/binary-cache/job-record.js'
import { pushedByJob } from '../plan/result.js'
import { pushWithNixCopy } from '../executors/nix-copy.js'
import { heldByHash, infosToPush, planAsSelected, planFinal, selectFinal, type FinalInput } from '../plan/planner.js'
import type { PushResult } from '../plan/result.js'
import { choosePush, executorFor, type PushChoice } from './executor-choice.js'
import { planIO, policyOf } from '../plan/io.js'
import { announce, reportCompletion, resultOf, type PushJob } from './planning.js'

/**
 * The post step's push: the planner decides what goes to the cache, the chosen executor carries
 * it out, and the result is what the report reads.
 */

/** Plans and pushes with the executor the inputs choose. */
export async function pushToCache(job: PushJob): Promise<PushResult> {
  if (executorFor(job.inputs.cache).executor === 'github-actions') {
    // Loaded only for this cache: its client is most of the bundle's start-up time.
    const { saveToGithubActions } = await import('./gha-save.js')
    return saveToGithubActions(job)
  }
  const choice = choosePush(job.inputs)
  if (choice.executor === 'nix-copy') return pushWithNixCopyTo(choice, job)
  if (choice.executor === 'binary-cache') return pushToBinaryCache(choice, job)
  if (choice.executor === 'github-actions') throw new Error(`no executor for ${choice.executor}`)
  // Loaded only for a cache server: their clients are not needed by any other job.
  const { pushToServerCache } = await import('./server-push.js')
  return pushToServerCache(choice, job)
}

/** `nix copy` copies each path's runtime closure itself, so the plan asks nobody anything. */
async function pushWithNixCopyTo(choice: Extract<PushChoice, { executor: 'nix-copy' }>, job: PushJob): Promise<PushResult> {
  const { inputs, store, facts } = job
  const plan = planAsSelected(selectFinal(facts, policyOf(inputs)), job.published, facts.infos)
  if (choice.mode === 'dry-run') return resultOf(plan, 'dry-run')
  const narSizes = new Map([...facts.infos].map(([p, i]) => [p, i.narSize]))
  const copied = await pushWithNixCopy(plan.selection.push, {
    uri: choice.cache.url,
    secretKeyText: inputs.secretKeyText,
    narSizes,
    storeDir: store.storeDir
  })
  return resultOf(plan, 'push', copied)
}

async function pushToBinaryCache(choice: Extract<PushChoice, { executor: 'binary-cache' }>, job: PushJob): Promise<PushResult> {
  const backend = await binaryCacheBackend(choice.cache, { authHeader: job.inputs.authHeader, netrcFile: job.inputs.netrcFile, readOnly: choice.mode !== 'push' })
  const result = await planAndUpload(choice, job, backend)
  if (choice.mode === 'push' && result.mode === 'push') await completeJobRecord(choice, job, backend, result)
  return result
}

/**
 * The job record's last part (format/job-record.ts), written after every narinfo this step
 * wrote: everything the job pushed (the agent's parts may be missing if it was killed) and what
 * it used of this cache. Trouble costs the record only, with one warning: the job's push stands.
 */
async function completeJobRecord(
  choice: Extract<PushChoice, { executor: 'binary-cache' }>,
  job: PushJob,
  backend: BinaryCacheBackend,
  result: PushResult
): Promise<void> {
  const id = job.snapshotFile === undefined ? undefined : recordIdFor(choice.cache, job.snapshotFile)
  if (id === undefined || job.inputs.secretKey === undefined) return
  const pushed = new Set(pushedByJob(result).map((p) => p.path))
  const used = new Set(result.selection.skipped['already-cached'])
  // Substituted from this cache: signed with the key this job signs with.
  const ours = `${job.inputs.secretKey.name}:`
  for (const info of job.facts.infos.values()) if (!info.ultimate && info.signatures.some((s) => s.startsWith(ours))) used.add(info.path)
  for (const p of pushed) used.delete(p)
  if (pushed.size === 0 && used.size === 0) return
  try {
    await writeRecordPart(backend, recordContext(id), 'post', { pushed: [...pushed], used: [...used] })
  } catch (e) {
    log.warning(`Could not write the job record to ${backend.displayUrl} (the retention GC then does not count this job): ${e instanceof Error ? e.message : String(e)}`)
  }
}

async function planAndUpload(choice: Extract<PushChoice, { executor: 'binary-cache' }>, job: PushJob, backend: BinaryCacheBackend): Promise<PushResult> {
  const { inputs, store, facts } = job
  const input: FinalInput = { facts, policy: policyOf(inputs), published: job.published }
  const selected = selectFinal(facts, input.policy)
  // With nothing selected there is nothing a mode would change, nor anything to say about it.
  if (selected.push.length === 0) return resultOf(planAsSelected(selected, job.published, facts.infos), choice.mode === 'dry-run' ? 'dry-run' : 'push')
  if (choice.mode === 'pull-only') {
    announce(choice.announce)
    return resultOf(planAsSelected(selected, job.published, facts.infos), 'pull-only', undefined, choice.note)
  }
  // Checked first so that an unreachable cache costs one round of retries, not one per path.
  if (choice.mode === 'push') await backend.prepare(store.storeDir)
  const plan = await planFinal(selected, input, planIO(store.storeDir, heldByHash((hashes) => backend.existing(hashes))))
  reportCompletion(plan)
  if (choice.mode === 'dry-run' || plan.selection.push.length === 0) return resultOf(plan, choice.mode)

  keepWithinMemory(backend.memoryTight === true)
  // Alongside the uploads: a directory listing of a large cache takes a moment.
  const sweeping = backend.sweepLeftovers?.()
  const outcome = await uploadPaths(infosToPush(plan), {
    backend,
    signer: inputs.secretKey,
    compression: inputs.compression,
    parallelism: inputs.parallelism,
    realStoreDir: store.realStoreDir,
    written: job.staged
  })
  const swept = await sweeping
  if (swept) log.info(`Removed ${swept} temporary file(s) that interrupted uploads had left in the cache.`)
  return resultOf(plan, 'push', outcome)
}

/**
 * A push stays within 256 MB whatever it sends: after every 4 MiB of NAR read the compressors'
 * spent output buffers are collected (runtime/collector.ts: a scavenge, then a full collection
 * once Buffers hold more than `slack` above what they held after the last one), and 4 spare
 * frames are kept rather than 12. With no collections the S3 push of
 * __tests__/e2e/action/push-memory.test.ts peaked at 266 MB.
 *
 * A full collection after every frame halved the push's speed (docs/BENCHMARKS.md). With a 16 MiB
 * slack, and a scavenge every other frame, a push to file:// or HTTP of 586 MB runs about 9 full
 * collections and stays near 200-220 MB (a scavenge every frame cost about 5% more time for the
 * same peak; none at all, 10% less time and a peak of 246 MB). S3 keeps a scavenge every frame,
 * a 4 MiB slack and 2 spare frames. With no slack a full collection followed almost every frame
 * (113 of them pushing 586 MB): 2.6 s of CPU, and 5.6-6.1 s against 4.6-4.8 s now. The slack
 * alone raised the post step's peak from 208-217 to 213-243 MB (12 runs; a 16 MiB slack reached
 * 251 MB); with 2 spare frames it is 204-225 MB (6 runs).
 */
function keepWithinMemory(tight: boolean): void {
  const gc = exposedCollector()
  const slack = tight ? 4 * 2 ** 20 : 16 * 2 ** 20
  if (gc) reuseFrames({ spares: tight ? 2 : 4, collect: { everyFrames: tight ? 1 : 2, run: spentBufferCollector(gc, slack) } })
}
