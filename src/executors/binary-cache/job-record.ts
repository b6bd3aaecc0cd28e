import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { recordKey, renderRecordPart } from '../../format/job-record.js'
import type { BinaryCacheBackend } from './backend.js'

/**
 * Writes a job's record parts (format/job-record.ts) into the cache it publishes to. Only our own
 * binary caches (file://, s3://) get records: the retention GC collects only those.
 */

/**
 * The job's name in the cache: the same for its agent and its post step, which both know the
 * snapshot the main step took (a name unique to the job), and different per cache.
 */
export function jobRecordId(snapshotFile: string, cacheUrl: string): string {
  return createHash('sha256').update(`${snapshotFile}\n${cacheUrl}`).digest('hex').slice(0, 20)
}

export interface RecordContext {
  job: string
  /** Where the job ran, when known (GITHUB_REPOSITORY, GITHUB_REF). */
  repository?: string
  ref?: string
}

export function recordContext(job: string, env: NodeJS.ProcessEnv = process.env): RecordContext {
  return { job, repository: env.GITHUB_REPOSITORY || undefined, ref: env.GITHUB_REF || undefined }
}

/** Writes one part; the caller has written every narinfo it names first. */
export async function writeRecordPart(
  backend: BinaryCacheBackend,
  ctx: RecordContext,
  part: string,
  paths: { pushed: readonly string[]; used: readonly string[] },
  now: number = Date.now()
): Promise<void> {
  const text = renderRecordPart({ job: ctx.job, time: now, repository: ctx.repository, ref: ctx.ref, pushed: [...paths.pushed].sort(), used: [...paths.used].sort() })
  await backend.put(recordKey(ctx.job, part), () => Readable.from([text]), 'application/json')
}
