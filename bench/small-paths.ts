// Per-path cost of the upload pipeline, against `nix copy` of the same paths (issue 22, item 2).
// `node scripts/run-ts.mjs bench/small-paths.ts [paths=2300] [rounds=3]`: makes a throwaway chroot
// store of small paths (one small and one tiny file each, as the graph's outputs are), then
// uploads all of them to a fresh file:// cache, interleaving our uploader and `nix copy`, with
// the CPU time (user+system) of each and the load average. Needs Nix and GNU time.
import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { FileBackend } from '../src/executors/binary-cache/file.js'
import { uploadPaths } from '../src/executors/binary-cache/upload.js'
import { parseSecretKey } from '../src/format/signing.js'
import { queryPathInfos } from '../src/nix/query-path-info.js'

const count = Number(process.argv[2] ?? 2300)
const rounds = Number(process.argv[3] ?? 3)
const dir = mkdtempSync(join(tmpdir(), 'bench-small-paths-'))
process.env.NIX_CONFIG = [`store = ${join(dir, 'store')}`, 'substituters =', 'build-users-group =', 'experimental-features = nix-command'].join('\n')

const src = join(dir, 'src')
for (let i = 0; i < count; i++) {
  mkdirSync(join(src, `p${i}`), { recursive: true })
  writeFileSync(join(src, `p${i}`, 'data'), randomBytes(200 + Math.floor(Math.random() * 30_000)))
  writeFileSync(join(src, `p${i}`, 'name'), `path ${i}\n`)
}
const paths: string[] = []
for (let i = 0; i < count; i += 500) {
  const batch = Array.from({ length: Math.min(500, count - i) }, (_, k) => join(src, `p${i + k}`))
  paths.push(...execFileSync('nix-store', ['--add', ...batch], { encoding: 'utf8' }).trim().split('\n'))
}
execFileSync('nix-store', ['--generate-binary-cache-key', 'bench-1', join(dir, 'sk'), join(dir, 'pk')])
const signer = parseSecretKey(readFileSync(join(dir, 'sk'), 'utf8'))
const infos = [...(await queryPathInfos(paths, '/nix/store')).values()]
const narBytes = infos.reduce((a, i) => a + i.narSize, 0)
console.log(`${infos.length} paths, ${(narBytes / 2 ** 20).toFixed(1)} MiB of NARs`)

const load = (): string => loadavg()[0]!.toFixed(1)
for (let r = 1; r <= rounds; r++) {
  const ours = join(dir, `ours-${r}`)
  const backend = new FileBackend(ours)
  await backend.prepare('/nix/store')
  const cpu = process.cpuUsage()
  const t = performance.now()
  const out = await uploadPaths(infos, { backend, signer, compression: 'zstd', parallelism: 8, realStoreDir: join(dir, 'store', 'nix', 'store') })
  const used = process.cpuUsage(cpu)
  if (out.pushed.length !== infos.length) throw new Error(`pushed ${out.pushed.length} of ${infos.length}`)
  console.log(`round ${r} ours:     ${((performance.now() - t) / 1000).toFixed(2)} s wall, ${((used.user + used.system) / 1e6).toFixed(2)} s CPU (${(used.user / 1e6).toFixed(2)} user), load ${load()}`)

  const theirs = join(dir, `nix-copy-${r}`)
  const copy = spawnSync('/usr/bin/time', ['-f', '%e %U %S', 'nix', 'copy', '--quiet', '--to', `file://${theirs}?compression=zstd&secret-key=${join(dir, 'sk')}`, ...paths], { encoding: 'utf8' })
  const [wall, user, sys] = copy.stderr.trim().split('\n').at(-1)!.split(' ').map(Number)
  console.log(`round ${r} nix copy: ${wall!.toFixed(2)} s wall, ${(user! + sys!).toFixed(2)} s CPU (${user!.toFixed(2)} user), load ${load()}`)
  rmSync(ours, { recursive: true, force: true })
  rmSync(theirs, { recursive: true, force: true })
}
spawnSync('chmod', ['-R', 'u+w', dir])
rmSync(dir, { recursive: true, force: true })
