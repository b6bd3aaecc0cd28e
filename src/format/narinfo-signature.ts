import { parseNarInfo, renderNarInfo } from './narinfo.js'
import { fingerprint, type SigningKey } from './signing.js'

/**
 * A narinfo with a signature by each of `keys` added, for a cache served to Nix under keys made
 * for that purpose (the local substituter's per-job and machine keys). The signatures it already
 * carries (the cache's own secret key) stay as they are; an older signature by one of `keys`'
 * names is replaced, so serving the same narinfo twice never piles them up.
 */
export function withSignatures(text: string, storeDir: string, keys: readonly SigningKey[]): string {
  if (keys.length === 0) return text
  const info = parseNarInfo(text, storeDir)
  const names = new Set(keys.map((k) => k.name))
  const data = fingerprint(info.storePath, info.narHash, info.narSize, info.references)
  info.sigs = [...info.sigs.filter((s) => !names.has(s.split(':')[0]!)), ...keys.map((k) => k.sign(data))]
  return renderNarInfo(info)
}
