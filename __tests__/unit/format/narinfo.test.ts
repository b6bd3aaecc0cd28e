import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { narInfoKey, parseNarInfo, renderNarInfo, type NarInfo } from '../../../src/format/narinfo.js'
import { formatNix32Hash, parseHash } from '../../../src/format/nix32.js'
import { SAMPLE_EXPRESSION, throwawayNix, type ThrowawayNix } from '../../helpers/throwaway-nix.js'
import { pathInfoList } from '../../helpers/nix-store.js'

interface PathInfo {
  path: string
  narHash: string
  narSize: number
  references: string[]
  deriver?: string
  ca?: string
}

interface CacheEntry {
  cache: string
  file: string
  text: string
}

const COMPRESSIONS = ['none', 'xz', 'zstd'] as const

let nix: ThrowawayNix
const entries: CacheEntry[] = []
const pathInfo = new Map<string, PathInfo>()

beforeAll(() => {
  nix = throwawayNix()
  const sk = join(nix.dir, 'sk')
  nix.run('nix-store', ['--generate-binary-cache-key', 'test-1', sk, join(nix.dir, 'pk')])
  const built = nix.build(SAMPLE_EXPRESSION, 'b')
  // `nix-store --add` yields a content-addressed path, the only way to get a CA: line.
  const file = join(nix.dir, 'hello.txt')
  writeFileSync(file, 'hello\n')
  const added = nix.run('nix-store', ['--add', file])

  for (const compression of COMPRESSIONS) {
    const cache = join(nix.dir, `cache-${compression}`)
    nix.run('nix', ['copy', '--to', `file://${cache}?secret-key=${sk}&compression=${compression}`, built, added])
    for (const f of readdirSync(cache).filter((n) => n.endsWith('.narinfo'))) {
      entries.push({ cache, file: f, text: readFileSync(join(cache, f), 'utf8') })
    }
  }
  const infos = pathInfoList<PathInfo>(nix.run('nix', ['path-info', '--json', '--recursive', built, added]))
  for (const info of infos) pathInfo.set(info.path, info)
})

afterAll(() => nix?.cleanup())

describe('parseNarInfo on narinfo files written by nix copy', () => {
  it('sees every path in every cache', () => {
    expect(pathInfo.size).toBe(3)
    expect(entries).toHaveLength(3 * COMPRESSIONS.length)
  })

  it('reads each field as Nix recorded it in the store', () => {
    for (const { text } of entries) {
      const parsed = parseNarInfo(text)
      const info = pathInfo.get(parsed.storePath)
      expect(info).toBeDefined()
      if (!info) continue
      expect(parsed.narHash).toBe(formatNix32Hash(parseHash(info.narHash)))
      expect(parsed.narSize).toBe(info.narSize)
      expect([...parsed.references].sort()).toEqual([...info.references].sort())
      expect(parsed.deriver).toBe(info.deriver)
      expect(parsed.ca).toBe(info.ca)
      expect(parsed.sigs).toHaveLength(1)
      expect(parsed.sigs[0]).toMatch(/^test-1:[A-Za-z0-9+/]{86}==$/)
    }
  })

  it('reads compression, URL, file hash and size that match the NAR file on disk', () => {
    for (const { cache, text } of entries) {
      const parsed = parseNarInfo(text)
      expect(COMPRESSIONS).toContain(parsed.compression)
      expect(cache.endsWith(`-${parsed.compression}`)).toBe(true)
      const nar = readFileSync(join(cache, parsed.url))
      expect(parsed.fileSize).toBe(nar.length)
      expect(parsed.fileHash).toBe(formatNix32Hash(createHash('sha256').update(nar).digest()))
      if (parsed.compression === 'none') expect(parsed.fileHash).toBe(parsed.narHash)
    }
  })

  it('names the file as narInfoKey does', () => {
    for (const { file, text } of entries) expect(narInfoKey(parseNarInfo(text).storePath)).toBe(file)
  })
})

describe('renderNarInfo', () => {
  it('reproduces narinfo files written by Nix byte for byte', () => {
    for (const { text } of entries) expect(renderNarInfo(parseNarInfo(text))).toBe(text)
  })

  it('writes an empty reference list as "References: " with the trailing space, like Nix', () => {
    const empty = entries.filter((e) => parseNarInfo(e.text).references.length === 0)
    expect(empty.length).toBeGreaterThan(0)
    for (const { text } of empty) {
      expect(text).toContain('\nReferences: \n')
      expect(renderNarInfo(parseNarInfo(text))).toContain('\nReferences: \n')
    }
  })

  it('writes basenames of references in sorted order and normalises hashes to nix32', () => {
    const info: NarInfo = {
      storePath: '/nix/store/20rdk08bai7649sl0hq4gy5s2fgkcaqi-y',
      url: 'nar/abc.nar.zst',
      compression: 'zstd',
      fileHash: 'sha256-bXZ5LWoFjWxMuu0UDtZ5jENedwG5tCW+XCcmXMZEaXo=',
      fileSize: 186,
      narHash: 'sha256:6d76792d6a058d6c4cbaed140ed6798c435e7701b9b425be5c27265cc644697a',
      narSize: 560,
      references: ['/nix/store/zr2knphxg8yyy2mkq8akf2hfknjvdiz7-x', '/nix/store/20rdk08bai7649sl0hq4gy5s2fgkcaqi-y'],
      deriver: '/nix/store/p7bizmkxz92zcgjx743wdn71c4npmqhy-y.drv',
      sigs: ['k1:c2ln', 'k2:c2ln'],
      ca: 'fixed:r:sha256:0yk98k35q9i7bjz2bd5r05vmwhwcg7b0w57dp966r385d8npjxkd'
    }
    expect(renderNarInfo(info)).toBe(
      [
        'StorePath: /nix/store/20rdk08bai7649sl0hq4gy5s2fgkcaqi-y',
        'URL: nar/abc.nar.zst',
        'Compression: zstd',
        'FileHash: sha256:0yk98k35q9i7bjz2bd5r05vmwhwcg7b0w57dp966r385d8npjxkd',
        'FileSize: 186',
        'NarHash: sha256:0yk98k35q9i7bjz2bd5r05vmwhwcg7b0w57dp966r385d8npjxkd',
        'NarSize: 560',
        'References: 20rdk08bai7649sl0hq4gy5s2fgkcaqi-y zr2knphxg8yyy2mkq8akf2hfknjvdiz7-x',
        'Deriver: p7bizmkxz92zcgjx743wdn71c4npmqhy-y.drv',
        'Sig: k1:c2ln',
        'Sig: k2:c2ln',
        'CA: fixed:r:sha256:0yk98k35q9i7bjz2bd5r05vmwhwcg7b0w57dp966r385d8npjxkd',
        ''
      ].join('\n')
    )
  })
})

describe('parseNarInfo edge cases', () => {
  const minimal = [
    'StorePath: /nix/store/zr2knphxg8yyy2mkq8akf2hfknjvdiz7-x',
    'URL: nar/1xmr8jicvzszfzpz46g37mlpvbzjl2wpwvl2b05psipssyp1sm8h.nar.bz2',
    'NarHash: sha256:1xmr8jicvzszfzpz46g37mlpvbzjl2wpwvl2b05psipssyp1sm8h',
    'NarSize: 120',
    ''
  ].join('\n')

  it('treats a missing Compression as bzip2, as Nix readers do', () => {
    expect(parseNarInfo(minimal).compression).toBe('bzip2')
  })

  it('tolerates a missing References line, unknown keys and the old unknown-deriver placeholder', () => {
    const parsed = parseNarInfo(`${minimal}Deriver: unknown-deriver\nSystem: x86_64-linux\n`)
    expect(parsed.references).toEqual([])
    expect(parsed.deriver).toBeUndefined()
    expect(parsed.fileHash).toBe('')
    expect(parsed.fileSize).toBe(0)
  })

  it('resolves basenames against a custom store directory', () => {
    const text = minimal.replaceAll('/nix/store', '/custom/store') + 'References: abc-x def-y\nDeriver: ghi-z.drv\n'
    const parsed = parseNarInfo(text, '/custom/store')
    expect(parsed.references).toEqual(['/custom/store/abc-x', '/custom/store/def-y'])
    expect(parsed.deriver).toBe('/custom/store/ghi-z.drv')
  })

  it('rejects narinfo files Nix would call corrupt', () => {
    expect(() => parseNarInfo(minimal.replace(/^NarHash.*\n/m, ''))).toThrow(/NarHash/)
    expect(() => parseNarInfo(minimal.replace(/^URL.*\n/m, ''))).toThrow(/URL/)
    expect(() => parseNarInfo(minimal.replace('NarSize: 120', 'NarSize: 0'))).toThrow(/NarSize/)
    expect(() => parseNarInfo(minimal.replace('NarSize: 120', 'NarSize: -1'))).toThrow(/NarSize/)
    expect(() => parseNarInfo(`${minimal}garbage\n`)).toThrow(/':'/)
    expect(() => parseNarInfo(minimal, '/other/store')).toThrow(/not in/)
  })
})

describe('narInfoKey', () => {
  it('uses the hash part of the store path', () => {
    expect(narInfoKey('/nix/store/zr2knphxg8yyy2mkq8akf2hfknjvdiz7-x')).toBe('zr2knphxg8yyy2mkq8akf2hfknjvdiz7.narinfo')
  })

  it('rejects things that are not store paths', () => {
    expect(() => narInfoKey('/nix/store/short-x')).toThrow()
    expect(() => narInfoKey('/nix/store/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-x')).toThrow()
  })
})
