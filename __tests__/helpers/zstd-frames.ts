import { Readable } from 'node:stream'
import { zstdDecompressSync } from 'node:zlib'
import { zstdFrameLength } from '../../src/format/zstd-reader.js'

// Splits a zstd file into its frames by walking the frame and block headers (RFC 8878, with the
// reader's header walk, not the writer's code), so tests can check how the action framed a NAR.

/** The frames of `file`, each as the bytes of one complete frame. Throws unless `file` is only zstd frames. */
export function zstdFrames(file: Buffer): Buffer[] {
  const frames: Buffer[] = []
  for (let at = 0; at < file.length; ) {
    const length = zstdFrameLength(file, at)
    if (length === undefined) throw new Error('a zstd frame runs past the end of the file')
    frames.push(file.subarray(at, at + length))
    at += length
  }
  return frames
}

/**
 * `data` as a stream of pieces of `min` to `min + span - 1` bytes, their sizes drawn from `seed`:
 * input as a stream other than the NAR serialiser might write it.
 */
export function inPieces(data: Buffer, seed: number, min: number, span: number): Readable {
  const pieces: Buffer[] = []
  let x = seed
  for (let at = 0; at < data.length; ) {
    x = (x * 1103515245 + 12345) >>> 0
    const n = min + (x % span)
    pieces.push(data.subarray(at, at + n))
    at += n
  }
  return Readable.from(pieces)
}

/** The contents of a zstd file, frame by frame (see compression.test.ts for why not in one call). */
export const decodeFrames = (file: Buffer): Buffer => Buffer.concat(zstdFrames(file).map((f) => zstdDecompressSync(f)))
