// "1,000 new paths": what a small job adds between the main and the post step. 500 derivations
// (500 .drv files and 500 outputs, some referencing each other) are built once in a scratch
// store and exported; each measured job imports them after its main step (0.2 s) and deletes
// them after its post step, so the big stores stay the same size from run to run.
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { removeTree } from '../../__tests__/helpers/nix-store.js'
import { WORKLOADS } from '../lib/paths.js'
import { lines, openStore } from '../lib/store.js'

export const NEW_DERIVATIONS = 500

export interface NewPaths {
  /** `nix-store --export` of all 1,000 paths, in dependency order. */
  exportFile: string
  /** The .drv files and outputs. */
  paths: string[]
}

function nixFile(): string {
  const nodes: string[] = []
  for (let i = 0; i < NEW_DERIVATIONS; i++) {
    // Every tenth starts a new chain; the others reference their predecessor at run time.
    const dep = i % 10 === 0 ? '' : ` \${n${i - 1}}`
    nodes.push(`  n${i} = mk "job-output-${i}" ''
    \${bb} mkdir -p $out/share
    echo${dep} > $out/share/deps
    \${bb} seq 1 ${600 + i} > $out/share/table.txt
  '';`)
  }
  return `let
  bb = "/bin/busybox";
  mk = name: script: derivation { inherit name; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" script ]; };
${nodes.join('\n')}
in [ ${Array.from({ length: NEW_DERIVATIONS }, (_, i) => `n${i}`).join(' ')} ]
`
}

export async function newPaths(): Promise<NewPaths> {
  const root = join(WORKLOADS, 'new-paths-v1')
  const exportFile = join(root, 'export.nar')
  const listFile = join(root, 'paths.txt')
  if (existsSync(listFile)) return { exportFile, paths: lines(await readFile(listFile, 'utf8')) }
  await removeTree(root)
  const store = await openStore(root, ['max-jobs = 4'])
  const file = join(root, 'new-paths.nix')
  await writeFile(file, nixFile())
  await store.runOk('nix-build', [file, '--no-out-link'])
  const drvs = lines((await store.runOk('nix-instantiate', [file])).stdout)
  const paths = lines((await store.runOk('nix-store', ['--query', '--requisites', '--include-outputs', ...drvs])).stdout)
  if (paths.length !== 2 * NEW_DERIVATIONS) throw new Error(`expected ${2 * NEW_DERIVATIONS} new paths, got ${paths.length}`)
  // Through a shell: runProcess decodes stdout as text, which would mangle the binary export.
  await store.runOk('/bin/sh', ['-c', `nix-store --export "$@" > ${exportFile}`, 'sh', ...paths])
  await writeFile(listFile, paths.join('\n') + '\n')
  return { exportFile, paths }
}
