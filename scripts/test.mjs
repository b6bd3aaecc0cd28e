// `npm test`: install what the tests need, then run jest in ESM mode on Node 24 (the runtime of
// a node24 action; zstd and node:sqlite exist only there). Arguments go to jest, e.g.
// `node scripts/test.mjs __tests__/unit/format/nar.test.ts` or `node scripts/test.mjs -t 'pushes exactly'`.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { node24 } from './node24-path.mjs'

const pre = spawnSync(process.execPath, ['scripts/prereqs.mjs'], { stdio: 'inherit' })
if (pre.status !== 0) process.exit(pre.status ?? 1)

// Nix commands a test runs without a test store of its own (key generation, hashing, probes) get
// a throwaway chroot store and none of the machine's nix.conf files: no test may depend on the
// host's Nix configuration or groups, nor write to its /nix. Test stores set all of this
// themselves (__tests__/helpers/nix-store.ts).
const scratch = mkdtempSync(join(tmpdir(), 'nix-tests-'))
const isolated = {
  NIX_CONF_DIR: join(scratch, 'no-host-nix-conf'),
  NIX_USER_CONF_FILES: join(scratch, 'no-host-nix-conf', 'user.conf'),
  NIX_CONFIG: [`store = ${join(scratch, 'store')}`, 'build-users-group =', 'substituters ='].join('\n')
}

let status
try {
  const r = spawnSync(
    node24(),
    ['--experimental-vm-modules', 'node_modules/jest/bin/jest.js', ...process.argv.slice(2)],
    { stdio: 'inherit', env: { ...process.env, ...isolated, NODE_NO_WARNINGS: '1' } }
  )
  status = r.status ?? 1
} finally {
  // Nix leaves its store read-only.
  spawnSync('chmod', ['-R', 'u+w', scratch])
  rmSync(scratch, { recursive: true, force: true })
}
process.exit(status)
