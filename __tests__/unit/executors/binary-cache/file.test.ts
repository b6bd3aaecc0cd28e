import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FileBackend } from '../../../../src/executors/binary-cache/file.js'
import { runProcess } from '../../../helpers/proc.js'
import { itAsRoot } from '../../../helpers/requires.js'

let dir: string
const chattr = (flag: string, path: string) => runProcess('chattr', [flag, path], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } })

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'file-backend-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('FileBackend', () => {
  it('touches the narinfos it finds for the retention GC, unless the job only reads (dry-run, pull-only)', async () => {
    const cache = join(dir, 'touch-found')
    await mkdir(cache, { recursive: true })
    const old = new Date(Date.now() - 10 * 24 * 3600 * 1000)
    for (const h of ['a', 'b']) {
      await writeFile(join(cache, `${h}.narinfo`), 'StorePath: x\n')
      await utimes(join(cache, `${h}.narinfo`), old, old)
    }
    const mtime = async (h: string): Promise<number> => (await stat(join(cache, `${h}.narinfo`))).mtimeMs
    expect([...(await new FileBackend(cache, { touchFound: false }).existing(['a', 'c']))]).toEqual(['a'])
    expect(await mtime('a')).toBe(old.getTime())
    expect([...(await new FileBackend(cache).existing(['b', 'c']))]).toEqual(['b'])
    expect(await mtime('b')).toBeGreaterThan(Date.now() - 60_000)
  })

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

  it('publishes bytes in memory the same way (a link, never over a file already there) and leaves no spool or temporary file', async () => {
    const cache = join(dir, 'cache-bytes')
    const b = new FileBackend(cache)
    await b.prepare('/nix/store')
    expect(await b.publishBytes('nar/z.nar.zst', Buffer.from('first'))).toBe('written')
    expect(await b.publishBytes('nar/z.nar.zst', Buffer.from('second'))).toBe('existed')
    expect(await readFile(join(cache, 'nar/z.nar.zst'), 'utf8')).toBe('first')
    await b.putBytes('h.narinfo', Buffer.from('one'))
    await b.putBytes('h.narinfo', Buffer.from('two'))
    expect(await readFile(join(cache, 'h.narinfo'), 'utf8')).toBe('two')
    const names = [...(await readdir(cache)), ...(await readdir(join(cache, 'nar')))]
    expect(names.filter((n) => /spool|tmp/.test(n))).toEqual([])
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
  it('sweeps only temporaries no writer has touched for an hour, never a NAR, a narinfo or a spool in use', async () => {
    const cache = join(dir, 'sweep')
    await mkdir(join(cache, 'nar'), { recursive: true })
    const files = {
      staleSpool: join(cache, 'nar', '.0abc.nar.zst.spool-0123456789ab'),
      freshSpool: join(cache, 'nar', '.0def.nar.zst.spool-ba9876543210'),
      staleTmp: join(cache, '0abc.narinfo.tmp-00112233aabb'),
      nar: join(cache, 'nar', '0abc.nar.zst'),
      narinfo: join(cache, '0abc.narinfo'),
      lookalike: join(cache, 'nar', 'notes.spool-backup')
    }
    for (const f of Object.values(files)) await writeFile(f, 'x')
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000)
    for (const f of [files.staleSpool, files.staleTmp, files.nar, files.narinfo, files.lookalike]) await utimes(f, old, old)
    expect(await new FileBackend(cache).sweepLeftovers()).toBe(2)
    expect((await readdir(join(cache, 'nar'))).sort()).toEqual(['.0def.nar.zst.spool-ba9876543210', '0abc.nar.zst', 'notes.spool-backup'])
    expect(await readdir(cache)).toEqual(expect.arrayContaining(['0abc.narinfo']))
    expect(await readdir(cache)).not.toContain('0abc.narinfo.tmp-00112233aabb')
    // A cache that does not exist yet has nothing to sweep.
    expect(await new FileBackend(join(dir, 'absent')).sweepLeftovers()).toBe(0)
  })
})
