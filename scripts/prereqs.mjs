// Makes sure the tools the tests and the demo run for real are installed: Nix, a static busybox for sandboxed
// builders, nginx (HTTP cache) and sshd (ssh-ng fallback). Installs what is missing with apt when
// root; any other user gets the exact command to run. Silent when everything is there.
import { spawnSync } from 'node:child_process'
import { closeSync, existsSync, openSync, readSync } from 'node:fs'

const needs = [
  { bin: ['/usr/bin/nix', '/usr/bin/nix-store'], pkg: 'nix-bin' },
  { bin: ['/bin/busybox'], pkg: 'busybox-static' },
  { bin: ['/usr/sbin/nginx'], pkg: 'nginx-light' },
  { bin: ['/usr/sbin/sshd', '/usr/bin/ssh'], pkg: 'openssh-server openssh-client' },
  { bin: ['/usr/bin/xz'], pkg: 'xz-utils' },
  // @actions/cache packs entries with zstd where it finds the tool, as on GitHub's runners; the
  // GitHub Actions cache tests read those entries back with it.
  { bin: ['/usr/bin/zstd'], pkg: 'zstd' },
  // The pull-side tests give an unprivileged user passwordless sudo, as GitHub's runners have.
  { bin: ['/usr/bin/sudo'], pkg: 'sudo' }
]

const onPath = (b) => existsSync(b) || spawnSync('sh', ['-c', `command -v ${b.split('/').pop()}`]).status === 0
const missing = needs.filter((n) => !n.bin.every(onPath)).flatMap((n) => n.pkg.split(' '))

/**
 * Whether an ELF executable asks for a dynamic loader (has a PT_INTERP program header). Read
 * directly: a fresh Debian has no `file`.
 */
function isDynamicElf(path) {
  const fd = openSync(path, 'r')
  try {
    const header = Buffer.alloc(64)
    readSync(fd, header, 0, 64, 0)
    if (header.toString('latin1', 0, 4) !== '\x7fELF' || header[4] !== 2) return false // not ELF64
    const phoff = Number(header.readBigUInt64LE(0x20))
    const phentsize = header.readUInt16LE(0x36)
    const phnum = header.readUInt16LE(0x38)
    const table = Buffer.alloc(phentsize * phnum)
    readSync(fd, table, 0, table.length, phoff)
    for (let i = 0; i < phnum; i++) if (table.readUInt32LE(i * phentsize) === 3 /* PT_INTERP */) return true
    return false
  } finally {
    closeSync(fd)
  }
}

// The busybox from Debian's `busybox` package is dynamic and cannot run inside the Nix sandbox.
if (existsSync('/bin/busybox') && isDynamicElf('/bin/busybox') && !missing.includes('busybox-static')) missing.push('busybox-static')

if (missing.length > 0) {
  const cmd = `apt-get install -y --no-install-recommends ${missing.join(' ')}`
  // `node scripts/prereqs.mjs demo`: said for the demo, which needs the same tools.
  const [what, again] = process.argv[2] === 'demo' ? ['The demo needs', 'npm run demo'] : ['The tests need', 'npm test']
  // One line, the exact command in it, and never a stack trace: what a newcomer reads first.
  const tellCommand = (why) => {
    // A bare Debian has no sudo (it is among what is missing): then the command goes through su.
    const install = !missing.includes('sudo') ? `sudo apt-get update && sudo ${cmd}` : `su -c 'apt-get update && ${cmd}'`
    console.error(`${what} ${missing.join(', ')} (${why}); run: ${install} && ${again}`)
    process.exit(1)
  }
  if (process.getuid?.() !== 0) tellCommand('only root can install them')
  if (!existsSync('/usr/bin/apt-get')) tellCommand('this machine has no apt-get: install the equivalents')
  console.log(`Installing test prerequisites: ${missing.join(' ')}`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  // Without recommends on purpose: nix-setup-systemd (the nixbld group, /etc/nix/nix.conf) stays
  // out, and the tests must not need it.
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', ...missing]]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env })
    if (r.status !== 0) tellCommand(`apt-get ${args[0]} failed${r.error ? `: ${r.error.message}` : ''}`)
  }
}
