// The `nix-buildtime-cache` command's entry point. It imports nothing but node:zlib before the
// version check, so that an older Node stops here with one clear line instead of failing later
// inside the engine (zstd compression needs Node 22.15's zlib).
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

const { main } = await import('../cli/main.js')
const status = await main(process.argv.slice(2))
// Exit explicitly: an HTTP client's keep-alive sockets must not hold the command open. The empty
// write's callback runs once what was written to stdout before it has been handed over.
process.stdout.write('', () => process.exit(status))
