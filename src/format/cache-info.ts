/** The `nix-cache-info` file every binary cache has at its root. */
export function cacheInfoText(storeDir: string): string {
  // Priority 41 ranks just after cache.nixos.org (40), so the upstream is asked first for what it has.
  return `StoreDir: ${storeDir}\nWantMassQuery: 1\nPriority: 41\n`
}

export function readCacheInfoStoreDir(text: string): string | undefined {
  return /^StoreDir:\s*(\S+)/m.exec(text)?.[1]
}
