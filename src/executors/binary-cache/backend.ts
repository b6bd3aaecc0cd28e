import type { Readable } from 'node:stream'

/** A body is re-created for each attempt, so a failed upload can be retried without buffering. */
export type BodyFactory = () => Readable

/**
 * A binary cache we write narinfo and NAR files into. Implementations retry transient failures
 * themselves (honouring Retry-After) and throw only when an operation has finally failed.
 */
export interface BinaryCacheBackend {
  /** For logs and the summary; never contains credentials. */
  readonly displayUrl: string
  /**
   * Set where the backend itself holds much of a push's memory (S3: its part buffers and the
   * SDK), so the push collects spent buffers at once rather than letting some pile up.
   */
  readonly memoryTight?: boolean
  /**
   * Whether `publishStream` can leave nothing under the key from a body that failed before its
   * end. Then the streamed pass's own NarHash check suffices, and the first, hash-only pass is
   * skipped (one read of the path, not two). S3: always, whatever the server (a PutObject, or
   * the completion of a multipart upload, is sent only after the body has ended). HTTP: where the
   * server says it is nginx, which keeps nothing of a cut PUT; not a server that may write a body
   * in place as it arrives (http.ts). Absent: no.
   */
  dropsCutBodies?(): boolean
  /**
   * Set where `publish` and `publishBytes` themselves can never replace what is there, whatever
   * the server (file://: a hard link fails on an existing name). A small NAR is then written
   * without asking `has` first: the write's own answer says whether it was there. Not HTTP, whose
   * servers may ignore `If-None-Match`, nor S3 servers, which may too.
   */
  readonly publishesExclusively?: boolean
  /** Makes sure `nix-cache-info` exists and names the same store directory. */
  prepare(storeDir: string): Promise<void>
  /** The subset of `hashParts` (the 32-character store hash) whose `.narinfo` the cache already has. */
  existing(hashParts: readonly string[]): Promise<Set<string>>
  /**
   * Of `keys`, those this push found and touched that a retention GC deleted all the same, in the
   * moment between its check and its delete (S3, where those are two requests; docs/gc.md).
   * Asked before a narinfo names them: a NAR among them is written again; a narinfo among them
   * keeps the path that references it from being published. Absent where a GC checks and deletes
   * in one step (file://) or none runs (HTTP).
   */
  settle?(keys: readonly string[]): Promise<Set<string>>
  /** Writes `key` (e.g. `<hash>.narinfo`, `nix-cache-info`), streamed, replacing what was there. */
  put(key: string, body: BodyFactory, contentType: string): Promise<void>
  /**
   * Whether a file (a NAR) is already stored under `key`; an answer it cannot get counts as no.
   * A NAR found is touched where a retention GC collects (file://, S3), as the narinfos found are:
   * this job's narinfo will name it, and a GC that listed it while no narinfo named it would
   * otherwise delete it as old and unused (docs/gc.md). One gone by the touch counts as no.
   */
  has(key: string): Promise<boolean>
  /**
   * Gives the local, already verified `file` the name `key`, unless something already has that
   * name: NARs are named by their NarHash, so whatever is there is kept and never overwritten
   * ('existed'). The caller removes `file` afterwards.
   */
  publish(key: string, file: string, contentType: string): Promise<Published>
  /**
   * `publish` for bytes already in memory and verified (a small NAR), where the backend can send
   * them without a spool file (HTTP, S3). Same rule: never overwrites what is there.
   */
  publishBytes?(key: string, bytes: Buffer, contentType: string): Promise<Published>
  /**
   * `publish` straight from the store, with no spool file (HTTP, S3): `body` makes the compressed
   * NAR afresh for each attempt, re-reading the path, and fails (NarMismatch) before its last byte
   * when what it read differs from the NarHash. The backend then abandons the write so that the
   * server never completes it: the request is cut before its body ends, a multipart upload is
   * aborted, never completed. A body that failed so is not retried. Same rule: never overwrites.
   */
  publishStream?(key: string, body: BodyFactory, contentType: string): Promise<Published>
  /** `put` for a small body already in memory (a narinfo), where the backend has a cheaper way. */
  putBytes?(key: string, bytes: Buffer, contentType: string): Promise<void>
  /**
   * Where the shared writer should spool the file for `key` before it is verified, when the
   * backend wants it somewhere particular (file:// spools inside the cache, so that publishing
   * is a hard link, not a copy). Undefined: a temporary directory of the job's.
   */
  spoolFile?(key: string): Promise<string>
  /**
   * Removes what writers killed mid-write left inside the cache (spool and temporary files no one
   * has written to for a while); returns how many. Best effort: never throws.
   */
  sweepLeftovers?(): Promise<number>
}

export type Published = 'written' | 'existed'

export const CONTENT_TYPES = {
  nar: 'application/x-nix-nar',
  narinfo: 'text/x-nix-narinfo',
  cacheInfo: 'text/x-nix-cache-info'
} as const
