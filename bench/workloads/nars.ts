// Larger NARs for upload throughput: 9 store paths, about 570 MB of mixed data, added once with
// `nix-store --add`. Also dumped to .nar files, so `zstd -T0` can be timed on exactly the bytes
// our pipeline compresses.
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { removeTree } from '../../__tests__/helpers/nix-store.js'
import { log } from '../lib/log.js'
import { WORKLOADS } from '../lib/paths.js'
import { lines, openStore, type BenchStore } from '../lib/store.js'

export interface NarWorkload {
  store: BenchStore
  /** Store paths, in the order of `nars`. */
  paths: string[]
  /** Their NAR serialisations on disk. */
  nars: string[]
  narBytes: number
  description: string
}

const MB = 1_000_000

/** A deterministic PRNG (xorshift32), so text is varied but cheap to produce. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x
  }
}

const WORDS = 'error warning info debug compile link test build install fetch unpack patch configure check fixup'.split(' ')

/** Log-like text: compresses several times over, like build logs, sources and docs. */
function text(bytes: number, seed: number): Buffer {
  const next = prng(seed)
  const parts: string[] = []
  let size = 0
  while (size < bytes) {
    const line = `${1_700_000_000 + (next() % 10_000_000)} [${WORDS[next() % WORDS.length]}] ${WORDS[next() % WORDS.length]}/${(next() % 100_000).toString(36)}.c:${next() % 5000}: ${WORDS[next() % WORDS.length]} ${(next() >>> 0).toString(16)}\n`
    parts.push(line)
    size += line.length
  }
  return Buffer.from(parts.join('')).subarray(0, bytes)
}

/** Like a shared library: runs of random bytes, zeros and repeated tables. */
function binaryLike(bytes: number, seed: number): Buffer {
  const next = prng(seed)
  const out = Buffer.alloc(bytes)
  let at = 0
  while (at < bytes) {
    const run = Math.min(bytes - at, 512 + (next() % 8192))
    const kind = next() % 3
    if (kind === 0) randomBytes(run).copy(out, at)
    else if (kind === 1) out.fill(next() & 0xff, at, at + run)
    else out.write(text(run, next()).toString('latin1'), at, 'latin1')
    at += run
  }
  return out
}

interface Spec {
  name: string
  make(dir: string): Promise<void>
  what: string
}

const file = (bytes: () => Buffer) => async (target: string) => writeFile(target, bytes())

async function tree(target: string, files: number, size: number, seed: number): Promise<void> {
  const next = prng(seed)
  for (let i = 0; i < files; i++) {
    const dir = join(target, `d${i % 40}`, `s${i % 7}`)
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, `f${i}.txt`), i % 5 === 0 ? randomBytes(size) : text(size, next()))
  }
}

const SPECS: Spec[] = [
  { name: 'random-a.bin', make: file(() => randomBytes(80 * MB)), what: '80 MB random' },
  { name: 'random-b.tar.gz', make: file(() => randomBytes(60 * MB)), what: '60 MB random' },
  { name: 'build-a.log', make: file(() => text(80 * MB, 1)), what: '80 MB text' },
  { name: 'table-b.csv', make: file(() => text(60 * MB, 2)), what: '60 MB text' },
  { name: 'libbig.so', make: file(() => binaryLike(80 * MB, 3)), what: '80 MB binary-like' },
  { name: 'libmid.so', make: file(() => binaryLike(60 * MB, 4)), what: '60 MB binary-like' },
  { name: 'share-tree', make: (t) => tree(t, 5000, 8192, 5), what: '5,000 files of 8 kB (41 MB)' },
  {
    name: 'bundle',
    make: async (t) => {
      await mkdir(t)
      for (let i = 0; i < 20; i++) await writeFile(join(t, `part${i}`), i % 2 ? binaryLike(3 * MB, 10 + i) : text(3 * MB, 10 + i))
    },
    what: '20 files of 3 MB'
  },
  { name: 'iso-like.img', make: file(() => binaryLike(64 * MB, 7)), what: '64 MB binary-like' }
]

export async function narWorkload(): Promise<NarWorkload> {
  const root = join(WORKLOADS, 'nars-v1')
  const listFile = join(root, 'paths.txt')
  const narDir = join(root, 'nar')
  const description = SPECS.map((s) => s.what).join(', ')
  if (existsSync(listFile)) {
    const store = await openStore(root)
    const paths = lines(await readFile(listFile, 'utf8'))
    const nars = SPECS.map((s) => join(narDir, `${s.name}.nar`))
    const narBytes = Number(await readFile(join(root, 'nar-bytes'), 'utf8'))
    return { store, paths, nars, narBytes, description }
  }
  await removeTree(root)
  const store = await openStore(root)
  const src = join(root, 'src')
  await mkdir(narDir, { recursive: true })
  const paths: string[] = []
  const nars: string[] = []
  let narBytes = 0
  for (const spec of SPECS) {
    await mkdir(src, { recursive: true })
    await spec.make(join(src, spec.name))
    paths.push((await store.runOk('nix-store', ['--add', spec.name], { cwd: src })).stdout.trim())
    await rm(src, { recursive: true, force: true })
    const nar = join(narDir, `${spec.name}.nar`)
    // `nix-store --dump` reads the logical path, which a chroot store does not have.
    await store.runOk('/bin/sh', ['-c', `nix store dump-path "$1" > "$2"`, 'sh', paths[paths.length - 1]!, nar])
    nars.push(nar)
    narBytes += (await stat(nar)).size
    log(`  NARs: ${spec.name} added`)
  }
  await writeFile(join(root, 'nar-bytes'), String(narBytes))
  await writeFile(listFile, paths.join('\n') + '\n')
  return { store, paths, nars, narBytes, description }
}
