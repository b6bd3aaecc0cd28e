import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** The library's per-call temporary directory under RUNNER_TEMP is named by a UUID. */
const CALL_DIR = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const POLL_MS = 1_000

/** Bytes of the archives (`cache.tzst`, `cache.tgz`, …) the cache library is downloading into `tempDir`. */
function archiveBytes(tempDir: string): number {
  let total = 0
  for (const dir of readdirSync(tempDir).filter((d) => CALL_DIR.test(d))) {
    try {
      for (const name of readdirSync(join(tempDir, dir))) if (name.startsWith('cache.')) total += statSync(join(tempDir, dir, name)).size
    } catch {
      // Removed meanwhile: its call is over.
    }
  }
  return total
}

/**
 * Marks `progress` whenever the archives the cache library downloads grow. It logs a download's
 * progress only for Azure blob URLs (GitHub's own service); elsewhere (GHES, other services) a
 * healthy download is silent, and bytes arriving on disk are its only sign of life. Returns the
 * function that stops watching.
 */
export function watchArchiveGrowth(progress: { at: number }, tempDir: string | undefined = process.env.RUNNER_TEMP): () => void {
  if (!tempDir) return () => undefined
  let last: number | undefined
  const timer = setInterval(() => {
    let now: number
    try {
      now = archiveBytes(tempDir)
    } catch {
      return
    }
    if (last !== undefined && now !== last) progress.at = Date.now()
    last = now
  }, POLL_MS)
  timer.unref()
  return () => clearInterval(timer)
}
