import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FileWriteError, onThreadsNow, writeSmallFile } from '../../../src/runtime/file-threads.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'file-threads-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

const failure = async (p: Promise<void>): Promise<FileWriteError> => {
  try {
    await p
  } catch (e) {
    if (e instanceof FileWriteError) return e
    throw e
  }
  throw new Error('the write succeeded')
}

// The first writes of a process are done inline, later ones on the threads: every behaviour is
// checked both ways, in this order.
describe.each([
  ['inline, as a push of a few paths does', false],
  ['on the file threads, as a push of many small paths does', true]
])('a file written %s', (_how, threads) => {
  const at = (name: string): string => join(dir, `${threads ? 'threads' : 'inline'}-${name}`)
  beforeAll(async () => {
    // Enough writes to reach the threads (WRITES_BEFORE_THREADS).
    for (let i = 0; threads && !onThreadsNow(); i++) {
      await writeSmallFile({ kind: 'rename', temp: join(dir, `fill-${i}.tmp`), target: join(dir, `fill-${i}`), bytes: Buffer.from('x') })
    }
  })
  afterAll(() => {
    // Each block ran in the mode its name says.
    expect(onThreadsNow()).toBe(threads)
  })

  it('gets its final name, and its temporary name is gone', async () => {
    const temp = at('.a.spool')
    await writeSmallFile({ kind: 'link', temp, target: at('a'), bytes: Buffer.from('NAR a') })
    expect(await readFile(at('a'), 'utf8')).toBe('NAR a')
    expect(existsSync(temp)).toBe(false)
    await writeSmallFile({ kind: 'rename', temp: at('b.tmp'), target: at('b'), bytes: Buffer.from('narinfo b') })
    expect(await readFile(at('b'), 'utf8')).toBe('narinfo b')
    expect(existsSync(at('b.tmp'))).toBe(false)
  })

  it('never replaces an existing file when linked: the link fails with EEXIST and the temporary file is kept for the caller', async () => {
    await writeFile(at('good'), 'the good NAR')
    const temp = at('.good.spool')
    const e = await failure(writeSmallFile({ kind: 'link', temp, target: at('good'), bytes: Buffer.from('another') }))
    expect({ step: e.step, code: e.code }).toEqual({ step: 'link', code: 'EEXIST' })
    expect(await readFile(at('good'), 'utf8')).toBe('the good NAR')
    expect(await readFile(temp, 'utf8')).toBe('another')
  })

  it('replaces the target when renamed (a narinfo written again)', async () => {
    await writeFile(at('c'), 'old')
    await writeSmallFile({ kind: 'rename', temp: at('c.tmp'), target: at('c'), bytes: Buffer.from('new') })
    expect(await readFile(at('c'), 'utf8')).toBe('new')
  })

  it('never writes into a temporary name that exists, and leaves that file alone', async () => {
    await writeFile(at('taken.tmp'), 'someone else')
    const e = await failure(writeSmallFile({ kind: 'rename', temp: at('taken.tmp'), target: at('d'), bytes: Buffer.from('mine') }))
    expect({ step: e.step, code: e.code }).toEqual({ step: 'write', code: 'EEXIST' })
    expect(existsSync(at('d'))).toBe(false)
    expect(await readFile(at('taken.tmp'), 'utf8')).toBe('someone else')
  })

  it('sends exactly the bytes of a Buffer that is a view into a larger one', async () => {
    const pool = Buffer.from('xxxxPAYLOADyyyy')
    await writeSmallFile({ kind: 'rename', temp: at('e.tmp'), target: at('e'), bytes: pool.subarray(4, 11) })
    expect(await readFile(at('e'), 'utf8')).toBe('PAYLOAD')
    // The caller's buffer is still usable: only a copy went to the thread.
    expect(pool.toString()).toBe('xxxxPAYLOADyyyy')
  })
})
