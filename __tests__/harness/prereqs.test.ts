// What a newcomer sees first: `npm test` and `npm run demo` on a machine without the tools. In a
// private mount namespace an empty /usr/sbin hides nginx and sshd (the machine is not changed);
// then scripts/prereqs.mjs runs as a user who cannot install, and as root with an apt-get that fails.
import { expect } from '@jest/globals'
import { chmod, copyFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runProcess } from '../helpers/proc.js'
import { REPO_ROOT } from '../helpers/runner.js'
import { describeAsRoot, itAsRoot } from '../helpers/requires.js'

/**
 * Runs prereqs.mjs (`demo` or not) with /usr/sbin emptied; `asRoot` with apt-get replaced by
 * /bin/false. The user runs a copy in a directory anyone can read: the clone may sit in a private
 * (0700) directory, as CI's does.
 */
async function prereqsWithoutServers(args: string[], asRoot: boolean) {
  const node = process.execPath
  const dir = await mkdtemp(join(tmpdir(), 'prereqs-'))
  try {
    await chmod(dir, 0o755)
    await copyFile(join(REPO_ROOT, 'scripts/prereqs.mjs'), join(dir, 'prereqs.mjs'))
    await chmod(join(dir, 'prereqs.mjs'), 0o644)
    const script = [
      'mount -t tmpfs tmpfs /usr/sbin',
      asRoot ? 'mount --bind /bin/false /usr/bin/apt-get' : ':',
      asRoot ? `exec "$0" prereqs.mjs "$@"` : `exec /usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups "$0" prereqs.mjs "$@"`
    ].join(' && ')
    return await runProcess('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, node, ...args], { env: { PATH: '/usr/bin:/bin' }, cwd: dir })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

const oneLineWithTheCommand = (stderr: string, again: string): void => {
  const lines = stderr.trim().split('\n')
  expect(lines).toHaveLength(1)
  expect(lines[0]).toContain(`run: sudo apt-get update && sudo apt-get install -y --no-install-recommends nginx-light openssh-server openssh-client && ${again}`)
  expect(stderr).not.toMatch(/\n\s+at |ENOENT|Error:/)
}

describeAsRoot('mounts in a private namespace')('missing prerequisites', () => {
  itAsRoot('mounts in a private namespace')('a user who cannot install gets one line with the exact command, for the demo and for the tests', async () => {
    const demo = await prereqsWithoutServers(['demo'], false)
    expect(demo.code).toBe(1)
    oneLineWithTheCommand(demo.stderr, 'npm run demo')
    const tests = await prereqsWithoutServers([], false)
    expect(tests.code).toBe(1)
    oneLineWithTheCommand(tests.stderr, 'npm test')
  })

  itAsRoot('mounts in a private namespace')('root whose apt-get fails gets the same one line, not a stack trace', async () => {
    const r = await prereqsWithoutServers(['demo'], true)
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('Installing test prerequisites: nginx-light openssh-server openssh-client')
    oneLineWithTheCommand(r.stderr, 'npm run demo')
    expect(r.stderr).toContain('(apt-get update failed)')
  })
})
