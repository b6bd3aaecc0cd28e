import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { FileBackend } from '../src/backends/file.js'
import type { BodyFactory, Published } from '../src/backends/backend.js'
import { narHashOf } from '../src/nar.js'
import { parseNarInfo } from '../src/narinfo.js'
import type { PathInfo } from '../src/nix/path-info-types.js'
import { formatNix32Hash } from '../src/nix32.js'
import { parseSecretKey, type SigningKey } from '../src/signing.js'
import { uploadPaths } from '../src/upload/pipeline.js'

let dir: string
let storeDir: string
let signer: SigningKey

const h = (c: string): string => c.repeat(32)
const sp = (c: string, name: string): string => `/nix/store/${h(c)}-${name}`

async function makePath(path: string, content: string, references: string[] = []): Promise<PathInfo> {
  const fsPath = join(storeDir, path.slice('/nix/store/'.length))
  await mkdir(fsPath, { recursive: true })
  await writeFile(join(fsPath, 'file'), content)
  const { hash, size } = await narHashOf(fsPath)
  return { path, narHash: formatNix32Hash(hash), narSize: size, references, signatures: [], ultimate: true }
}

/** The real file backend, recording the order in which keys are written. */
class RecordingBackend extends FileBackend {
  readonly order: string[] = []
  override async put(key: string, body: BodyFactory): Promise<void> {
    await super.put(key, body)
    this.order.push(key)
  }
  override async publish(key: string, file: string): Promise<Published> {
    const r = await super.publish(key, file)
    this.order.push(key)
    return r
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pipeline-'))
  storeDir = join(dir, 'store')
  execFileSync('nix-store', ['--generate-binary-cache-key', 'pipe-1', join(dir, 'sk'), join(dir, 'pk')])
  signer = parseSecretKey(await readFile(join(dir, 'sk'), 'utf8'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('the upload pipeline', () => {
  it('writes each narinfo after its NAR and after the narinfos of the paths it references', async () => {
    const lib = await makePath(sp('a', 'lib'), 'lib')
    const app = await makePath(sp('b', 'app'), 'app', [lib.path])
    const backend = new RecordingBackend(join(dir, 'cache-order'))
    await backend.prepare('/nix/store')
    // The referrer comes first in the input; the pipeline must still commit lib first.
    const out = await uploadPaths([app, lib], { backend, signer, compression: 'zstd', parallelism: 4, realStoreDir: storeDir })
    expect(out.failed).toEqual([])
    expect(out.pushed.map((p) => p.path).sort()).toEqual([lib.path, app.path].sort())
    const libInfo = backend.order.indexOf(`${h('a')}.narinfo`)
    const appInfo = backend.order.indexOf(`${h('b')}.narinfo`)
    expect(libInfo).toBeGreaterThanOrEqual(0)
    expect(appInfo).toBeGreaterThan(libInfo)
    const appNarinfo = parseNarInfo(await readFile(join(dir, 'cache-order', `${h('b')}.narinfo`), 'utf8'))
    expect(backend.order.indexOf(appNarinfo.url)).toBeGreaterThanOrEqual(0)
    expect(backend.order.indexOf(appNarinfo.url)).toBeLessThan(appInfo)
  })

  it('reports a path that vanished before upload, and uploads the rest', async () => {
    const kept = await makePath(sp('c', 'kept'), 'kept')
    const gone = await makePath(sp('d', 'gone'), 'gone')
    await rm(join(storeDir, gone.path.slice('/nix/store/'.length)), { recursive: true })
    const backend = new FileBackend(join(dir, 'cache-vanish'))
    await backend.prepare('/nix/store')
    const out = await uploadPaths([kept, gone], { backend, signer, compression: 'none', parallelism: 2, realStoreDir: storeDir })
    expect(out.vanished).toEqual([gone.path])
    expect(out.pushed.map((p) => p.path)).toEqual([kept.path])
  })

  it('refuses a path whose contents do not match its recorded hash, and its referrers', async () => {
    const bad = await makePath(sp('f', 'bad'), 'original')
    const user = await makePath(sp('g', 'user'), 'user', [bad.path])
    await writeFile(join(storeDir, bad.path.slice('/nix/store/'.length), 'file'), 'tampered')
    const backend = new FileBackend(join(dir, 'cache-bad'))
    await backend.prepare('/nix/store')
    const out = await uploadPaths([bad, user], { backend, signer, compression: 'zstd', parallelism: 2, realStoreDir: storeDir })
    expect(out.pushed).toEqual([])
    expect(out.failed.map((f) => f.path).sort()).toEqual([bad.path, user.path].sort())
    expect(out.failed.find((f) => f.path === bad.path)?.reason).toMatch(/do not match/)
    const files = await readdir(join(dir, 'cache-bad'))
    expect(files.filter((f) => f.endsWith('.narinfo'))).toEqual([])
  })
})
