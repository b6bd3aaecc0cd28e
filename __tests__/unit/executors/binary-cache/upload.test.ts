import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { FileBackend } from '../../../../src/executors/binary-cache/file.js'
import type { BodyFactory, Published } from '../../../../src/executors/binary-cache/backend.js'
import { zstdDecompressSync } from 'node:zlib'
import { narHashOf, narStream } from '../../../../src/format/nar.js'
import { parseNarInfo } from '../../../../src/format/narinfo.js'
import type { PathInfo } from '../../../../src/format/path-info.js'
import { formatNix32Hash } from '../../../../src/format/nix32.js'
import { parseSecretKey, type SigningKey } from '../../../../src/format/signing.js'
import { uploadPaths } from '../../../../src/executors/binary-cache/upload.js'
import type { NarFile } from '../../../../src/executors/binary-cache/nar-writer.js'
import { setHost, host } from '../../../../src/runtime/host.js'
import { capturingHost } from '../../../helpers/fixtures.js'

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
  override async putBytes(key: string, bytes: Buffer): Promise<void> {
    await super.putBytes(key, bytes)
    this.order.push(key)
  }
  override async publishBytes(key: string, bytes: Buffer): Promise<Published> {
    const r = await super.publishBytes(key, bytes)
    this.order.push(key)
    return r
  }
}

async function narBytes(info: PathInfo): Promise<Buffer> {
  const chunks: Buffer[] = []
  // The good twin's contents are what the tampered one was recorded with.
  for await (const c of narStream(join(storeDir, info.path.slice('/nix/store/'.length)))) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
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

describe('a path nested deeper than Nix 2.34 allows (64 levels)', () => {
  /** A store path whose file sits `levels + 1` below the path's root; its hash is never checked (the NAR is refused first). */
  async function deepPath(path: string, levels: number, references: string[] = []): Promise<PathInfo> {
    const fsPath = join(storeDir, path.slice('/nix/store/'.length), ...Array.from({ length: levels }, () => 'd'))
    await mkdir(fsPath, { recursive: true })
    await writeFile(join(fsPath, 'f'), 'x')
    return { path, narHash: `sha256:${'0'.repeat(52)}`, narSize: 1, references, signatures: [], ultimate: true }
  }

  it('is skipped with its reason, with every path that references it, and is not a failure; the rest is pushed', async () => {
    const deep = await deepPath(sp('h', 'deep'), 63)
    const user = await makePath(sp('i', 'user'), 'user', [deep.path])
    const app = await makePath(sp('j', 'app'), 'app', [user.path])
    const atLimit = await makePath(sp('k', 'at-limit'), 'x')
    await mkdir(join(storeDir, atLimit.path.slice('/nix/store/'.length), ...Array.from({ length: 62 }, () => 'd')), { recursive: true })
    const limitInfo = { ...atLimit, ...(await narHashOf(join(storeDir, atLimit.path.slice('/nix/store/'.length))).then((r) => ({ narHash: formatNix32Hash(r.hash), narSize: r.size }))) }
    const backend = new FileBackend(join(dir, 'cache-deep'))
    await backend.prepare('/nix/store')
    const out = await uploadPaths([app, user, deep, limitInfo], { backend, signer, compression: 'zstd', parallelism: 2, realStoreDir: storeDir })
    expect(out.failed).toEqual([])
    expect(out.pushed.map((p) => p.path)).toEqual([limitInfo.path])
    const skipped = new Map((out.unsubstitutable ?? []).map((u) => [u.path, u.reason]))
    expect([...skipped.keys()].sort()).toEqual([deep.path, user.path, app.path].sort())
    expect(skipped.get(deep.path)).toMatch(/nested deeper than 64 levels .*\/d\/f\), which Nix 2\.34 and later refuse/)
    expect(skipped.get(user.path)).toBe(`references ${deep.path}, which is not pushed`)
    expect(skipped.get(app.path)).toBe(`references ${user.path}, which is not pushed`)
    const files = await readdir(join(dir, 'cache-deep'))
    expect(files.filter((f) => f.endsWith('.narinfo'))).toEqual([`${h('k')}.narinfo`])
  })
})

describe('NARs ahead of their narinfos (the agent with unresolved installables)', () => {
  it('uploads verified NARs only, telling of each; a later upload names them in the narinfo without asking or writing them again', async () => {
    const lib = await makePath(sp('m', 'staged-lib'), 'staged lib')
    const app = await makePath(sp('n', 'staged-app'), 'staged app', [lib.path])
    const cache = join(dir, 'cache-staged')
    const backend = new RecordingBackend(cache)
    await backend.prepare('/nix/store')
    const staged: NarFile[] = []
    const ahead = await uploadPaths([app, lib], { backend, compression: 'zstd', parallelism: 2, realStoreDir: storeDir, narsOnly: true, onNarWritten: (n) => staged.push(n) })
    expect(ahead.pushed.map((p) => p.path).sort()).toEqual([lib.path, app.path].sort())
    expect(backend.order.filter((k) => k.endsWith('.narinfo'))).toEqual([])
    expect(staged.map((n) => n.url).sort()).toEqual(backend.order.filter((k) => k.startsWith('nar/')).sort())

    // The post step, in another process, with the agent's records: nothing asked, nothing uploaded.
    class Asked extends RecordingBackend {
      asked = 0
      override async has(key: string): Promise<boolean> {
        this.asked++
        return super.has(key)
      }
    }
    const post = new Asked(cache)
    const out = await uploadPaths([app, lib], { backend: post, signer, compression: 'zstd', parallelism: 2, realStoreDir: storeDir, written: staged })
    expect(out.failed).toEqual([])
    expect(post.asked).toBe(0)
    expect(post.order.sort()).toEqual([`${h('m')}.narinfo`, `${h('n')}.narinfo`])
    const info = parseNarInfo(await readFile(join(cache, `${h('n')}.narinfo`), 'utf8'))
    const mine = staged.find((n) => n.url === info.url)!
    expect(info.fileHash).toBe(mine.fileHash)
    expect(info.fileSize).toBe(mine.fileSize)
    expect((await readFile(join(cache, info.url))).length).toBe(mine.fileSize)
  })

  it('still hashes a path whose NAR was staged, and publishes nothing for one that no longer matches', async () => {
    const path = await makePath(sp('o', 'staged-then-tampered'), 'as staged')
    const cache = join(dir, 'cache-staged-bad')
    const backend = new FileBackend(cache)
    await backend.prepare('/nix/store')
    const staged: NarFile[] = []
    await uploadPaths([path], { backend, compression: 'zstd', parallelism: 1, realStoreDir: storeDir, narsOnly: true, onNarWritten: (n) => staged.push(n) })
    expect(staged).toHaveLength(1)
    await writeFile(join(storeDir, path.path.slice('/nix/store/'.length), 'file'), 'tampered after staging')
    const out = await uploadPaths([path], { backend, signer, compression: 'zstd', parallelism: 1, realStoreDir: storeDir, written: staged })
    expect(out.pushed).toEqual([])
    expect(out.failed[0]?.reason).toMatch(/do not match/)
    expect((await readdir(cache)).filter((f) => f.endsWith('.narinfo'))).toEqual([])
  })
})

/** The bytes of every file under `dir`, by relative name. */
async function tree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue
    const p = join(e.parentPath, e.name)
    out.set(p.slice(dir.length + 1), (await readFile(p)).toString('hex'))
  }
  return out
}

describe('a path whose contents do not match its NarHash', () => {
  /** Two paths with identical contents (one NAR), the second then tampered with on disk. */
  async function twins(tag: string): Promise<{ good: PathInfo; twin: PathInfo; user: PathInfo }> {
    const good = await makePath(sp(tag, `good-${tag}`), 'same')
    const twin = await makePath(sp(String.fromCharCode(tag.charCodeAt(0) + 1), `twin-${tag}`), 'same')
    const user = await makePath(sp(String.fromCharCode(tag.charCodeAt(0) + 2), `user-${tag}`), 'user', [twin.path])
    expect(twin.narHash).toBe(good.narHash)
    // Same size, other bytes: only the hash can tell.
    await writeFile(join(storeDir, twin.path.slice('/nix/store/'.length), 'file'), 'evil')
    return { good, twin, user }
  }

  it('never replaces the cached NAR of a good path with the same NarHash, and is not published', async () => {
    const { good, twin, user } = await twins('h')
    const cache = join(dir, 'cache-twin-later')
    const backend = new FileBackend(cache)
    await backend.prepare('/nix/store')
    const first = await uploadPaths([good], { backend, signer, compression: 'zstd', parallelism: 2, realStoreDir: storeDir })
    expect(first.pushed.map((p) => p.path)).toEqual([good.path])
    const before = await tree(cache)

    const out = await uploadPaths([twin, user], { backend, signer, compression: 'zstd', parallelism: 2, realStoreDir: storeDir })
    expect(out.pushed).toEqual([])
    expect(out.failed.find((f) => f.path === twin.path)?.reason).toMatch(/do not match the hash Nix recorded/)
    expect(out.failed.find((f) => f.path === user.path)?.reason).toMatch(/references could not be uploaded/)
    // Every file the good path's job left is byte for byte the same; nothing else but the
    // referrer's own NAR (harmless: no narinfo names it) was added, and no spool file is left.
    const after = await tree(cache)
    for (const [name, bytes] of before) expect(after.get(name)).toBe(bytes)
    const added = [...after.keys()].filter((k) => !before.has(k))
    expect(added).toHaveLength(1)
    expect(added[0]).toMatch(/^nar\/[0-9a-z]{52}\.nar\.zst$/)
  })

  it.each([
    ['the good path first', (t: { good: PathInfo; twin: PathInfo; user: PathInfo }) => [t.good, t.twin, t.user]],
    ['the tampered one first', (t: { good: PathInfo; twin: PathInfo; user: PathInfo }) => [t.twin, t.user, t.good]]
  ])('in one upload with its good twin (%s): the good path is published with an intact NAR', async (order, arrange) => {
    const t = await twins(order === 'the good path first' ? 'k' : 'w')
    const cache = join(dir, `cache-twin-${order.replace(/ /g, '-')}`)
    const backend = new FileBackend(cache)
    await backend.prepare('/nix/store')
    const out = await uploadPaths(arrange(t), { backend, signer, compression: 'zstd', parallelism: 4, realStoreDir: storeDir })
    expect(out.pushed.map((p) => p.path)).toEqual([t.good.path])
    expect(out.failed.map((f) => f.path).sort()).toEqual([t.twin.path, t.user.path].sort())
    const info = parseNarInfo(await readFile(join(cache, `${t.good.path.slice(11, 43)}.narinfo`), 'utf8'))
    const nar = await readFile(join(cache, info.url))
    expect(nar.length).toBe(info.fileSize)
    expect(zstdDecompressSync(nar).toString('hex')).toBe((await narBytes(t.good)).toString('hex'))
    expect([...(await tree(cache)).keys()].filter((k) => k.includes('spool'))).toEqual([])
  })

  it('checks a small NAR in memory before it reaches the backend: a tampered one never does, a good one goes in one call', async () => {
    const good = await makePath(sp('r', 'small-good'), 'small and good')
    const bad = await makePath(sp('s', 'small-bad'), 'small, as recorded')
    await writeFile(join(storeDir, bad.path.slice('/nix/store/'.length), 'file'), 'small, but tampered')
    class Recording extends FileBackend {
      readonly handed: string[] = []
      override async publishBytes(key: string, bytes: Buffer): Promise<Published> {
        this.handed.push(key)
        return super.publishBytes(key, bytes)
      }
      override async publish(): Promise<Published> {
        throw new Error('a small NAR is not spooled where the backend takes bytes')
      }
    }
    const cache = join(dir, 'cache-small-memory')
    const backend = new Recording(cache)
    await backend.prepare('/nix/store')
    const out = await uploadPaths([good, bad], { backend, signer, compression: 'zstd', parallelism: 2, realStoreDir: storeDir })
    expect(out.pushed.map((p) => p.path)).toEqual([good.path])
    expect(out.failed.map((f) => f.path)).toEqual([bad.path])
    expect(backend.handed).toEqual([`nar/${good.narHash.slice('sha256:'.length)}.nar.zst`])
    const info = parseNarInfo(await readFile(join(cache, `${h('r')}.narinfo`), 'utf8'))
    expect(zstdDecompressSync(await readFile(join(cache, info.url))).equals(await narBytes(good))).toBe(true)
  })

  it('leaves a file already under a NAR name alone, and still hashes the path before its narinfo', async () => {
    const path = await makePath(sp('q', 'present'), 'present')
    const cache = join(dir, 'cache-present')
    const backend = new FileBackend(cache)
    await backend.prepare('/nix/store')
    const url = `nar/${path.narHash.slice('sha256:'.length)}.nar.zst`
    await writeFile(join(cache, url), 'someone else wrote this')
    const out = await uploadPaths([path], { backend, signer, compression: 'zstd', parallelism: 1, realStoreDir: storeDir })
    expect(out.pushed).toEqual([{ path: path.path, narSize: path.narSize, fileSize: 0 }])
    expect(await readFile(join(cache, url), 'utf8')).toBe('someone else wrote this')
    // FileHash and FileSize describe a file this job did not write, so they are left out.
    const text = await readFile(join(cache, `${h('q')}.narinfo`), 'utf8')
    expect(text).not.toMatch(/FileHash|FileSize/)
    expect(parseNarInfo(text).url).toBe(url)
  })
})

describe('a small NAR already in a file:// cache', () => {
  it('is asked about before the xz tool compresses it (a process per path): none is compressed, nothing is spooled', async () => {
    /** Compression by a tool goes through a spool file: no spool file, no compression. */
    class Spooling extends FileBackend {
      readonly spooled: string[] = []
      override async spoolFile(key: string): Promise<string> {
        this.spooled.push(key)
        return super.spoolFile(key)
      }
    }
    const present = await makePath(sp('x', 'present-xz'), 'present, xz')
    const fresh = await makePath(sp('y', 'fresh-xz'), 'fresh, xz')
    const cache = join(dir, 'cache-present-xz')
    const backend = new Spooling(cache)
    await backend.prepare('/nix/store')
    const url = (p: PathInfo): string => `nar/${p.narHash.slice('sha256:'.length)}.nar.xz`
    await writeFile(join(cache, url(present)), 'someone else wrote this')
    const out = await uploadPaths([present, fresh], { backend, signer, compression: 'xz', parallelism: 1, realStoreDir: storeDir })
    expect(out.failed).toEqual([])
    expect(await readFile(join(cache, url(present)), 'utf8')).toBe('someone else wrote this')
    expect(backend.spooled).toEqual([url(fresh)])
  })

  it('is not asked about when compressed in memory: the hard link finds it, leaves it alone and the narinfo names it', async () => {
    class Asking extends FileBackend {
      readonly asked: string[] = []
      override async has(key: string): Promise<boolean> {
        this.asked.push(key)
        return super.has(key)
      }
    }
    const present = await makePath(sp('z', 'present-zstd'), 'present, zstd')
    const cache = join(dir, 'cache-present-zstd')
    const backend = new Asking(cache)
    await backend.prepare('/nix/store')
    const url = `nar/${present.narHash.slice('sha256:'.length)}.nar.zst`
    await writeFile(join(cache, url), 'someone else wrote this')
    const out = await uploadPaths([present], { backend, signer, compression: 'zstd', parallelism: 1, realStoreDir: storeDir })
    expect(out.pushed).toEqual([{ path: present.path, narSize: present.narSize, fileSize: 0 }])
    expect(backend.asked).toEqual([])
    expect(await readFile(join(cache, url), 'utf8')).toBe('someone else wrote this')
    expect(parseNarInfo(await readFile(join(cache, `${h('z')}.narinfo`), 'utf8')).url).toBe(url)
  })
})

describe('progress of a long upload', () => {
  it('logs paths, bytes and rate at every interval, inside one log group, and nothing for short ones', async () => {
    const previous = host()
    const { host: recording, lines } = capturingHost(previous)
    /** A cache that takes its time over each NAR, like a slow network. */
    class SlowBackend extends FileBackend {
      override async publish(key: string, file: string): Promise<Published> {
        await new Promise((r) => setTimeout(r, 150))
        return super.publish(key, file)
      }
      override async publishBytes(key: string, bytes: Buffer): Promise<Published> {
        await new Promise((r) => setTimeout(r, 150))
        return super.publishBytes(key, bytes)
      }
    }
    const paths = await Promise.all(['0', '1', '2', '3'].map((c) => makePath(sp(c, `slow-${c}`), `slow ${c}`)))
    setHost(recording)
    try {
      const backend = new SlowBackend(join(dir, 'cache-slow'))
      await backend.prepare('/nix/store')
      await uploadPaths(paths, { backend, signer, compression: 'zstd', parallelism: 1, realStoreDir: storeDir, progressIntervalMs: 200 })
      const quiet = new FileBackend(join(dir, 'cache-quick'))
      await quiet.prepare('/nix/store')
      const before = lines.length
      await uploadPaths(paths, { backend: quiet, signer, compression: 'zstd', parallelism: 1, realStoreDir: storeDir, progressIntervalMs: 60_000 })
      expect(lines.slice(before)).toEqual([])
    } finally {
      setHost(previous)
    }
    expect(lines[0]).toBe(`group: Uploading 4 paths to file://${join(dir, 'cache-slow')}`)
    expect(lines.at(-1)).toBe('endgroup')
    const progress = lines.slice(1, -1)
    expect(progress.length).toBeGreaterThanOrEqual(2)
    for (const l of progress) expect(l).toMatch(/^(done: )?\d\/4 paths, [\d.]+ (B|KiB) of [\d.]+ (B|KiB) of NARs read \(.*\/s\), \d+ s$/)
    expect(progress.at(-1)).toMatch(/^done: 4\/4 paths/)
  })
})
