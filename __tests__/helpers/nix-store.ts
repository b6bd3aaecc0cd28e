import { execFileSync } from 'node:child_process'
// Throwaway Nix stores for end-to-end tests.
// A test store is a chroot store: logical store dir /nix/store, physically under
// <root>/store/nix/store. Builds in it are always sandboxed; the sandbox gets busybox
// as /bin/sh, so test derivations need no nixpkgs.
import { existsSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, readdir, rm, lstat, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeFailure, runProcess, type ProcResult } from './proc.js'

/** The PATH every harness process gets: system directories only. */
export const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

export type ConfigLines = string | readonly string[]

let installedMinor: number | undefined
/**
 * The minor version (2.x) of the Nix the tests run: Debian's 2.8 on the host, real 2.26 or 2.34
 * inside the roots of `npm run test:nix`. For the few answers that differ between real versions.
 */
export function installedNixMinor(): number {
  installedMinor ??= Number(/\) 2\.(\d+)/.exec(execFileSync('nix', ['--version'], { encoding: 'utf8', env: { PATH: SYSTEM_PATH } }))?.[1])
  return installedMinor
}

/** From 2.15 the daemon reports whether it trusts its client (`nix store ping --json`: `trusted`). */
export const daemonReportsTrust = (): boolean => installedNixMinor() >= 15

export interface RunOptions {
  /** Written to stdin. */
  input?: string
  /** Extra nix.conf lines for this command only (appended, so they override). */
  extraConfig?: ConfigLines
  /** Extra environment variables for this command only. */
  env?: NodeJS.ProcessEnv
  cwd?: string
  timeoutMs?: number
}

export interface BuildResult {
  /** The output paths nix-build printed, in order. */
  outPaths: string[]
  /** nix-build's stderr (the build log, with `building '…drv'` lines). */
  log: string
}

/**
 * `nix path-info --json` as a list of entries with their `path`: Nix 2.8–2.18 print a list, 2.19
 * and later an object keyed by path (the harness runs on Debian's 2.8, 2.26 and 2.34).
 */
export function pathInfoList<T extends { path: string }>(json: string): T[] {
  const parsed = JSON.parse(json) as T[] | Record<string, Omit<T, 'path'> | null>
  if (Array.isArray(parsed)) return parsed
  // From 2.19 an invalid path is `null`, and from 2.23 absent fields (ca, deriver) are written as
  // null (real 2.26 and 2.34): both read as 2.8 writes them, an invalid entry and absent fields.
  return Object.entries(parsed).map(([path, info]) =>
    info === null ? ({ path, valid: false } as unknown as T) : ({ ...Object.fromEntries(Object.entries(info).filter(([, v]) => v !== null)), path } as T)
  )
}

/** One entry of `nix path-info --json` (Nix 2.8 format). */
export interface PathInfo {
  path: string
  valid?: boolean
  narHash?: string
  narSize?: number
  references?: string[]
  deriver?: string
  registrationTime?: number
  signatures?: string[]
  ca?: string
  closureSize?: number
}

export interface TestStore {
  /** The temp dir holding everything of this store. */
  root: string
  /** The store URI/location: <root>/store; paths live physically at <storeRoot>/nix/store/…. */
  storeRoot: string
  /** HOME of processes using this store (isolates ~/.cache/nix). */
  home: string
  /**
   * PATH, HOME, NIX_CONFIG and the hostNixConfOff variables: the whole environment of commands
   * run against this store.
   */
  env: NodeJS.ProcessEnv
  /** The NIX_CONFIG value (store, sandbox, substituters, features, then extra lines). */
  nixConfig: string
  /** Runs a command with this store's environment. Never throws for a non-zero exit. */
  run(cmd: string, args: readonly string[], opts?: RunOptions): Promise<ProcResult>
  /** Like run, but throws with the full output unless the command exits 0. */
  runOk(cmd: string, args: readonly string[], opts?: RunOptions): Promise<ProcResult>
  /** `nix-build <nixFile> -A <attr>… --no-out-link`; throws on failure. */
  build(nixFile: string, attr: string | readonly string[], extraConfig?: ConfigLines): Promise<BuildResult>
  /** `nix path-info --json` of the given paths (add '-r' style flags through `flags`). */
  pathInfo(paths: readonly string[], flags?: readonly string[]): Promise<PathInfo[]>
  /** Whether the path is valid (registered) in this store. */
  isValid(path: string): Promise<boolean>
  /** The physical location of a /nix/store path inside this store. */
  physicalPath(storePath: string): string
  /** Removes the temp dir. */
  cleanup(): Promise<void>
}

export interface TestStoreOptions {
  /** Extra nix.conf lines (e.g. `substituters = file:///x`, `trusted-public-keys = …`). */
  extraConfig?: ConfigLines
  /** Parent directory of the temp dir (default: os.tmpdir()). */
  parentDir?: string
}

function configLines(c: ConfigLines | undefined): string[] {
  if (c === undefined) return []
  const list = typeof c === 'string' ? c.split('\n') : [...c]
  return list.map((l) => l.trimEnd()).filter((l) => l.trim() !== '')
}

/**
 * Variables that keep Nix from reading the machine's nix.conf files, so that a test sees Nix's
 * own defaults (sandboxing on, build users from the nixbld group) plus its NIX_CONFIG, whatever the
 * host has: NIX_CONF_DIR names a directory of ours instead of /etc/nix, and NIX_USER_CONF_FILES a
 * file that is never created instead of ~/.config/nix/nix.conf and $XDG_CONFIG_DIRS/nix/nix.conf.
 */
export function hostNixConfOff(dir: string): { NIX_CONF_DIR: string; NIX_USER_CONF_FILES: string } {
  const confDir = join(dir, 'no-host-nix-conf')
  return { NIX_CONF_DIR: confDir, NIX_USER_CONF_FILES: join(confDir, 'user.conf') }
}

/**
 * The environment of Nix commands that concern no particular store (key generation, hashing,
 * `--version`): a chroot store under dir keeps even those away from the machine's /nix, which a
 * non-root user cannot write, and the machine's nix.conf files are not read.
 */
export function nixToolEnv(dir: string): NodeJS.ProcessEnv {
  return { PATH: SYSTEM_PATH, HOME: dir, NIX_CONFIG: testNixConfig(join(dir, 'store')), ...hostNixConfOff(dir) }
}

/** The NIX_CONFIG text of a test store at storeRoot (the sandbox stays at Nix's default: on). */
export function testNixConfig(storeRoot: string, extraConfig?: ConfigLines): string {
  return [
    `store = ${storeRoot}`,
    'sandbox-paths = /bin/sh=/bin/busybox /bin/busybox',
    // Root's default is nixbld, a group only Debian's nix-setup-systemd creates.
    'build-users-group =',
    'substituters =',
    'experimental-features = nix-command flakes',
    ...configLines(extraConfig)
  ].join('\n')
}

/** Creates an empty test store (the store itself is initialised by the first nix command). */
export async function createTestStore(opts: TestStoreOptions = {}): Promise<TestStore> {
  const root = await mkdtemp(join(opts.parentDir ?? tmpdir(), 'nix-e2e-store-'))
  const storeRoot = join(root, 'store')
  const home = join(root, 'home')
  await mkdir(storeRoot)
  await mkdir(home)
  const nixConfig = testNixConfig(storeRoot, opts.extraConfig)
  const env: NodeJS.ProcessEnv = { PATH: SYSTEM_PATH, HOME: home, NIX_CONFIG: nixConfig, ...hostNixConfOff(root) }
  await mkdir(env.NIX_CONF_DIR ?? '')

  const run = (cmd: string, args: readonly string[], o: RunOptions = {}): Promise<ProcResult> => {
    const extra = configLines(o.extraConfig)
    const e: NodeJS.ProcessEnv = { ...env, ...o.env }
    if (extra.length > 0) e.NIX_CONFIG = [e.NIX_CONFIG ?? '', ...extra].join('\n')
    return runProcess(cmd, args, { env: e, cwd: o.cwd ?? root, input: o.input, timeoutMs: o.timeoutMs })
  }
  const runOk = async (cmd: string, args: readonly string[], o: RunOptions = {}): Promise<ProcResult> => {
    const r = await run(cmd, args, o)
    if (r.code !== 0) throw new Error(describeFailure(cmd, args, r))
    return r
  }

  return {
    root,
    storeRoot,
    home,
    env,
    nixConfig,
    run,
    runOk,
    async build(nixFile, attr, extraConfig) {
      const attrs = typeof attr === 'string' ? [attr] : attr
      const args = [nixFile, ...attrs.flatMap((a) => ['-A', a]), '--no-out-link']
      const r = await runOk('nix-build', args, { extraConfig })
      return { outPaths: r.stdout.split('\n').filter((l) => l !== ''), log: r.stderr }
    },
    async pathInfo(paths, flags = []) {
      if (paths.length === 0) return []
      const r = await runOk('nix', ['path-info', '--json', ...flags, ...paths])
      return pathInfoList<PathInfo>(r.stdout)
    },
    async isValid(path) {
      const r = await run('nix-store', ['--check-validity', path])
      return r.code === 0
    },
    physicalPath(storePath) {
      return join(storeRoot, storePath)
    },
    cleanup: () => removeTree(root)
  }
}

/**
 * Overwrites a file of a store path in place, as a damaged disk would. Nix leaves store files
 * read-only, which stops everyone but root; the mode is restored afterwards.
 */
export async function overwriteInStore(physicalFile: string, content: string): Promise<void> {
  const { mode } = await stat(physicalFile)
  await chmod(physicalFile, mode | 0o200)
  await writeFile(physicalFile, content)
  await chmod(physicalFile, mode)
}

/** Removes a directory tree even if it holds read-only store paths. */
export async function removeTree(dir: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true })
  } catch {
    await makeWritable(dir)
    await rm(dir, { recursive: true, force: true })
  }
}

async function makeWritable(dir: string): Promise<void> {
  const st = await lstat(dir).catch(() => undefined)
  if (!st || !st.isDirectory()) return
  await chmod(dir, 0o755).catch(() => undefined)
  // Tolerates what a concurrent removal of the same tree has already taken away.
  const names = await readdir(dir).catch(() => [] as string[])
  for (const name of names) await makeWritable(join(dir, name))
}

const BUILDING = /^\s*building '(\/nix\/store\/[^']+\.drv)'/gm
const SUBSTITUTING = /^\s*copying path '(\/nix\/store\/[^']+)' from '([^']+)'/gm

/** The .drv paths a `nix-build` / `nix build -L` log says were built, in order. */
export function builtDerivations(log: string): string[] {
  return [...log.matchAll(BUILDING)].map((m) => m[1] ?? '')
}

/** How many derivations a `nix-build` / `nix build -L` log says were built. */
export function countBuilt(log: string): number {
  return builtDerivations(log).length
}

/** The store paths a build log says were substituted, with the cache URI each came from. */
export function substitutedPaths(log: string): { path: string; from: string }[] {
  return [...log.matchAll(SUBSTITUTING)].map((m) => ({ path: m[1] ?? '', from: m[2] ?? '' }))
}

let nixCheck: Promise<string> | undefined

/**
 * Checks that Nix, nix-build, nix-store and /bin/busybox are usable, and returns `nix --version`.
 * Throws an explanatory error otherwise. The result is memoised.
 */
export function ensureNixAvailable(): Promise<string> {
  nixCheck ??= (async () => {
    if (!existsSync('/bin/busybox')) throw new Error('e2e tests need /bin/busybox (apt-get install busybox-static)')
    const dir = await mkdtemp(join(tmpdir(), 'nix-check-'))
    const env = nixToolEnv(dir)
    let version = ''
    try {
      for (const cmd of ['nix', 'nix-build', 'nix-store', 'nix-instantiate']) {
        let r: ProcResult
        try {
          r = await runProcess(cmd, ['--version'], { env, timeoutMs: 30000 })
        } catch (e) {
          throw new Error(`e2e tests need Nix (${cmd} not found): ${(e as Error).message}`, { cause: e })
        }
        if (r.code !== 0) throw new Error(describeFailure(cmd, ['--version'], r))
        if (cmd === 'nix') version = r.stdout.trim()
      }
    } finally {
      await removeTree(dir)
    }
    return version
  })()
  return nixCheck
}
