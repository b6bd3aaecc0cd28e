import { describe, expect, it } from '@jest/globals'
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { diffSnapshots, loadSnapshot, saveSnapshot, storeChanges, takeSnapshot } from '../../../src/nix/snapshot.js'
import { createTestStore, ensureNixAvailable } from '../../helpers/nix-store.js'
import { resolveStore } from '../../../src/nix/store-location.js'

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

  // On a multi-user install the database can be readable in the main step and not in the post
  // step (no -shm file), or the other way round; the result must not depend on it.
  it('finds the same new valid paths whichever snapshot method each step could use', async () => {
    await ensureNixAvailable()
    const store = await createTestStore()
    const saved = { NIX_CONFIG: process.env.NIX_CONFIG, HOME: process.env.HOME }
    Object.assign(process.env, { NIX_CONFIG: store.nixConfig, HOME: store.home })
    try {
      const add = async (name: string): Promise<string> => {
        await writeFile(join(store.root, name), `${name}\n`)
        return (await store.runOk('nix-store', ['--add', join(store.root, name)])).stdout.trim()
      }
      await add('before.txt')
      const location = resolveStore(store.storeRoot)
      const unreadableDb = { ...location, dbPath: join(store.root, 'no-such-db.sqlite') }
      const leftover = '0123456789abcdfghijklmnpqrsvwxy0-interrupted-copy'
      await mkdir(join(location.realStoreDir, leftover))
      const fromDb = await takeSnapshot(location)
      const fromDir = await takeSnapshot(unreadableDb)
      expect([fromDb.method, fromDir.method]).toEqual(['db', 'dir'])
      const added = await add('during.txt')

      for (const [before, post, methods] of [
        [fromDb, unreadableDb, 'db → dir'],
        [fromDir, location, 'dir → db'],
        [fromDir, unreadableDb, 'dir → dir'],
        [fromDb, location, 'db → db']
      ] as const) {
        expect(await storeChanges(before, post)).toMatchObject({ newPaths: [added], methods })
      }
    } finally {
      Object.assign(process.env, saved)
      await store.cleanup()
    }
  })
})
