import { describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import { pipeline } from 'node:stream/promises'
import { FramedZstd, limitFraming } from '../../../src/format/zstd-frames.js'
import { decodeFrames, inPieces } from '../../helpers/zstd-frames.js'

// A file of its own: the compressor pool is per process, and these limits must be set before it
// compresses anything.
const MiB = 1 << 20

/** `data` in pieces of 0.5–1.5 MiB: most pieces only add to a frame being gathered. */
const pieces = (data: Buffer, seed: number): Readable => inPieces(data, seed, MiB / 2, MiB)

describe('the shared zstd frame pool under tight limits (the background agent’s)', () => {
  it('never leaves a stream waiting for room that is free: many NARs at once, one frame queued, all complete whole', async () => {
    limitFraming({ compressors: 1, queuedFrames: 1 })
    const inputs = Array.from({ length: 8 }, (_, i) => randomBytes(9 * MiB + i * 12345))
    const outputs = await Promise.race([
      Promise.all(
        inputs.map(async (d, i) => {
          const z = new FramedZstd()
          const out = buffer(z)
          await pipeline(pieces(d, i + 1), z)
          return out
        })
      ),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the compressors stalled')), 30_000))
    ])
    outputs.forEach((o, i) => expect(decodeFrames(o).equals(inputs[i]!)).toBe(true))
  }, 60_000)

  it('keeps the other NARs going when some fail while they wait for room (a path unreadable half-way)', async () => {
    limitFraming({ compressors: 1, queuedFrames: 1 })
    const inputs = Array.from({ length: 8 }, (_, i) => randomBytes(9 * MiB + i * 777))
    const failing = (d: Buffer, seed: number): Readable => {
      const src = pieces(d.subarray(0, 3 * MiB), seed)
      return Readable.from(
        (async function* () {
          for await (const p of src) yield p as Buffer
          throw new Error('EACCES half-way')
        })()
      )
    }
    const results = await Promise.race([
      Promise.allSettled(
        inputs.map(async (d, i) => {
          const z = new FramedZstd()
          const [, out] = await Promise.all([pipeline(i % 2 === 0 ? failing(d, i + 1) : pieces(d, i + 1), z), buffer(z)])
          return out
        })
      ),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the compressors stalled')), 30_000))
    ])
    results.forEach((r, i) => {
      if (i % 2 === 0) expect(r.status).toBe('rejected')
      else {
        expect(r.status).toBe('fulfilled')
        const o = (r as PromiseFulfilledResult<Buffer>).value
        expect(decodeFrames(o).equals(inputs[i]!)).toBe(true)
      }
    })
  }, 60_000)
})
