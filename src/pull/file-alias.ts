import { mkdir, readlink, symlink } from 'node:fs/promises'
import { jobDir } from '../runtime/job-dir.js'
import type { CacheTarget } from '../config/inputs.js'

type FileCache = Extract<CacheTarget, { kind: 'file' }>

/**
 * The URL later steps' Nix should read a file:// cache from. Nix 2.3–2.2x take the path after
 * `file://` literally, later versions percent-decode it, so `file:///tmp/my%20cache` is two
 * different directories depending on the Nix. We write the decoded directory (as the URL means
 * it); for reading, a path with spaces, '%' or non-ASCII gets a symlink whose own path is plain,
 * which every Nix reads as the same directory. The link lives in the job's own temp dir (0700:
 * in a shared /tmp another user could swap it), for the job only.
 */
export async function fileCacheReadUrl(cache: FileCache): Promise<string> {
  if (cache.plain) return cache.url
  const q = cache.url.indexOf('?')
  const params = q < 0 ? '' : cache.url.slice(q)
  const dir = jobDir()
  await mkdir(dir.root, { recursive: true, mode: 0o700 })
  const link = dir.fileCacheAlias(cache.dir)
  try {
    await symlink(cache.dir, link)
  } catch (e) {
    // Made by an earlier use of the action in this job: fine if it points at the same directory.
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || (await readlink(link)) !== cache.dir) throw e
  }
  return `file://${link}${params}`
}
