// Makes sure the tools the tests run for real are installed: Nix, a static busybox for sandboxed
// builders, nginx (HTTP cache) and sshd (ssh-ng fallback). Installs them with apt when root.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const needs = [
  { bin: ['/usr/bin/nix', '/usr/bin/nix-store'], pkg: 'nix-bin' },
  { bin: ['/bin/busybox'], pkg: 'busybox-static' },
  { bin: ['/usr/sbin/nginx'], pkg: 'nginx-light' },
  { bin: ['/usr/sbin/sshd', '/usr/bin/ssh'], pkg: 'openssh-server openssh-client' },
  { bin: ['/usr/bin/xz'], pkg: 'xz-utils' },
  // The pull-side tests give an unprivileged user passwordless sudo, as GitHub's runners have.
  { bin: ['/usr/bin/sudo'], pkg: 'sudo' }
]

const onPath = (b) => existsSync(b) || spawnSync('sh', ['-c', `command -v ${b.split('/').pop()}`]).status === 0
const missing = needs.filter((n) => !n.bin.every(onPath)).flatMap((n) => n.pkg.split(' '))

// The busybox from Debian's `busybox` package is dynamic and cannot run inside the Nix sandbox.
const dynamicBusybox = existsSync('/bin/busybox') && /dynamically/.test(spawnSync('file', ['-L', '/bin/busybox']).stdout?.toString() ?? '')
if (dynamicBusybox && !missing.includes('busybox-static')) missing.push('busybox-static')

if (missing.length > 0) {
  const cmd = `apt-get install -y ${missing.join(' ')}`
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) {
    console.error(`The tests need real Nix and servers. Install them, then run npm test again:\n  sudo apt-get update && sudo ${cmd}`)
    process.exit(1)
  }
  console.log(`Installing test prerequisites: ${missing.join(' ')}`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env })
}
