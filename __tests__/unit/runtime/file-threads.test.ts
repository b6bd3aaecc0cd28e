import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FileWriteError, writeOnFileThread } from '../../../src/runtime/file-threads.js'

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

describe('a file written on a file thread', () => {
  it('gets its final name, and its temporary name is gone', async () => {
    const temp = join(dir, '.a.spool')
    await writeOnFileThread({ kind: 'link', temp, target: join(dir, 'a'), bytes: Buffer.from('NAR a') })
    expect(await readFile(join(dir, 'a'), 'utf8')).toBe('NAR a')
    expect(existsSync(temp)).toBe(false)
    await writeOnFileThread({ kind: 'rename', temp: join(dir, 'b.tmp'), target: join(dir, 'b'), bytes: Buffer.from('narinfo b') })
    expect(await readFile(join(dir, 'b'), 'utf8')).toBe('narinfo b')
    expect(existsSync(join(dir, 'b.tmp'))).toBe(false)
  })

  it('never replaces an existing file when linked: the link fails with EEXIST and the temporary file is kept for the caller', async () => {
    await writeFile(join(dir, 'good'), 'the good NAR')
    const temp = join(dir, '.good.spool')
    const e = await failure(writeOnFileThread({ kind: 'link', temp, target: join(dir, 'good'), bytes: Buffer.from('another') }))
    expect({ step: e.step, code: e.code }).toEqual({ step: 'link', code: 'EEXIST' })
    expect(await readFile(join(dir, 'good'), 'utf8')).toBe('the good NAR')
    expect(await readFile(temp, 'utf8')).toBe('another')
  })

  it('replaces the target when renamed (a narinfo written again)', async () => {
    await writeFile(join(dir, 'c'), 'old')
    await writeOnFileThread({ kind: 'rename', temp: join(dir, 'c.tmp'), target: join(dir, 'c'), bytes: Buffer.from('new') })
    expect(await readFile(join(dir, 'c'), 'utf8')).toBe('new')
  })

  it('never writes into a temporary name that exists, and leaves that file alone', async () => {
    await writeFile(join(dir, 'taken.tmp'), 'someone else')
    const e = await failure(writeOnFileThread({ kind: 'rename', temp: join(dir, 'taken.tmp'), target: join(dir, 'd'), bytes: Buffer.from('mine') }))
    expect({ step: e.step, code: e.code }).toEqual({ step: 'write', code: 'EEXIST' })
    expect(existsSync(join(dir, 'd'))).toBe(false)
    expect(await readFile(join(dir, 'taken.tmp'), 'utf8')).toBe('someone else')
  })

  it('sends exactly the bytes of a Buffer that is a view into a larger one', async () => {
    const pool = Buffer.from('xxxxPAYLOADyyyy')
    await writeOnFileThread({ kind: 'rename', temp: join(dir, 'e.tmp'), target: join(dir, 'e'), bytes: pool.subarray(4, 11) })
    expect(await readFile(join(dir, 'e'), 'utf8')).toBe('PAYLOAD')
    // The caller's buffer is still usable: only a copy went to the thread.
    expect(pool.toString()).toBe('xxxxPAYLOADyyyy')
  })
})
