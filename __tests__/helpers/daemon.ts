// A real multi-user Nix: nix-daemon running as root on a throwaway chroot store with its own
// socket and nix.conf, and unprivileged test users who reach it only through that socket.
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { killTree, runProcess, spawnTracked, type RunAs } from './proc.js'
import { removeTree, SYSTEM_PATH } from './nix-store.js'

export interface Daemon {
  dir: string
  storeRoot: string
  confDir: string
  socket: string
  /** The environment of a client of this daemon (a CI step run by `home`'s owner). */
  clientEnv(home: string): NodeJS.ProcessEnv
  /** What `systemctl restart nix-daemon` does: the daemon rereads its nix.conf. */
  restart(): Promise<void>
  stop(): Promise<void>
}

export interface DaemonOptions {
  /** nix.conf lines (trusted-users, substituters, trusted-substituters, trusted-public-keys …). */
  config: readonly string[]
}

export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const dir = await mkdtemp(join(tmpdir(), 'nix-daemon-'))
  await chmod(dir, 0o755)
  const confDir = join(dir, 'etc')
  const storeRoot = join(dir, 'store')
  const socket = join(dir, 'socket')
  await mkdir(confDir)
  await writeFile(
    join(confDir, 'nix.conf'),
    [
      // Builds run as root inside the sandbox; there are no nixbld users here.
      'build-users-group =',
      'sandbox-paths = /bin/sh=/bin/busybox /bin/busybox',
      'substituters =',
      'experimental-features = nix-command',
      ...opts.config
    ].join('\n') + '\n'
  )
  // No user nix.conf either: the daemon reads only the nix.conf written above.
  const noUserConf = join(confDir, 'user.conf')
  const env = { PATH: SYSTEM_PATH, HOME: dir, NIX_CONF_DIR: confDir, NIX_USER_CONF_FILES: noUserConf, NIX_DAEMON_SOCKET_PATH: socket }
  const start = async (): Promise<ChildProcess> => {
    const child = spawnTracked('nix-daemon', ['--store', storeRoot], { env })
    for (let i = 0; !existsSync(socket); i++) {
      if (i > 100) throw new Error('nix-daemon did not create its socket')
      await new Promise((r) => setTimeout(r, 50))
    }
    return child
  }
  let child = await start()
  return {
    dir,
    storeRoot,
    confDir,
    socket,
    clientEnv: (home) => ({
      PATH: SYSTEM_PATH,
      HOME: home,
      // The client reads the same nix.conf as the daemon, as on a real multi-user install.
      NIX_CONF_DIR: confDir,
      NIX_USER_CONF_FILES: noUserConf,
      NIX_CONFIG: `store = unix://${socket}?root=${storeRoot}`
    }),
    async restart() {
      await killTree(child)
      await rm(socket, { force: true })
      child = await start()
    },
    async stop() {
      await killTree(child)
      await removeTree(dir)
    }
  }
}

/** A system user for the tests (created once, as root), with a fresh home directory. */
export async function testUser(name: string): Promise<RunAs & { name: string; home: string }> {
  const env = { PATH: SYSTEM_PATH }
  if ((await runProcess('id', ['-u', name], { env })).code !== 0) {
    const r = await runProcess('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/bin/sh', name], { env })
    if (r.code !== 0) throw new Error(`useradd ${name}: ${r.stderr}`)
  }
  const uid = Number((await runProcess('id', ['-u', name], { env })).stdout.trim())
  const gid = Number((await runProcess('id', ['-g', name], { env })).stdout.trim())
  const home = await mkdtemp(join(tmpdir(), `home-${name}-`))
  await runProcess('chown', [`${uid}:${gid}`, home], { env })
  return { name, uid, gid, home }
}
