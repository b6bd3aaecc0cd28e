// Every compression the action writes is read back by real Nix substitution: a fresh store with
// the cache as its only substituter runs `nix-store -r` on the pushed paths, and Nix checks each
// NAR against its NarHash while unpacking it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FileBackend } from '../../../../src/executors/binary-cache/file.js'
import type { Compression } from '../../../../src/format/compression.js'
import { narHashOf } from '../../../../src/format/nar.js'
import { parseNarInfo } from '../../../../src/format/narinfo.js'
import type { PathInfo } from '../../../../src/format/path-info.js'
import { formatNix32Hash, parseHash } from '../../../../src/format/nix32.js'
import { parseSecretKey } from '../../../../src/format/signing.js'
import { uploadPaths } from '../../../../src/executors/binary-cache/upload.js'
import { createTestStore, removeTree, substitutedPaths, type TestStore } from '../../../helpers/nix-store.js'
import { zstdFrames } from '../../../helpers/zstd-frames.js'

let dir: string
let producer: TestStore
let infos: PathInfo[]
let publicKey: string
let secretKey: string

/** Text that compresses well, with some variety. */
function text(bytes: number): Buffer {
  const lines: string[] = []
  let size = 0
  for (let i = 0; size < bytes; i++) {
    const line = `${i} [info] compile src/module${i % 977}.c -> obj/module${i % 977}.o (${(i * 2654435761) >>> 0})\n`
    lines.push(line)
    size += line.length
  }
  return Buffer.from(lines.join('')).subarray(0, bytes)
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'compression-sub-'))
  execFileSync('nix-store', ['--generate-binary-cache-key', 'compression-test-1', join(dir, 'sk'), join(dir, 'pk')])
  secretKey = await readFile(join(dir, 'sk'), 'utf8')
  publicKey = await readFile(join(dir, 'pk'), 'utf8')
  producer = await createTestStore({ parentDir: dir })

  // A large path, compressed as several frames: 13 MB of files that straddle frame boundaries,
  // an executable, a symlink and a nested directory.
  const large = join(dir, 'src', 'large-tree')
  await mkdir(join(large, 'share', 'doc'), { recursive: true })
  await writeFile(join(large, 'random.bin'), randomBytes(5_000_000))
  await writeFile(join(large, 'share', 'doc', 'log.txt'), text(6_000_000))
  await writeFile(join(large, 'run'), '#!/bin/sh\necho hi\n', { mode: 0o755 })
  await writeFile(join(large, 'mixed.bin'), Buffer.concat([randomBytes(1_000_000), text(1_000_000)]))
  await symlink('share/doc/log.txt', join(large, 'log'))
  // A small path, compressed in one call.
  const small = join(dir, 'src', 'small.txt')
  await writeFile(small, text(10_000))

  const added = (await producer.runOk('nix-store', ['--add', large, small])).stdout.trim().split('\n')
  infos = (await producer.pathInfo(added)).map((p) => ({
    path: p.path,
    narHash: formatNix32Hash(parseHash(p.narHash!)),
    narSize: p.narSize!,
    references: p.references ?? [],
    signatures: p.signatures ?? [],
    ultimate: true
  }))
}, 120_000)

afterAll(async () => {
  await removeTree(dir)
})

async function pushWith(compression: Compression): Promise<string> {
  const cache = join(dir, `cache-${compression}`)
  const backend = new FileBackend(cache)
  await backend.prepare('/nix/store')
  const out = await uploadPaths(infos, {
    backend,
    signer: parseSecretKey(secretKey),
    compression,
    parallelism: 2,
    realStoreDir: producer.physicalPath('/nix/store')
  })
  expect(out.failed).toEqual([])
  expect(out.pushed).toHaveLength(infos.length)
  return cache
}

/** `nix-store -r` of every pushed path in a fresh store whose only substituter is `cache`. */
async function substituteFrom(cache: string): Promise<{ log: string; consumer: TestStore }> {
  const consumer = await createTestStore({
    parentDir: dir,
    extraConfig: [`substituters = file://${cache}`, `trusted-public-keys = ${publicKey.trim()}`]
  })
  const r = await consumer.runOk('nix-store', ['-r', ...infos.map((i) => i.path)])
  return { log: r.stderr, consumer }
}

/** The consumer's copies serialise to the producer's NarHash (Nix checked it too, on unpacking). */
async function expectSameContents(consumer: TestStore): Promise<void> {
  for (const info of infos) {
    const { hash } = await narHashOf(consumer.physicalPath(info.path))
    expect(formatNix32Hash(hash)).toBe(info.narHash)
  }
}

describe('every compression the action writes is substituted by Nix', () => {
  it('reads back zstd NARs written as several independent frames', async () => {
    const cache = await pushWith('zstd')
    const large = infos.find((i) => i.path.endsWith('-large-tree'))!
    const narinfo = parseNarInfo(await readFile(join(cache, `${large.path.slice(11, 43)}.narinfo`), 'utf8'))
    expect(narinfo.compression).toBe('zstd')
    expect(narinfo.url).toMatch(/\.nar\.zst$/)
    // 13 MB in frames of at most 4 MiB: at least four.
    expect(zstdFrames(await readFile(join(cache, narinfo.url))).length).toBeGreaterThanOrEqual(4)

    const { log, consumer } = await substituteFrom(cache)
    expect(substitutedPaths(log).map((s) => s.path).sort()).toEqual(infos.map((i) => i.path).sort())
    await expectSameContents(consumer)
  }, 180_000)

  it.each(['xz', 'none'] as const)('reads back %s NARs', async (compression) => {
    const cache = await pushWith(compression)
    const large = infos.find((i) => i.path.endsWith('-large-tree'))!
    const narinfo = parseNarInfo(await readFile(join(cache, `${large.path.slice(11, 43)}.narinfo`), 'utf8'))
    expect(narinfo.compression).toBe(compression)
    const { log, consumer } = await substituteFrom(cache)
    expect(substitutedPaths(log).map((s) => s.path).sort()).toEqual(infos.map((i) => i.path).sort())
    await expectSameContents(consumer)
  }, 180_000)
})
