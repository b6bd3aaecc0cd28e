// Stores of many registered paths (10,000 and 100,000), for the snapshot and diff costs.
// `nix-store --add` in batches of 5,000 registers 100,000 paths in about 35 s; the result is
// kept under .bench/workloads and reused.
import { existsSync } from 'node:fs'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { removeTree } from '../../__tests__/helpers/nix-store.js'
import { log } from '../lib/log.js'
import { WORKLOADS } from '../lib/paths.js'
import { openStore, type BenchStore } from '../lib/store.js'

const BATCH = 5000

export async function bigStore(paths: number): Promise<BenchStore> {
  const root = join(WORKLOADS, `store-${paths}-v1`)
  const marker = join(root, 'complete')
  if (existsSync(marker)) return openStore(root)
  await removeTree(root)
  const store = await openStore(root)
  const t0 = Date.now()
  const src = join(root, 'src')
  for (let first = 0; first < paths; first += BATCH) {
    await mkdir(src, { recursive: true })
    const names: string[] = []
    for (let i = first; i < Math.min(first + BATCH, paths); i++) {
      // Names and sizes vary a little, like a real store's; contents differ so hashes do.
      const name = `pkg${i}-${1 + (i % 9)}.${i % 13}`
      await writeFile(join(src, name), `bench store path ${i}\n${'x'.repeat((i * 37) % 300)}\n`)
      names.push(name)
    }
    await store.runOk('nix-store', ['--add', ...names], { cwd: src })
    await rm(src, { recursive: true, force: true })
    log(`  store of ${paths}: ${Math.min(first + BATCH, paths)} paths registered (${((Date.now() - t0) / 1000).toFixed(0)} s)`)
  }
  await writeFile(marker, `${paths}\n`)
  return store
}
