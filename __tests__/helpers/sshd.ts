// A real OpenSSH server on loopback, logging in as the current user with a throwaway key, so
// the `nix copy --to ssh-ng://` fallback is exercised against a real remote Nix.
import { mkdir, mkdtemp, writeFile, copyFile, chmod } from 'node:fs/promises'
import { join } from 'node:path'
import { tmpdir, userInfo } from 'node:os'
import { killTree, runProcess, spawnTracked } from './proc.js'
import { freePort } from './ports.js'
import { hostNixConfOff, removeTree } from './nix-store.js'

export interface Sshd {
  port: number
  /** `<current user>@127.0.0.1`: root when the tests run as root, else the user running them. */
  login: string
  /** NIX_SSHOPTS value that reaches this server with its key and no host-key prompts. */
  sshOpts: string
  stop(): Promise<void>
}

export async function startSshd(): Promise<Sshd> {
  const dir = await mkdtemp(join(tmpdir(), 'sshd-'))
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' }
  for (const name of ['host', 'client']) {
    const r = await runProcess('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, name)], { env })
    if (r.code !== 0) throw new Error(r.stderr)
  }
  await copyFile(join(dir, 'client.pub'), join(dir, 'authorized_keys'))
  await chmod(join(dir, 'authorized_keys'), 0o600)
  // sshd run by root insists on its privilege-separation directory; run by anyone else, it
  // lets in only the user it runs as.
  if (process.getuid?.() === 0) await mkdir('/run/sshd', { recursive: true })
  const login = `${userInfo().username}@127.0.0.1`
  // The remote Nix (`nix-daemon --stdio` in the SSH session) must not read the machine's nix.conf.
  const remoteNix = hostNixConfOff(dir)
  const port = await freePort()
  const config = join(dir, 'sshd_config')
  await writeFile(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'StrictModes no',
      'UsePAM no',
      `SetEnv NIX_CONF_DIR=${remoteNix.NIX_CONF_DIR} NIX_USER_CONF_FILES=${remoteNix.NIX_USER_CONF_FILES}`,
      `PidFile ${join(dir, 'pid')}`
    ].join('\n') + '\n'
  )
  const child = spawnTracked('/usr/sbin/sshd', ['-D', '-e', '-f', config], { env })
  const sshOpts = `-p ${port} -i ${join(dir, 'client')} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR`
  for (let i = 0; i < 50; i++) {
    const r = await runProcess('ssh', [...sshOpts.split(' '), login, 'true'], { env, timeoutMs: 5000 })
    if (r.code === 0) break
    if (i === 49) throw new Error(`sshd did not come up: ${r.stderr}`)
    await new Promise((res) => setTimeout(res, 100))
  }
  return {
    port,
    login,
    sshOpts,
    async stop() {
      await killTree(child)
      await removeTree(dir)
    }
  }
}
