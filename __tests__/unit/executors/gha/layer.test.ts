import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { absorbLayer, LAYER_FORMAT_FILE, writeLayer } from '../../../../src/executors/gha/layer.js'
import { LAYER_FORMAT } from '../../../../src/executors/gha/manifest.js'
import { parseNarInfo } from '../../../../src/format/narinfo.js'
import { hashPart } from '../../../../src/format/store-path.js'
import { SAMPLE_EXPRESSION, throwawayNix, type ThrowawayNix } from '../../../helpers/throwaway-nix.js'
import { pathInfoList } from '../../../helpers/nix-store.js'

let nix: ThrowawayNix
let a: string
let b: string
/** A binary cache as `nix copy` writes it, with uncompressed NARs, like a restored layer. */
let pristine: string

const narOf = (dir: string, storePath: string): string =>
  join(dir, parseNarInfo(readFileSync(join(dir, `${hashPart(storePath)}.narinfo`), 'utf8')).url)

beforeAll(() => {
  nix = throwawayNix()
  a = nix.build(SAMPLE_EXPRESSION, 'a')
  b = nix.build(SAMPLE_EXPRESSION, 'b')
  pristine = join(nix.dir, 'pristine')
  nix.run('nix', ['copy', '--to', `file://${pristine}?compression=none`, b])
})
afterAll(() => nix.cleanup())

function freshLayer(name: string): string {
  const dir = join(nix.dir, name)
  cpSync(pristine, dir, { recursive: true })
  return dir
}

describe('absorbing a restored layer', () => {
  it('moves every verified path into the binary cache and reports what it holds', async () => {
    const layer = freshLayer('layer-ok')
    const cache = join(nix.dir, 'cache-ok')
    const r = await absorbLayer(layer, cache, '/nix/store')
    expect(r.corrupt).toEqual([])
    expect(r.paths.map((p) => p.hash).sort()).toEqual([hashPart(a), hashPart(b)].sort())
    expect(r.paths.find((p) => p.hash === hashPart(b))?.references).toEqual([hashPart(a)])
    expect(existsSync(join(cache, `${hashPart(b)}.narinfo`))).toBe(true)
    expect(statSync(narOf(cache, b)).size).toBe(r.paths.find((p) => p.hash === hashPart(b))?.narSize)
    expect(existsSync(layer)).toBe(false)
  })

  it.each([
    ['a flipped byte', (nar: string) => {
      const bytes = readFileSync(nar)
      bytes[bytes.length - 20] ^= 1
      writeFileSync(nar, bytes)
    }, /NAR hash mismatch/],
    ['a truncated NAR', (nar: string) => truncateSync(nar, 100), /NAR is 100 bytes, narinfo says/],
    ['a missing NAR', (nar: string) => rmSync(nar), /NAR missing/]
  ])('drops a path with %s, and only that path', async (what, damage, reason) => {
    const layer = freshLayer(`layer-${what.replace(/ /g, '-')}`)
    damage(narOf(layer, b))
    const cache = join(nix.dir, `cache-${what.replace(/ /g, '-')}`)
    const r = await absorbLayer(layer, cache, '/nix/store')
    expect(r.paths.map((p) => p.hash)).toEqual([hashPart(a)])
    expect(r.corrupt).toHaveLength(1)
    expect(r.corrupt[0]).toMatch(reason)
    expect(existsSync(join(cache, `${hashPart(b)}.narinfo`))).toBe(false)
  })

  it('drops an unreadable narinfo, or one for a compression it cannot check', async () => {
    const layer = freshLayer('layer-bad-narinfo')
    writeFileSync(join(layer, `${hashPart(a)}.narinfo`), 'StorePath: nonsense\n')
    const infoB = join(layer, `${hashPart(b)}.narinfo`)
    writeFileSync(infoB, readFileSync(infoB, 'utf8').replace('Compression: none', 'Compression: xz'))
    const r = await absorbLayer(layer, join(nix.dir, 'cache-bad-narinfo'), '/nix/store')
    expect(r.paths).toEqual([])
    expect(r.corrupt.join('\n')).toMatch(/corrupt narinfo|not in \/nix\/store/)
    expect(r.corrupt.join('\n')).toMatch(/unexpected compression xz/)
  })
})

describe('a layer where paths with identical contents share one NAR', () => {
  const TWINS = `
let
  mk = name: script: derivation { inherit name; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" script ]; };
in { one = mk "twin-one" "echo same > $out"; two = mk "twin-two" "echo same > $out"; }
`
  it('restores both paths, whatever order the narinfos are read in', async () => {
    const one = nix.build(TWINS, 'one')
    const two = nix.build(TWINS, 'two')
    const store = { realStoreDir: join(nix.dir, 'store/nix/store') }
    const infos = pathInfoList<{ path: string; narHash: string; narSize: number; references: string[] }>(nix.run('nix', ['path-info', '--json', one, two]))
    const written = await writeLayer({
      dir: join(nix.dir, 'twin-layer'),
      storeDir: '/nix/store',
      realStoreDir: store.realStoreDir,
      fresh: infos.map((i) => ({ ...i, signatures: [], ultimate: true })),
      copy: [],
      from: join(nix.dir, 'unused'),
      parallelism: 2
    })
    expect(written.outcome.failed).toEqual([])
    expect(readdirSync(join(nix.dir, 'twin-layer', 'nar'))).toHaveLength(1)
    const cache = join(nix.dir, 'twin-cache')
    const r = await absorbLayer(join(nix.dir, 'twin-layer'), cache, '/nix/store')
    expect(r.corrupt).toEqual([])
    expect(r.paths.map((p) => p.hash).sort()).toEqual([hashPart(one), hashPart(two)].sort())
    expect(narOf(cache, one)).toBe(narOf(cache, two))
    expect(existsSync(narOf(cache, one))).toBe(true)
  })

  it('judges each narinfo against the shared NAR: a lying one is dropped, its twin kept', async () => {
    const one = nix.build(TWINS, 'one')
    const two = nix.build(TWINS, 'two')
    const layer = join(nix.dir, 'twin-layer-lie')
    nix.run('nix', ['copy', '--to', `file://${layer}?compression=none`, one, two])
    // nix copy names NARs by FileHash, which is the NarHash for uncompressed NARs: also shared.
    expect(readdirSync(join(layer, 'nar'))).toHaveLength(1)
    const infoTwo = join(layer, `${hashPart(two)}.narinfo`)
    writeFileSync(infoTwo, readFileSync(infoTwo, 'utf8').replace(/NarSize: \d+/, 'NarSize: 7'))
    const r = await absorbLayer(layer, join(nix.dir, 'twin-cache-lie'), '/nix/store')
    expect(r.paths.map((p) => p.hash)).toEqual([hashPart(one)])
    expect(r.corrupt).toEqual([expect.stringMatching(/twin-two: NAR is \d+ bytes, narinfo says 7/)])
  })
})

describe('an odd narinfo in a layer', () => {
  it('drops one whose URL leaves the layer, and touches nothing outside it', async () => {
    const layer = freshLayer('layer-escape')
    const outside = join(nix.dir, 'outside.nar')
    writeFileSync(outside, 'not a NAR of this layer')
    const infoB = join(layer, `${hashPart(b)}.narinfo`)
    writeFileSync(infoB, readFileSync(infoB, 'utf8').replace(/^URL: .*$/m, 'URL: ../outside.nar'))
    const r = await absorbLayer(layer, join(nix.dir, 'cache-escape'), '/nix/store')
    expect(r.paths.map((p) => p.hash)).toEqual([hashPart(a)])
    expect(r.corrupt).toEqual([expect.stringMatching(/unexpected NAR location \.\.\/outside\.nar/)])
    expect(readFileSync(outside, 'utf8')).toBe('not a NAR of this layer')
  })
})

describe('writing a compacted layer', () => {
  it('hard-links held paths, and names the content the same whatever the order', async () => {
    const cache = join(nix.dir, 'cache-for-copy')
    await absorbLayer(freshLayer('layer-for-copy'), cache, '/nix/store')
    const write = (dir: string, copy: string[]) =>
      writeLayer({ dir: join(nix.dir, dir), storeDir: '/nix/store', realStoreDir: '/unused', fresh: [], copy, from: cache, parallelism: 2 })
    const one = await write('out-1', [hashPart(a), hashPart(b)])
    const two = await write('out-2', [hashPart(b), hashPart(a)])
    const onlyA = await write('out-3', [hashPart(a)])
    expect(one.contentHash).toBe(two.contentHash)
    expect(onlyA.contentHash).not.toBe(one.contentHash)
    expect(one.paths.map((p) => p.hash).sort()).toEqual([hashPart(a), hashPart(b)].sort())
    expect(statSync(narOf(join(nix.dir, 'out-1'), b)).ino).toBe(statSync(narOf(cache, b)).ino)
    expect(readdirSync(join(nix.dir, 'out-3')).sort()).toEqual(['nar', LAYER_FORMAT_FILE, 'nix-cache-info', `${hashPart(a)}.narinfo`].sort())
  })

  it('names its format in the layer, and a layer without the name (before 1.0.0) is read all the same', async () => {
    const cache = join(nix.dir, 'cache-for-format')
    await absorbLayer(freshLayer('layer-for-format'), cache, '/nix/store')
    const dir = join(nix.dir, 'out-format')
    await writeLayer({ dir, storeDir: '/nix/store', realStoreDir: '/unused', fresh: [], copy: [hashPart(a), hashPart(b)], from: cache, parallelism: 2 })
    expect(JSON.parse(readFileSync(join(dir, LAYER_FORMAT_FILE), 'utf8'))).toEqual({ format: LAYER_FORMAT })
    rmSync(join(dir, LAYER_FORMAT_FILE))
    const r = await absorbLayer(dir, join(nix.dir, 'cache-from-old-layer'), '/nix/store')
    expect(r.corrupt).toEqual([])
    expect(r.paths.map((p) => p.hash).sort()).toEqual([hashPart(a), hashPart(b)].sort())
  })
})
