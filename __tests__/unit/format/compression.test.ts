import { afterEach, describe, expect, it } from '@jest/globals'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import { pipeline } from 'node:stream/promises'
import { zstdDecompressSync } from 'node:zlib'
import { compressor } from '../../../src/format/compression.js'
import { reuseFrames, THROUGHPUT_REUSE } from '../../../src/format/frame-buffers.js'
import { narHashOf, narStream } from '../../../src/format/nar.js'
import { limitFraming, THROUGHPUT_FRAMING } from '../../../src/format/zstd-frames.js'
import { decodeFrames, inPieces, zstdFrames } from '../../helpers/zstd-frames.js'

const MiB = 1 << 20

/** `data` in chunks of varying sizes, as a stream other than the NAR serialiser might write. */
const chunked = (data: Buffer, seed: number): Readable => inPieces(data, seed, 1, 3 * MiB)

async function compress(data: Buffer, seed: number): Promise<Buffer> {
  const z = compressor('zstd', data.length)
  const out = buffer(z)
  await pipeline(chunked(data, seed), z)
  return out
}

/**
 * Frame by frame: Node 24's own zstd decompressor stops after the second frame of some
 * multi-frame files that the zstd CLI and libarchive (Nix) read in full. Nothing in the action
 * decompresses zstd; Nix reading these NARs is proven in compression-substitution.test.ts.
 */
const decode = decodeFrames

describe('zstd compression of large NARs', () => {
  it('writes independent frames of at most 4 MiB each, which decode in order to the input', async () => {
    const data = Buffer.concat([randomBytes(5 * MiB), Buffer.alloc(6 * MiB, 'nix-store '), randomBytes(3 * MiB + 17)])
    const file = await compress(data, 7)
    const frames = zstdFrames(file)
    expect(frames.length).toBeGreaterThanOrEqual(4)
    // Each frame decodes on its own: no frame refers to another's data.
    const parts = frames.map((f) => zstdDecompressSync(f))
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(4 * MiB)
    expect(Buffer.concat(parts).equals(data)).toBe(true)
    expect(decode(file).equals(data)).toBe(true)
  })

  it('keeps several NARs compressing at once apart', async () => {
    const inputs = [1, 2, 3, 4, 5].map((i) => Buffer.concat([randomBytes(i * MiB), Buffer.alloc(4 * MiB, `path ${i} `)]))
    const outputs = await Promise.all(inputs.map((d, i) => compress(d, i + 1)))
    outputs.forEach((o, i) => {
      expect(zstdFrames(o).length).toBeGreaterThan(1)
      expect(decode(o).equals(inputs[i]!)).toBe(true)
    })
  })
})

// The agent's compressor limits are proven in zstd-frames.test.ts, whose pool they are set on first.
describe('compression in a process that must stay small (the background agent)', () => {
  afterEach(() => {
    limitFraming(THROUGHPUT_FRAMING)
    reuseFrames(THROUGHPUT_REUSE)
  })

  it('collects its garbage after every 16 MiB of NAR read, compressed or only hashed', async () => {
    let collections = 0
    reuseFrames({ spares: 3, collect: { everyFrames: 4, run: () => collections++ } })
    limitFraming({ compressors: 1, queuedFrames: 2 })
    const dir = await mkdtemp(join(tmpdir(), 'footprint-'))
    try {
      const data = randomBytes(64 * MiB)
      await writeFile(join(dir, 'blob'), data)
      const nar = await narHashOf(dir)
      const hashed = collections
      expect(hashed).toBe(4)
      const z = compressor('zstd', nar.size)
      const out = buffer(z)
      await pipeline(narStream(dir), z)
      expect(createHash('sha256').update(decode(await out)).digest().equals(nar.hash)).toBe(true)
      expect(collections - hashed).toBe(4)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
