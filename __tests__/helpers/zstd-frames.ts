import { Readable } from 'node:stream'
import { zstdDecompressSync } from 'node:zlib'

// Splits a zstd file into its frames by walking the frame and block headers (RFC 8878), so tests
// can check how the action framed a NAR without trusting the code that wrote it.

/** The frames of `file`, each as the bytes of one complete frame. Throws unless `file` is only zstd frames. */
export function zstdFrames(file: Buffer): Buffer[] {
  const frames: Buffer[] = []
  let at = 0
  while (at < file.length) {
    const start = at
    if (file.readUInt32LE(at) !== 0xfd2fb528) throw new Error(`no zstd frame at byte ${at}`)
    const fhd = file[at + 4]!
    const singleSegment = (fhd >> 5) & 1
    const dictIdSize = [0, 1, 2, 4][fhd & 3]!
    const fcsSize = [singleSegment ? 1 : 0, 2, 4, 8][fhd >> 6]!
    at += 5 + (singleSegment ? 0 : 1) + dictIdSize + fcsSize
    for (;;) {
      const header = file.readUIntLE(at, 3)
      const type = (header >> 1) & 3
      // An RLE block stores one byte however long it decodes; the others store their size.
      at += 3 + (type === 1 ? 1 : header >> 3)
      if (header & 1) break
    }
    if ((fhd >> 2) & 1) at += 4
    if (at > file.length) throw new Error('a zstd frame runs past the end of the file')
    frames.push(file.subarray(start, at))
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
