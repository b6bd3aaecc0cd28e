// Chroot Nix stores at fixed locations, so generated workloads can be cached under .bench/.
// The same setup as __tests__/helpers/nix-store.ts (which only makes stores in fresh temp dirs).
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { hostNixConfOff, SYSTEM_PATH, testNixConfig, type ConfigLines } from '../../__tests__/helpers/nix-store.js'
import { describeFailure, runProcess, type ProcResult } from '../../__tests__/helpers/proc.js'

export interface BenchStore {
  /** Holds store/ (the chroot store) and home/ (HOME of processes using it). */
  root: string
  storeRoot: string
  /** Where /nix/store paths physically are. */
  realStoreDir: string
  dbPath: string
  env: Record<string, string>
  run(cmd: string, args: readonly string[], opts?: { input?: string | Buffer; env?: Record<string, string>; cwd?: string }): Promise<ProcResult>
  runOk(cmd: string, args: readonly string[], opts?: { input?: string | Buffer; env?: Record<string, string>; cwd?: string }): Promise<ProcResult>
}

export async function openStore(root: string, extraConfig?: ConfigLines): Promise<BenchStore> {
  const storeRoot = join(root, 'store')
  const home = join(root, 'home')
  await mkdir(storeRoot, { recursive: true })
  await mkdir(home, { recursive: true })
  const env = { PATH: SYSTEM_PATH, HOME: home, NIX_CONFIG: testNixConfig(storeRoot, extraConfig), ...hostNixConfOff(root) }
  const run: BenchStore['run'] = (cmd, args, opts = {}) =>
    runProcess(cmd, args, { env: { ...env, ...opts.env }, cwd: opts.cwd ?? root, input: opts.input })
  return {
    root,
    storeRoot,
    realStoreDir: join(storeRoot, 'nix/store'),
    dbPath: join(storeRoot, 'nix/var/nix/db/db.sqlite'),
    env,
    run,
    async runOk(cmd, args, opts) {
      const r = await run(cmd, args, opts)
      if (r.code !== 0) throw new Error(describeFailure(cmd, args.slice(0, 6), r))
      return r
    }
  }
}

export const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '')
