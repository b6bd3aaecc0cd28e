import { basename, dirname } from 'node:path'

/**
 * The paths @actions/cache is given, independent of the machine's layout, so that an entry saved
 * on one runner is found on another whose RUNNER_TEMP, HOME and workspace differ (self-hosted
 * runners, each with its own directories).
 *
 * What the library does with a path (@actions/cache 4.x, internal/cacheUtils.js and tar.js):
 * - the entry's *version* is a hash of the path strings exactly as given (`getCacheVersion`), so
 *   an absolute path, or `~` (expanded with the machine's HOME), ties the entry to one layout;
 * - saving expands the paths with @actions/glob, relative ones against `process.cwd()`, and
 *   archives them relative to `GITHUB_WORKSPACE` (or the cwd), `tar -P -C <workspace>`;
 * - restoring extracts with `tar -P -C <workspace>`.
 *
 * So each entry is named by its file or directory name alone (`manifest.json`, `layer-<slot>`),
 * and every call runs with both the cwd and GITHUB_WORKSPACE set to the directory holding it:
 * the version is the same everywhere, and the archive unpacks where this runner keeps it.
 * Entries saved under the old absolute paths are not found any more: one cold start.
 *
 * The cwd and GITHUB_WORKSPACE belong to the whole process, so calls with another directory wait
 * until the calls in the current one have ended; calls in the same directory (the layers a
 * restore fetches in parallel) run together.
 */
export interface EntryPath {
  /** What @actions/cache is given: the same on every runner. */
  name: string
  /** Where the calls for it run (cwd and GITHUB_WORKSPACE). */
  dir: string
}

export function entryPath(path: string): EntryPath {
  return { name: basename(path), dir: dirname(path) }
}

let current: { dir: string; calls: number; cwd: string; workspace: string | undefined; done: Promise<void>; end: () => void } | undefined

/** Runs `call` with the cwd and GITHUB_WORKSPACE at `dir`, putting both back when the last call there ends. */
export async function inEntryDir<T>(dir: string, call: () => Promise<T>): Promise<T> {
  while (current && current.dir !== dir) await current.done
  if (!current) {
    let end = (): void => undefined
    const done = new Promise<void>((resolve) => (end = resolve))
    current = { dir, calls: 0, cwd: process.cwd(), workspace: process.env.GITHUB_WORKSPACE, done, end }
    process.chdir(dir)
    process.env.GITHUB_WORKSPACE = dir
  }
  else {
    // Joining calls still running there (one abandoned after a stall may never end): the directory
    // may have been removed and made again since, and a process whose cwd is gone cannot resolve
    // the relative names the library is given.
    process.chdir(dir)
  }
  const scope = current
  scope.calls++
  try {
    return await call()
  } finally {
    if (--scope.calls === 0) {
      current = undefined
      // The directory the process started in may be gone (a job's temp dir): then stay.
      try {
        process.chdir(scope.cwd)
      } catch {
        // keep the entry directory as cwd
      }
      if (scope.workspace === undefined) delete process.env.GITHUB_WORKSPACE
      else process.env.GITHUB_WORKSPACE = scope.workspace
      scope.end()
    }
  }
}

/**
 * Resolves once no call is running in any entry directory: a call abandoned after a stall keeps
 * its directory until the library gives up on it, and a process that serves several jobs' caches
 * (the tests) must not start the next job's calls in another directory before that.
 */
export async function entryCallsSettled(): Promise<void> {
  while (current) await current.done
}
