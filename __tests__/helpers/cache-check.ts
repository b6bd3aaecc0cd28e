// What every fault-injection test asserts about a binary cache after the fault: real Nix still
// verifies all of it under require-sigs, every narinfo points at a whole NAR, and a fresh store
// substitutes from it.
import { expect } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { zstdDecompressSync } from 'node:zlib'
import { NIX_PRELUDE } from './graph.js'
import { countBuilt, createTestStore, substitutedPaths, SYSTEM_PATH, type TestStore } from './nix-store.js'
import { runProcess, type ProcResult } from './proc.js'
import { parseNarInfo } from '../../src/format/narinfo.js'
import { parseHash } from '../../src/format/nix32.js'

/** `nix store verify --all` over a file:// cache, trusting only `publicKey` (signatures required). */
export async function verifyCache(dir: string, publicKey: string): Promise<ProcResult> {
  const home = await mkdtemp(join(tmpdir(), 'nix-verify-home-'))
  return runProcess('nix', ['store', 'verify', '--store', `file://${dir}`, '--all'], {
    env: {
      PATH: SYSTEM_PATH,
      HOME: home,
      NIX_CONFIG: ['experimental-features = nix-command', 'require-sigs = true', `trusted-public-keys = ${publicKey}`].join('\n')
    }
  })
}

/** Asserts that verifyCache accepts the whole cache: it exits 0 and calls nothing modified, untrusted or corrupt. */
export async function expectVerified(dir: string, publicKey: string): Promise<void> {
  const r = await verifyCache(dir, publicKey)
  expect(r.stderr).not.toMatch(/modified|untrusted|corrupt|error/i)
  expect(r.code).toBe(0)
}

/** The NAR inside a NAR file, or undefined when the file does not decompress whole. */
function decompressed(file: Buffer, compression: string): Buffer | undefined {
  if (compression === 'none') return file
  if (compression === 'zstd') {
    try {
      return zstdDecompressSync(file)
    } catch {
      return undefined
    }
  }
  if (compression !== 'xz' && compression !== 'bzip2') throw new Error(`no decompressor for ${compression} in the tests`)
  const r = spawnSync(compression, ['-dc'], { input: file, env: { PATH: SYSTEM_PATH }, maxBuffer: 1 << 30 })
  return r.status === 0 ? r.stdout : undefined
}

/** Whether `file` holds a whole NAR: it decompresses, and to `narHash` (and `narSize`, when given). */
async function isWholeNar(file: string, compression: string, narHash: string, narSize?: number): Promise<boolean> {
  const bytes = await readFile(file).catch(() => undefined)
  const nar = bytes && decompressed(bytes, compression)
  if (!nar || (narSize !== undefined && nar.length !== narSize)) return false
  return createHash('sha256').update(nar).digest().equals(parseHash(narHash))
}

const COMPRESSION_OF_EXTENSION: Record<string, string> = { '.nar.zst': 'zstd', '.nar.xz': 'xz', '.nar.bz2': 'bzip2', '.nar': 'none' }

/**
 * The files under nar/ of a file:// cache whose bytes are not the NAR their name promises (a NAR
 * is named by its NarHash): what an upload cut mid-body leaves on a server that writes in place.
 */
export async function partialNars(dir: string): Promise<string[]> {
  const names = await readdir(join(dir, 'nar')).catch(() => [] as string[])
  const partial: string[] = []
  for (const name of names) {
    const m = /^([0-9a-df-np-sv-z]{52})(\.nar(?:\.zst|\.xz|\.bz2)?)$/.exec(name)
    if (!m) continue
    const [, hash = '', ext = ''] = m
    if (!(await isWholeNar(join(dir, 'nar', name), COMPRESSION_OF_EXTENSION[ext] ?? 'none', `sha256:${hash}`))) partial.push(`nar/${name}`)
  }
  return partial
}

/**
 * The narinfos of a file:// cache that point at a NAR that is missing or not whole (it does not
 * decompress to the NarSize and NarHash the narinfo states): paths a consumer would fail to fetch.
 */
export async function narinfosWithPartialNar(dir: string): Promise<string[]> {
  const broken: string[] = []
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.narinfo'))) {
    const info = parseNarInfo(await readFile(join(dir, name), 'utf8'))
    if (!(await isWholeNar(join(dir, info.url), info.compression, info.narHash, info.narSize))) broken.push(`${name} -> ${info.url}`)
  }
  return broken
}

/** The hash parts of the narinfos in a file:// cache (none when it does not exist yet). */
export async function narinfos(cacheDir: string): Promise<Set<string>> {
  const names = await readdir(cacheDir).catch(() => [] as string[])
  return new Set(names.filter((n) => n.endsWith('.narinfo')).map((n) => n.slice(0, 32)))
}

/**
 * Two derivations with identical contents (one NarHash, so one `nar/<NarHash>` in a cache),
 * one referrer of the second, and an unrelated path.
 */
export const TWINS_NIX = `let
${NIX_PRELUDE}
  good = mk "same-good" "echo same > $out" {};
  twin = mk "same-twin" "echo same > $out" {};
  user = mk "twin-user" "echo \${twin} > $out" {};
  other = mk "other" "echo other > $out" {};
in { inherit good twin user other; }
`

export async function writeTwins(dir: string): Promise<string> {
  const file = join(dir, 'twins.nix')
  await writeFile(file, TWINS_NIX)
  return file
}

/** A fresh store substituting only from `substituter` (require-sigs) builds `attrs`; how many it built itself. */
export async function consumerOf(
  substituter: string,
  publicKey: string,
  attrs: readonly string[]
): Promise<{ built: number; substituted: string[]; store: TestStore }> {
  const store = await createTestStore({
    extraConfig: [`substituters = ${substituter}`, `trusted-public-keys = ${publicKey}`, 'require-sigs = true', 'narinfo-cache-negative-ttl = 0']
  })
  const file = await writeTwins(store.root)
  const r = await store.runOk('nix-build', [file, ...attrs.flatMap((a) => ['-A', a]), '--no-out-link'])
  return { built: countBuilt(r.stderr), substituted: substitutedPaths(r.stderr).map((s) => s.path), store }
}
