import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadSnapshot, saveSnapshot } from '../../../src/nix/snapshot.js'

let dir: string
const names = Array.from({ length: 200 }, (_, i) => `${String(i).padStart(3, '0').repeat(11).slice(0, 32).replace(/[eotu]/g, '0')}-path-${i}`)

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'snapshot-file-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('the snapshot file', () => {
  it('reads back exactly what was saved, empty stores included', async () => {
    for (const snap of [{ method: 'db' as const, names }, { method: 'dir' as const, names: [] }]) {
      const file = join(dir, `full-${snap.method}`)
      await saveSnapshot(file, snap)
      expect(await loadSnapshot(file)).toEqual(snap)
    }
  })

  it.each([
    ['mid-name', (size: number) => Math.floor(size / 2) + 3],
    ['at a line end', (size: number) => size - 'end 200\n'.length],
    ['to the method line', () => 3]
  ])('is reported as truncated when cut %s, not read as a smaller store', async (what, at) => {
    const file = join(dir, `cut-${what.replace(/ /g, '-')}`)
    await saveSnapshot(file, { method: 'db', names })
    await truncate(file, at((await stat(file)).size))
    await expect(loadSnapshot(file)).rejects.toThrow(/is truncated/)
  })

  it('is reported as truncated when its count does not match (lines lost in the middle)', async () => {
    const file = join(dir, 'lost-lines')
    await saveSnapshot(file, { method: 'db', names })
    const text = await readFile(file, 'utf8')
    await writeFile(file, text.split('\n').filter((_, i) => i !== 5).join('\n'))
    await expect(loadSnapshot(file)).rejects.toThrow(/is truncated/)
  })
})
