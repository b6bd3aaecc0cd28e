import { cacheInfoText, readCacheInfoStoreDir } from '../../format/cache-info.js'

/** How one backend reads and writes the `nix-cache-info` at its root. */
export interface CacheInfoFile {
  /** For messages; never contains credentials. */
  readonly displayUrl: string
  /** The file's text, or undefined when the cache has none; throws when it cannot tell. */
  read(): Promise<string | undefined>
  write(text: string): Promise<void>
}

/**
 * Makes sure the cache's nix-cache-info names `storeDir`: writes one when there is none, and
 * refuses a cache for another store directory, whose paths no Nix on this machine could use.
 * `foreign` words the refusal (file:// caches have said it their own way since the start).
 */
export async function ensureCacheInfo(
  storeDir: string,
  file: CacheInfoFile,
  foreign = (theirs: string): string => `${file.displayUrl} is a binary cache for store directory ${theirs}, but this machine's store is ${storeDir}`
): Promise<void> {
  const existing = await file.read()
  if (existing === undefined) {
    await file.write(cacheInfoText(storeDir))
    return
  }
  const theirs = readCacheInfoStoreDir(existing)
  if (theirs !== undefined && theirs !== storeDir) throw new Error(foreign(theirs))
}
