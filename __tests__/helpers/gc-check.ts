// What the GC tests assert about a file:// cache after a collection, besides `nix store verify`:
// the cache is closed (every narinfo's NAR and references are there) and holds no stray NAR.
import { lstat, readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseNarInfo } from '../../src/format/narinfo.js'

export interface CacheShape {
  /** Store paths of the narinfos. */
  paths: string[]
  /** Narinfos whose NAR is missing. */
  missingNars: string[]
  /** `<referrer> -> <reference>` where the reference has no narinfo. */
  missingReferences: string[]
  /** NAR files no narinfo names. */
  strayNars: string[]
}

export async function cacheShape(dir: string): Promise<CacheShape> {
  const names = await readdir(dir).catch(() => [] as string[])
  const infos = await Promise.all(names.filter((n) => /^[0-9a-z]{32}\.narinfo$/.test(n)).map(async (n) => parseNarInfo(await readFile(join(dir, n), 'utf8'))))
  const hashes = new Set(infos.map((i) => i.storePath.split('/').pop()?.slice(0, 32)))
  const urls = new Set(infos.map((i) => i.url))
  const shape: CacheShape = { paths: infos.map((i) => i.storePath).sort(), missingNars: [], missingReferences: [], strayNars: [] }
  for (const i of infos) {
    if (!(await lstat(join(dir, i.url)).catch(() => undefined))) shape.missingNars.push(i.storePath)
    for (const r of i.references) if (!hashes.has(r.split('/').pop()?.slice(0, 32))) shape.missingReferences.push(`${i.storePath} -> ${r}`)
  }
  for (const n of await readdir(join(dir, 'nar')).catch(() => [] as string[])) if (!n.startsWith('.') && !urls.has(`nar/${n}`)) shape.strayNars.push(`nar/${n}`)
  return shape
}

/** Every file under `dir` with its size and modification time, sorted: equal before and after means nothing was written. */
export async function treeState(dir: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (sub: string): Promise<void> => {
    for (const e of await readdir(join(dir, sub), { withFileTypes: true })) {
      const rel = sub === '' ? e.name : `${sub}/${e.name}`
      if (e.isDirectory()) await walk(rel)
      else {
        const st = await lstat(join(dir, rel))
        out.push(`${rel} ${st.size} ${st.mtimeMs}`)
      }
    }
  }
  await walk('')
  return out.sort()
}
