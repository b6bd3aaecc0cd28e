import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fingerprint, generateSecretKey, parseSecretKey, verifySignature } from '../../../src/format/signing.js'
import { withSignatures } from '../../../src/format/narinfo-signature.js'
import { formatNix32Hash, parseHash } from '../../../src/format/nix32.js'
import { SAMPLE_EXPRESSION, throwawayNix, type ThrowawayNix } from '../../helpers/throwaway-nix.js'
import { pathInfoList } from '../../helpers/nix-store.js'

interface PathInfo {
  path: string
  narHash: string
  narSize: number
  references: string[]
}

let nix: ThrowawayNix
let secretKey: string
let publicKey: string
/** Store path → the Sig: value Nix wrote into the binary cache. */
const nixSigs = new Map<string, string>()
/** Store path → the narinfo nix copy wrote, signed by test-1. */
const nixNarInfos = new Map<string, string>()
let infos: PathInfo[]

beforeAll(() => {
  nix = throwawayNix()
  const sk = join(nix.dir, 'sk')
  const pk = join(nix.dir, 'pk')
  nix.run('nix-store', ['--generate-binary-cache-key', 'test-1', sk, pk])
  secretKey = readFileSync(sk, 'utf8')
  publicKey = readFileSync(pk, 'utf8')

  const top = nix.build(SAMPLE_EXPRESSION, 'b')
  const cache = join(nix.dir, 'cache')
  nix.run('nix', ['copy', '--to', `file://${cache}?secret-key=${sk}&compression=none`, top])
  for (const file of readdirSync(cache).filter((f) => f.endsWith('.narinfo'))) {
    const text = readFileSync(join(cache, file), 'utf8')
    const storePath = /^StorePath: (.*)$/m.exec(text)?.[1]
    const sig = /^Sig: (.*)$/m.exec(text)?.[1]
    if (storePath && sig) nixSigs.set(storePath, sig)
    if (storePath) nixNarInfos.set(storePath, text)
  }
  infos = pathInfoList<PathInfo>(nix.run('nix', ['path-info', '--json', '--recursive', top]))
})

afterAll(() => nix?.cleanup())

describe('signing store paths as Nix does', () => {
  it('covers a path with references and one without', () => {
    expect(infos).toHaveLength(2)
    expect(infos.some((i) => i.references.length === 0)).toBe(true)
    expect(infos.some((i) => i.references.length > 0)).toBe(true)
    expect(nixSigs.size).toBe(2)
  })

  it('derives the same public key nix-store --generate-binary-cache-key wrote', () => {
    expect(parseSecretKey(secretKey).publicKey).toBe(publicKey)
    expect(parseSecretKey(secretKey).name).toBe('test-1')
  })

  it('produces exactly the Sig: line nix copy wrote', () => {
    const key = parseSecretKey(secretKey)
    for (const info of infos) {
      const fp = fingerprint(info.path, formatNix32Hash(parseHash(info.narHash)), info.narSize, info.references)
      expect(key.sign(fp)).toBe(nixSigs.get(info.path))
    }
  })

  it('verifies Nix signatures and rejects tampered data or foreign names', () => {
    for (const info of infos) {
      const sig = nixSigs.get(info.path) ?? ''
      const fp = fingerprint(info.path, info.narHash, info.narSize, info.references)
      expect(verifySignature(publicKey, fp, sig)).toBe(true)
      expect(verifySignature(publicKey, fp.replace(`;${info.narSize};`, `;${info.narSize + 1};`), sig)).toBe(false)
      expect(verifySignature(publicKey, fp, sig.replace(/^test-1:/, 'other-1:'))).toBe(false)
      expect(verifySignature(publicKey, fp, 'test-1:not-base64!')).toBe(false)
    }
  })
})

describe('keys made by the action, and narinfos it signs', () => {
  it('generates a key whose public half checks its own signatures, and a fresh one each time', () => {
    const key = parseSecretKey(generateSecretKey('job-1'))
    expect(key.name).toBe('job-1')
    expect(key.publicKey).toMatch(/^job-1:[A-Za-z0-9+/]{43}=$/)
    expect(verifySignature(key.publicKey, 'data', key.sign('data'))).toBe(true)
    expect(parseSecretKey(generateSecretKey('job-1')).publicKey).not.toBe(key.publicKey)
    expect(() => generateSecretKey('a:b')).toThrow(/name/)
  })

  it('signs a narinfo exactly as nix copy signed it, from the narinfo alone', () => {
    const key = parseSecretKey(secretKey)
    for (const [path, text] of nixNarInfos) {
      const unsigned = text.replace(/^Sig: .*\n/m, '')
      expect(unsigned).not.toMatch(/^Sig:/m)
      expect(/^Sig: (.*)$/m.exec(withSignatures(unsigned, '/nix/store', [key]))?.[1]).toBe(nixSigs.get(path))
    }
  })

  it("keeps the cache's own signatures, adds one per key, and replaces rather than repeats its own", () => {
    const job = parseSecretKey(generateSecretKey('job-1'))
    const machine = parseSecretKey(generateSecretKey('machine-1'))
    const [path, text] = [...nixNarInfos][0]!
    const once = withSignatures(text, '/nix/store', [job, machine])
    const twice = withSignatures(once, '/nix/store', [job, machine])
    const sigs = (t: string): string[] => [...t.matchAll(/^Sig: (.*)$/gm)].map((m) => m[1]!)
    expect(sigs(twice)).toEqual(sigs(once))
    expect(sigs(once).map((s) => s.split(':')[0])).toEqual(['test-1', 'job-1', 'machine-1'])
    expect(sigs(once)[0]).toBe(nixSigs.get(path))
    const info = infos.find((i) => i.path === path)!
    const fp = fingerprint(info.path, info.narHash, info.narSize, info.references)
    expect(verifySignature(job.publicKey, fp, sigs(once)[1]!)).toBe(true)
    expect(verifySignature(machine.publicKey, fp, sigs(once)[2]!)).toBe(true)
  })
})

describe('fingerprint', () => {
  const hash = 'sha256:1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s'

  it('sorts and de-duplicates references itself', () => {
    const refs = ['/nix/store/zzzz-z', '/nix/store/aaaa-a', '/nix/store/mmmm-m', '/nix/store/aaaa-a']
    expect(fingerprint('/nix/store/pppp-p', hash, 42, refs)).toBe(
      `1;/nix/store/pppp-p;${hash};42;/nix/store/aaaa-a,/nix/store/mmmm-m,/nix/store/zzzz-z`
    )
  })

  it('ends with an empty reference list when there are none', () => {
    expect(fingerprint('/nix/store/pppp-p', hash, 1, [])).toBe(`1;/nix/store/pppp-p;${hash};1;`)
  })
})

describe('parseSecretKey', () => {
  it('ignores surrounding whitespace such as a trailing newline from a secret', () => {
    expect(parseSecretKey(`\n  ${secretKey}\n`).publicKey).toBe(publicKey)
  })

  it('rejects malformed keys without revealing the key material', () => {
    const material = secretKey.slice(secretKey.indexOf(':') + 1)
    const bytes = Buffer.from(material, 'base64')
    const flipped = Buffer.from(bytes)
    flipped[40] ^= 1
    const cases = [
      material, // no name
      `:${material}`, // empty name
      `a:b:${material}`, // two names
      `test-1:${bytes.subarray(0, 32).toString('base64')}`, // only a seed
      `test-1:${material.slice(0, -4)}`, // truncated
      `test-1:${material.replace(/.$/, '!')}`, // not base64
      `test-1:${flipped.toString('base64')}`, // public half does not match the seed
      publicKey // a public key by mistake
    ]
    for (const bad of cases) {
      let message = ''
      try {
        parseSecretKey(bad)
      } catch (e) {
        message = (e as Error).message
      }
      expect(message).not.toBe('')
      const secretPart = bad.slice(bad.lastIndexOf(':') + 1)
      expect(message).not.toContain(secretPart.slice(0, 8))
      expect(message).not.toContain(material.slice(0, 8))
    }
  })
})
