import { lstat, mkdtemp, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'

/** The name of an upload's own spool directory, in the job's temp dir, before its random part. */
export const SPOOL_DIR_PREFIX = 'nix-buildtime-cache-spool-'

/**
 * A spool directory nothing has written to for this long belongs to an upload that is gone (a
 * process killed mid-upload): the same rule as for a file:// cache's spool files (file.ts).
 */
export const SPOOL_LEFTOVER_AGE_MS = 60 * 60 * 1000

/** The newest modification time of a directory and the files in it. */
async function lastWrite(dir: string): Promise<number> {
  let newest = (await lstat(dir)).mtimeMs
  for (const name of await readdir(dir)) {
    newest = Math.max(newest, (await lstat(join(dir, name)).catch(() => ({ mtimeMs: 0 }))).mtimeMs)
  }
  return newest
}

/**
 * Removes the spool directories of uploads that are gone from `parent`. On a GitHub runner the
 * runner empties RUNNER_TEMP after the job; the command-line tool's state directory outlives its
 * jobs, so a killed agent's spool would otherwise stay through every later run. Best effort:
 * never throws; returns how many it removed.
 */
export async function sweepSpoolDirs(parent: string, now: number = Date.now()): Promise<number> {
  let removed = 0
  const names = await readdir(parent).catch(() => [] as string[])
  for (const name of names.filter((n) => n.startsWith(SPOOL_DIR_PREFIX))) {
    const dir = join(parent, name)
    try {
      if (now - (await lastWrite(dir)) < SPOOL_LEFTOVER_AGE_MS) continue
      await rm(dir, { recursive: true, force: true })
      removed++
    } catch {
      // Gone already (its upload finished), or not ours to remove: leave it.
    }
  }
  return removed
}

/** A fresh spool directory for one upload in `parent`, after clearing what gone uploads left there. */
export async function makeSpoolDir(parent: string): Promise<string> {
  await sweepSpoolDirs(parent)
  return mkdtemp(join(parent, SPOOL_DIR_PREFIX))
}
