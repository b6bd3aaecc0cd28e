import { afterAll, beforeAll } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { narHashOf } from '../../src/format/nar.js'
import type { PathInfo } from '../../src/format/path-info.js'
import { formatNix32Hash } from '../../src/format/nix32.js'
import { parseSecretKey, type SigningKey } from '../../src/format/signing.js'

/** A store path's hash part made of one character, and a path with it: readable in failures. */
export const h = (c: string): string => c.repeat(32)
export const sp = (c: string, name: string): string => `/nix/store/${h(c)}-${name}`

/** Retries without the real backoff: the unit tests inject faults and want them retried at once. */
export const fastRetry = { baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 50 }

export interface ServerUnit<S> {
  /** The file's directory (the spool directory too). */
  readonly dir: string
  /** Where the paths' files are: the executors read them as the real directory of a store. */
  readonly storeDir: string
  readonly server: S
  /** The public half of the key the stand-in server signs with. */
  readonly publicKey: string
  /** Writes a path with one file, and returns its info as Nix would record it. */
  makePath(path: string, content: string | Buffer, references?: string[]): Promise<PathInfo>
}

/**
 * The preamble of a cache-server executor's unit test: a directory standing for the store, a
 * key made by real Nix, and the stand-in server `start` makes with it, stopped and removed after
 * the file's last test. Fields exist only once the tests run (they are made in beforeAll).
 */
export function useServerUnit<S extends { stop(): Promise<void> }>(kind: string, start: (key: SigningKey) => Promise<S>): ServerUnit<S> {
  let state: { dir: string; server: S; publicKey: string } | undefined
  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), `${kind}-unit-`))
    execFileSync('nix-store', ['--generate-binary-cache-key', `${kind}-unit-1`, join(dir, 'sk'), join(dir, 'pk')])
    const key = parseSecretKey(readFileSync(join(dir, 'sk'), 'utf8'))
    state = { dir, server: await start(key), publicKey: key.publicKey }
  })
  afterAll(async () => {
    await state?.server.stop()
    if (state) await rm(state.dir, { recursive: true, force: true })
  })
  const current = (): NonNullable<typeof state> => {
    if (!state) throw new Error(`useServerUnit('${kind}'): made in beforeAll; read it in hooks and tests only`)
    return state
  }
  const unit: ServerUnit<S> = {
    get dir() {
      return current().dir
    },
    get storeDir() {
      return join(current().dir, 'store')
    },
    get server() {
      return current().server
    },
    get publicKey() {
      return current().publicKey
    },
    async makePath(path, content, references = []) {
      const fsPath = join(unit.storeDir, path.slice('/nix/store/'.length))
      await mkdir(fsPath, { recursive: true })
      await writeFile(join(fsPath, 'file'), content)
      const { hash, size } = await narHashOf(fsPath)
      return { path, narHash: formatNix32Hash(hash), narSize: size, references, signatures: [], ultimate: true }
    }
  }
  return unit
}
