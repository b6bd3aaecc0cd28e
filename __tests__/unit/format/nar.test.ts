import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { NAR_MAX_DEPTH, NarTooDeep, narHashOf, narStream } from '../../../src/format/nar.js'
import { formatNix32Hash, parseHash, toNix32 } from '../../../src/format/nix32.js'
import { SAMPLE_EXPRESSION, throwawayNix, type ThrowawayNix } from '../../helpers/throwaway-nix.js'
import { installedNixMinor, pathInfoList } from '../../helpers/nix-store.js'

// Orders differently as UTF-16 (JS default sort) and as UTF-8 bytes (Nix), so a wrong sort shows.
const FULLWIDTH_A = '\uff21'
const EMOJI = '\u{1f600}'
const NON_UTF8_NAME = Buffer.from([0x66, 0xff, 0x2e, 0x62, 0x69, 0x6e])
const BIG_SIZE = 2.5 * 1024 * 1024 + 3

let nix: ThrowawayNix
let tree: string

beforeAll(() => {
  nix = throwawayNix()
  tree = join(nix.dir, 'tree')
  mkdirSync(join(tree, 'sub', 'nested'), { recursive: true })
  mkdirSync(join(tree, 'empty-dir'))
  writeFileSync(join(tree, 'regular.txt'), 'hello\n')
  writeFileSync(join(tree, 'eight-bytes'), '12345678')
  writeFileSync(join(tree, 'empty'), '')
  writeFileSync(join(tree, 'run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 })
  // Nix only looks at the owner's x bit.
  writeFileSync(join(tree, 'group-exec'), 'x', { mode: 0o654 })
  chmodSync(join(tree, 'group-exec'), 0o654)
  writeFileSync(join(tree, 'big.bin'), randomBytes(BIG_SIZE))
  writeFileSync(join(tree, 'sub', 'nested', 'deep.txt'), 'deep')
  symlinkSync('regular.txt', join(tree, 'link'))
  symlinkSync('/nonexistent/target', join(tree, 'sub', 'dangling'))
  for (const name of ['B', 'a', '_', 'Z', '10', '9', '.hidden', 'é', FULLWIDTH_A, EMOJI]) {
    writeFileSync(join(tree, 'sub', name), name)
  }
  writeFileSync(Buffer.concat([Buffer.from(join(tree, 'sub') + '/'), NON_UTF8_NAME]), 'bytes')
})

afterAll(() => nix?.cleanup())

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

const dump = (path: string): Buffer => nix.runRaw('nix-store', ['--dump', path])

describe('narStream', () => {
  it('needs byte-wise sorting for the test names (guards the test itself)', () => {
    expect([FULLWIDTH_A, EMOJI].sort()).toEqual([EMOJI, FULLWIDTH_A])
    expect([Buffer.from(FULLWIDTH_A), Buffer.from(EMOJI)].sort(Buffer.compare)[0].toString()).toBe(FULLWIDTH_A)
  })

  // macOS stores `README` next to `readme` as `readme~nix~case~hack~1` (use-case-hack, on by
  // default there); the NAR, and so narHash, carries the real names (Nix archive.cc dump()).
  it('strips use-case-hack suffixes as Nix does on macOS, and only when the hack is on', async () => {
    const hacked = join(nix.dir, 'case-hacked')
    mkdirSync(join(hacked, 'Dir~nix~case~hack~1'), { recursive: true })
    writeFileSync(join(hacked, 'readme'), 'lower')
    writeFileSync(join(hacked, 'README~nix~case~hack~1'), 'upper')
    writeFileSync(join(hacked, 'Dir~nix~case~hack~1', 'b~nix~case~hack~2'), 'b')
    writeFileSync(join(hacked, 'dir'), 'd')
    const withHack = nix.runRaw('nix-store', ['--option', 'use-case-hack', 'true', '--dump', hacked])
    expect(withHack.includes(Buffer.from('~nix~case~hack~'))).toBe(false)
    expect((await collect(narStream(hacked, { caseHack: true }))).equals(withHack)).toBe(true)
    expect((await collect(narStream(hacked, { caseHack: false }))).equals(dump(hacked))).toBe(true)
  })

  it('serialises a directory tree byte-for-byte like nix-store --dump', async () => {
    const ours = await collect(narStream(tree))
    const theirs = dump(tree)
    expect(ours.length).toBe(theirs.length)
    expect(ours.equals(theirs)).toBe(true)
  })

  it.each(['regular.txt', 'empty', 'eight-bytes', 'run.sh', 'group-exec', 'link', 'big.bin', 'empty-dir'])(
    'serialises %s on its own like nix-store --dump',
    async (name) => {
      const path = join(tree, name)
      expect((await collect(narStream(path))).equals(dump(path))).toBe(true)
    }
  )

  it('hands file contents on in bounded chunks rather than whole files', async () => {
    let largest = 0
    const stream = narStream(join(tree, 'big.bin'))
    // 'data' events show the chunks as produced; async iteration would merge buffered ones.
    stream.on('data', (chunk: Buffer) => (largest = Math.max(largest, chunk.length)))
    await finished(stream)
    expect(largest).toBeGreaterThanOrEqual(64 * 1024)
    expect(largest).toBeLessThanOrEqual(1024 * 1024)
  })

  it('stops reading ahead when nobody consumes it', async () => {
    const stream = narStream(join(tree, 'big.bin'))
    stream.pause()
    stream.once('readable', () => undefined)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(stream.readableLength).toBeLessThan(BIG_SIZE / 2)
    stream.destroy()
  })

  it('fails with the fs error for a missing path, so callers can see ENOENT', async () => {
    await expect(collect(narStream(join(tree, 'does-not-exist')))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('refuses file types a NAR cannot hold, as Nix does', async () => {
    const fifo = join(nix.dir, 'fifo')
    execFileSync('mkfifo', [fifo])
    await expect(collect(narStream(fifo))).rejects.toThrow(/unsupported type/)
  })
})

describe('narHashOf', () => {
  it('matches nix-hash, which hashes the NAR serialisation', async () => {
    const { hash, size } = await narHashOf(tree)
    expect(toNix32(hash)).toBe(nix.run('nix-hash', ['--type', 'sha256', '--base32', tree]))
    expect(size).toBe(dump(tree).length)
  })

  it('matches the narHash and narSize Nix recorded for real store paths', async () => {
    const top = nix.build(SAMPLE_EXPRESSION, 'b')
    const infos = pathInfoList<{ path: string; narHash: string; narSize: number }>(nix.run('nix', ['path-info', '--json', '--recursive', top]))
    expect(infos).toHaveLength(2)
    for (const info of infos) {
      const { hash, size } = await narHashOf(nix.physical(info.path))
      expect(formatNix32Hash(hash)).toBe(formatNix32Hash(parseHash(info.narHash)))
      expect(size).toBe(info.narSize)
    }
  })

  it('rejects with ENOENT for a missing path', async () => {
    await expect(narHashOf(join(tree, 'gone'))).rejects.toMatchObject({ code: 'ENOENT' })
  })
})

/** A chain of `levels` directories below `root`, a file in the last: its deepest node is `levels + 1` deep. */
function chain(root: string, levels: number): string {
  const deepest = join(root, ...Array.from({ length: levels }, () => 'd'))
  mkdirSync(deepest, { recursive: true })
  writeFileSync(join(deepest, 'f'), 'x')
  return root
}

/** NAR bytes by hand, for a tree our serialiser refuses to write: `levels` directories named `d`, a file `f` in the last. */
function handMadeNar(levels: number): Buffer {
  const str = (s: string): Buffer => {
    const b = Buffer.from(s)
    const len = Buffer.alloc(8)
    len.writeUInt32LE(b.length, 0)
    return Buffer.concat([len, b, Buffer.alloc((8 - (b.length % 8)) % 8)])
  }
  const node = (level: number): Buffer[] =>
    level === levels
      ? ['(', 'type', 'directory', 'entry', '(', 'name', 'f', 'node', '(', 'type', 'regular', 'contents', 'x', ')', ')', ')'].map(str)
      : [...['(', 'type', 'directory', 'entry', '(', 'name', 'd', 'node'].map(str), ...node(level + 1), str(')'), str(')')]
  return Buffer.concat([str('nix-archive-1'), ...node(0)])
}

describe('NAR depth, counted as Nix 2.34 counts it (narMaxDepth = 64, every node, the root at 0)', () => {
  it('serialises a path whose deepest node is 63 levels below its root like nix-store --dump', async () => {
    const ok = chain(join(nix.dir, 'depth-ok'), 62)
    expect(await collect(narStream(ok))).toEqual(dump(ok))
  })

  it('refuses a path with a node 64 levels below its root, naming that node, as Nix 2.34 does', async () => {
    const deep = chain(join(nix.dir, 'depth-64'), 63)
    const refused = collect(narStream(deep))
    await expect(refused).rejects.toBeInstanceOf(NarTooDeep)
    await expect(refused).rejects.toMatchObject({ fsPath: `${deep}/${Array.from({ length: 63 }, () => 'd').join('/')}/f` })
    expect(NAR_MAX_DEPTH).toBe(64)
  })

  it('agrees with the Nix under test: 2.34 and later restore 63 levels and refuse 64, older Nix restores both', () => {
    const restore = (levels: number): string => {
      const target = join(nix.dir, `restored-${levels}`)
      try {
        execFileSync('nix-store', ['--restore', target], { input: handMadeNar(levels), stdio: ['pipe', 'pipe', 'pipe'] })
        return 'restored'
      } catch (e) {
        return String((e as { stderr?: Buffer }).stderr)
      }
    }
    // The hand-made NAR is right: for the depth our serialiser accepts, it is byte-for-byte ours.
    expect(handMadeNar(62)).toEqual(dump(chain(join(nix.dir, 'depth-hand'), 62)))
    expect(restore(62)).toBe('restored')
    if (installedNixMinor() >= 34) expect(restore(63)).toMatch(/NAR directory nesting exceeds maximum depth of 64/)
    else expect(restore(63)).toBe('restored')
  })
})
