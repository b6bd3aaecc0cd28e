import { execFile } from 'node:child_process'
import { nixEnv } from './cli.js'

/** What Nix says for a store type it was built without (e.g. s3:// in Debian's Nix 2.8). */
export const UNKNOWN_STORE_TYPE = "don't know how to open Nix store"

export type StoreSupport = 'supported' | 'unsupported' | 'unknown'

/** Pure: reads one probe's outcome. Any failure other than the unknown-store-type error says nothing. */
export function interpretProbe(exitCode: number | null, stderr: string): StoreSupport {
  if (stderr.includes(UNKNOWN_STORE_TYPE)) return 'unsupported'
  return exitCode === 0 ? 'supported' : 'unknown'
}

/**
 * Whether the job's Nix can open `uri` as a store at all: the feature is probed rather than
 * inferred from version numbers, which say nothing about how a distribution built Nix. A Nix
 * that can open the store fetches `nix-cache-info` from it (one request), so the probe is cheap
 * where it works and bounded by `timeoutMs` where the network or credentials stall it.
 */
export function probeStoreSupport(uri: string, timeoutMs = 10_000): Promise<StoreSupport> {
  return new Promise((resolve) => {
    // nix-store (not `nix store ping`): present and flag-compatible on every Nix version. With no
    // paths, --check-validity only opens the store.
    execFile(
      'nix-store',
      ['--store', uri, '--check-validity'],
      { env: nixEnv(), timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1024 * 1024 },
      (error, _stdout, stderr) => {
        if (error && typeof error.code === 'string') return resolve('unknown') // not found, or similar
        resolve(interpretProbe(error ? (typeof error.code === 'number' ? error.code : null) : 0, String(stderr)))
      }
    )
  })
}
