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
  /** Makes sure `nix-cache-info` exists and names the same store directory. */
  prepare(storeDir: string): Promise<void>
  /** The subset of `hashParts` (the 32-character store hash) whose `.narinfo` the cache already has. */
  existing(hashParts: readonly string[]): Promise<Set<string>>
  /** Writes `key` (e.g. `nar/<hash>.nar.zst`, `<hash>.narinfo`), streamed. */
  put(key: string, body: BodyFactory, contentType: string): Promise<void>
}

export const CONTENT_TYPES = {
  nar: 'application/x-nix-nar',
  narinfo: 'text/x-nix-narinfo',
  cacheInfo: 'text/x-nix-cache-info'
} as const
