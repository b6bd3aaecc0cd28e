import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FileBackend } from '../src/backends/file.js'
import { runProcess } from './helpers/proc.js'
import { itAsRoot } from './helpers/requires.js'

let dir: string
const chattr = (flag: string, path: string) => runProcess('chattr', [flag, path], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } })

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'file-backend-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('FileBackend', () => {
  it('publishes a spool file with a link, and never over a file already under the name', async () => {
    const b = new FileBackend(join(dir, 'cache'))
    await b.prepare('/nix/store')
    const first = await b.spoolFile('nar/x.nar.zst')
    // Next to its final name (the same file system, so a link), hidden from Nix.
    expect(first.startsWith(join(dir, 'cache', 'nar', '.x.nar.zst.spool-'))).toBe(true)
    await writeFile(first, 'first')
    expect(await b.publish('nar/x.nar.zst', first)).toBe('written')
    const second = await b.spoolFile('nar/x.nar.zst')
    await writeFile(second, 'second')
    expect(await b.publish('nar/x.nar.zst', second)).toBe('existed')
    expect(await readFile(join(dir, 'cache', 'nar/x.nar.zst'), 'utf8')).toBe('first')
    expect(await b.has('nar/x.nar.zst')).toBe(true)
    expect(await b.has('nar/y.nar.zst')).toBe(false)
  })

  itAsRoot('sets the immutable attribute with chattr')('names the real cause when the cache cannot be written, even for root (EPERM of an immutable directory)', async () => {
    const cache = join(dir, 'immutable')
    await new FileBackend(cache).prepare('/nix/store')
    expect((await chattr('+i', join(cache, 'nar'))).code).toBe(0)
    try {
      await expect(new FileBackend(cache).prepare('/nix/store')).rejects.toThrow(
        `file://${cache} is not writable: operation not permitted (EPERM at ${join(cache, 'nar')}/.write-test-`
      )
    } finally {
      await chattr('-i', join(cache, 'nar'))
    }
  })
})
