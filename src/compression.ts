import { spawn } from 'node:child_process'
import { Duplex, PassThrough, type Transform } from 'node:stream'
import * as zlib from 'node:zlib'
import type { Compression } from './inputs.js'

/** File name extension that Nix uses for each compression. */
export const NAR_EXTENSION: Record<Compression, string> = { zstd: '.nar.zst', xz: '.nar.xz', none: '.nar' }

// zlib's default 16 KiB output chunks cost a third of the throughput on large NARs.
const CHUNK = 1 << 20

/**
 * A stream that compresses a NAR. zstd is in Node's zlib from Node 22.15 (the action runs on 24).
 * One compressor per path keeps a core busy; parallel uploads use the others. zstd's own worker
 * threads are not used because Node's binding mishandles them with large output chunks.
 */
export function compressor(kind: Compression): Transform | Duplex {
  if (kind === 'none') return new PassThrough({ highWaterMark: CHUNK })
  if (kind === 'zstd') {
    return zlib.createZstdCompress({ chunkSize: CHUNK, params: { [zlib.constants.ZSTD_c_compressionLevel]: 3 } })
  }
  // Node has no xz; the xz tool is on every GitHub runner image and in Debian.
  const child = spawn('xz', ['-c', '-T0', '-6'], { stdio: ['pipe', 'pipe', 'ignore'] })
  const duplex = Duplex.from({ writable: child.stdin, readable: child.stdout })
  child.on('error', (e) => duplex.destroy(e))
  child.on('close', (code) => {
    if (code !== 0) duplex.destroy(new Error(`xz exited with ${code}`))
  })
  return duplex
}
