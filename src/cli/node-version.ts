// The command-line tool's first module: it imports nothing but node:zlib, so that an older Node
// stops here with one clear line instead of failing later inside the engine (zstd compression
// needs Node 22.15's zlib). The entry point loads everything else only once this has passed.
import * as zlib from 'node:zlib'

const MINIMUM = [22, 15] as const

function supported(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number)
  const recentEnough = major > MINIMUM[0] || (major === MINIMUM[0] && minor >= MINIMUM[1])
  return recentEnough && typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync === 'function'
}

if (!supported(process.versions.node)) {
  process.stderr.write(
    `nix-buildtime-cache: needs Node ${MINIMUM.join('.')} or later (for zstd in node:zlib); this is Node ${process.versions.node}.\n`
  )
  process.exit(1)
}
