import { describe, expect, it } from '@jest/globals'
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { diffSnapshots, loadSnapshot, saveSnapshot, takeSnapshot } from '../src/snapshot.js'
import { resolveStore } from '../src/nix/store-location.js'

describe('snapshot diff', () => {
  it('returns exactly the names that are new, in order', () => {
    expect(diffSnapshots(['a', 'b', 'c'], ['c', 'd', 'a', 'e'])).toEqual(['d', 'e'])
  })

  it('merges sorted snapshots (as the database gives them) to the same result as unsorted ones', () => {
    expect(diffSnapshots(['a', 'c', 'e'], ['a', 'b', 'c', 'd', 'f'])).toEqual(['b', 'd', 'f'])
    expect(diffSnapshots(['b', 'c'], ['a'])).toEqual(['a'])
    expect(diffSnapshots([], ['a', 'b'])).toEqual(['a', 'b'])
    let seed = 7
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    for (let round = 0; round < 50; round++) {
      const pool = Array.from({ length: 40 }, (_, i) => `${(i * 7919) % 997}-p`)
      const before = pool.filter(() => random() < 0.5).sort()
      const after = pool.filter(() => random() < 0.5).sort()
      const expected = after.filter((n) => !before.includes(n))
      expect(diffSnapshots(before, after)).toEqual(expected)
      expect(diffSnapshots([...before].reverse(), after)).toEqual(expected)
    }
  })

  it('round-trips through its file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'snap-'))
    const file = join(dir, 's')
    await saveSnapshot(file, { method: 'dir', names: ['x', 'y'] })
    expect(await loadSnapshot(file)).toEqual({ method: 'dir', names: ['x', 'y'] })
    await rm(dir, { recursive: true })
  })

  it('lists store paths from the directory, skipping lock files, build leftovers and .links', async () => {
    const root = await mkdtemp(join(tmpdir(), 'store-'))
    const store = resolveStore(root)
    await mkdir(store.realStoreDir, { recursive: true })
    const h = '0123456789abcdfghijklmnpqrsvwxyz'
    for (const n of [`${h}-ok`, `${h}-ok.lock`, `${h}-x.drv.chroot`, `${h}-y.check`, '.links', 'tmp-12-3', `${h}-a.drv`]) {
      await (n === '.links' ? mkdir(join(store.realStoreDir, n)) : writeFile(join(store.realStoreDir, n), ''))
    }
    const snap = await takeSnapshot(store, 'dir')
    expect(snap.names.sort()).toEqual([`${h}-a.drv`, `${h}-ok`])
    await rm(root, { recursive: true })
  })
})
