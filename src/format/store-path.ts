/** The 32-character hash part of a store path: the name of its `.narinfo` in a binary cache. */
export const hashPart = (storePath: string): string => {
  const base = storePath.slice(storePath.lastIndexOf('/') + 1)
  return base.slice(0, 32)
}
