/**
 * Job records: what one CI job published to a binary cache and used from it, the evidence the
 * retention GC (src/gc/) keeps paths by. They live under RECORD_PREFIX, a prefix Nix never reads
 * (it asks only for `nix-cache-info`, `<hash>.narinfo`, `<hash>.ls`, `nar/…`, `log/…` and
 * `realisations/…`). A job writes several parts (the agent one per round, the post step one at
 * the end), each after the narinfos it names; the GC reads a job as the union of its parts.
 */

export const RECORD_PREFIX = 'nix-buildtime-cache/jobs/'
export const RECORD_FORMAT = 'nix-buildtime-cache/job-record'
/** Raised only for a change that older readers must not misread; they then stop, never delete. */
export const RECORD_VERSION = 1

export interface JobRecordPart {
  format: typeof RECORD_FORMAT
  version: number
  /** The job, the same for every part of it: the GC counts jobs by this, not writers. */
  job: string
  /** When this part was written (ms since the epoch); a job's time is its latest part's. */
  time: number
  repository?: string
  ref?: string
  /** Full store paths whose narinfos the job wrote. */
  pushed: string[]
  /** Full store paths the job substituted from this cache. */
  used: string[]
}

/** Key of one part: `<prefix><job>/<part>.json`. */
export function recordKey(job: string, part: string): string {
  return `${RECORD_PREFIX}${job}/${part}.json`
}

/** The job a record key belongs to, or undefined for a key that is not a record part. */
export function jobOfKey(key: string): string | undefined {
  const m = /^nix-buildtime-cache\/jobs\/([A-Za-z0-9._-]+)\/[A-Za-z0-9._-]+\.json$/.exec(key)
  return m?.[1]
}

export function renderRecordPart(part: Omit<JobRecordPart, 'format' | 'version'>): string {
  const full: JobRecordPart = { format: RECORD_FORMAT, version: RECORD_VERSION, ...part }
  return `${JSON.stringify(full)}\n`
}

/** Why a record cannot be used: damaged, or written by a newer version that this one must not misread. */
export class RecordError extends Error {
  constructor(
    readonly kind: 'corrupt' | 'newer',
    readonly key: string,
    message: string
  ) {
    super(message)
  }
}

const isPathList = (v: unknown): v is string[] => Array.isArray(v) && v.every((p) => typeof p === 'string' && p.startsWith('/'))

export function parseRecordPart(key: string, text: string): JobRecordPart {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw new RecordError('corrupt', key, `${key} is not JSON`)
  }
  const r = raw as Partial<JobRecordPart> | null
  if (r === null || typeof r !== 'object' || r.format !== RECORD_FORMAT || typeof r.version !== 'number') {
    throw new RecordError('corrupt', key, `${key} is not a job record`)
  }
  if (r.version > RECORD_VERSION) {
    throw new RecordError(
      'newer',
      key,
      `${key} is a job record of format version ${r.version}, newer than this version reads (${RECORD_VERSION}); ` +
        'run the GC with a newer nix-buildtime-cache (nothing was deleted)'
    )
  }
  if (typeof r.job !== 'string' || typeof r.time !== 'number' || !Number.isFinite(r.time) || !isPathList(r.pushed) || !isPathList(r.used)) {
    throw new RecordError('corrupt', key, `${key} is a damaged job record (missing or wrong fields)`)
  }
  return {
    format: RECORD_FORMAT,
    version: r.version,
    job: r.job,
    time: r.time,
    repository: typeof r.repository === 'string' ? r.repository : undefined,
    ref: typeof r.ref === 'string' ? r.ref : undefined,
    pushed: r.pushed,
    used: r.used
  }
}
