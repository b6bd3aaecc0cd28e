import { randomBytes } from 'node:crypto'
import { mkdir, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { recordKey, renderRecordPart } from '../../src/format/job-record.js'

const NIX32 = '0123456789abcdfghijklmnpqrsvwxyz'
const nix32 = (n: number): string => [...randomBytes(n)].map((b) => NIX32[b % 32]).join('')

/**
 * A file:// cache of `narinfos` narinfos (each with a one-byte NAR and one reference to an earlier
 * path of the same job), pushed in order by `jobs` jobs a month ago: every file a month old. The GC tests that
 * need many narinfos rather than real Nix paths use it.
 */
export async function writeAgedCache(dir: string, narinfos: number, jobs: number): Promise<void> {
  await mkdir(join(dir, 'nar'), { recursive: true })
  const hashes = Array.from({ length: narinfos }, () => nix32(32))
  const files = new Map<string, string>([['nix-cache-info', 'StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 40\n']])
  const perJob = narinfos / jobs
  hashes.forEach((h, i) => {
    // An earlier path of the same job, so each job's closure stays its own.
    const first = Math.floor(i / perJob) * perJob
    const refs = i === first ? [] : [hashes[first + Math.floor(Math.random() * (i - first))] as string]
    const nar = `nar/${nix32(52)}.nar.zst`
    files.set(`${h}.narinfo`, `StorePath: /nix/store/${h}-p\nURL: ${nar}\nCompression: zstd\nFileSize: 64\nNarHash: sha256:${randomBytes(32).toString('hex')}\nNarSize: 120\nReferences: ${refs.map((r) => `${r}-p`).join(' ')}\n`)
    files.set(nar, 'x')
  })
  const monthAgo = Date.now() - 30 * 86_400_000
  for (let j = 0; j < jobs; j++) {
    const pushed = hashes.slice(j * perJob, (j + 1) * perJob).map((h) => `/nix/store/${h}-p`)
    files.set(recordKey(`job${j}`, 'post'), renderRecordPart({ job: `job${j}`, time: monthAgo + j * 60_000, pushed, used: [] }))
  }
  const old = new Date(monthAgo)
  for (const [key, text] of files) {
    await mkdir(join(dir, key, '..'), { recursive: true })
    await writeFile(join(dir, key), text)
    await utimes(join(dir, key), old, old)
  }
}
