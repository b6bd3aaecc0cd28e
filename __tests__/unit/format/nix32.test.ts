import { describe, it, expect } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { formatNix32Hash, fromNix32, parseHash, toNix32 } from '../../../src/format/nix32.js'

/** Output of Nix 2.8 `nix-hash --type sha256 --to-base32 <hex>`. */
const SHA256_VECTORS: [string, string][] = [
  ['0000000000000000000000000000000000000000000000000000000000000000', '0000000000000000000000000000000000000000000000000000'],
  ['0000000000000000000000000000000000000000000000000000000000000001', '0080000000000000000000000000000000000000000000000000'],
  ['0100000000000000000000000000000000000000000000000000000000000000', '0000000000000000000000000000000000000000000000000001'],
  ['ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff', '1zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz'],
  ['e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', '0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73'],
  ['ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', '1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s'],
  ['0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', '1vydmf4nfi9307pwvaw9cx2j60ggrnmqjrs54c0yzkdbi5kla8q1']
]

/** Other digest sizes, from `nix-hash --type md5|sha1|sha512 --to-base32` of the empty-string digests. */
const OTHER_SIZE_VECTORS: [string, string][] = [
  ['d41d8cd98f00b204e9800998ecf8427e', '3y8bwfr609h3lh9ch0izcqq7fl'],
  ['da39a3ee5e6b4b0d3255bfef95601890afd80709', '143xibwh31h9bvxzalr0sjvbbvpa6ffs'],
  [
    'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e',
    '0zdl9zrg8r3i9c1g90lgg9ip5ijzv3yhz91i0zzn3r8ap9ws784gkp9dk9j3aglhgf1amqb0pj21mh7h1nxcl18akqvvf7ggqsy30yg'
  ]
]

const nixEnv = { ...process.env, NIX_CONFIG: 'experimental-features = nix-command\nsubstituters =' }
const nix = (args: string[]): string[] => execFileSync(args[0], args.slice(1), { env: nixEnv }).toString().trim().split('\n')

describe('toNix32', () => {
  it.each(SHA256_VECTORS)('encodes sha256 %s as Nix does', (hex, expected) => {
    expect(toNix32(Buffer.from(hex, 'hex'))).toBe(expected)
  })

  it.each(OTHER_SIZE_VECTORS)('encodes the non-sha256 digest %s as Nix does', (hex, expected) => {
    expect(toNix32(Buffer.from(hex, 'hex'))).toBe(expected)
  })

  it('agrees with the installed nix-hash on random digests', () => {
    const hashes = Array.from({ length: 32 }, () => randomBytes(32).toString('hex'))
    const fromNix = nix(['nix-hash', '--type', 'sha256', '--to-base32', ...hashes])
    expect(hashes.map((h) => toNix32(Buffer.from(h, 'hex')))).toEqual(fromNix)
  })

  it('encodes nothing as the empty string', () => {
    expect(toNix32(new Uint8Array(0))).toBe('')
  })
})

describe('fromNix32', () => {
  it.each([...SHA256_VECTORS, ...OTHER_SIZE_VECTORS])('decodes %s back from Nix output', (hex, encoded) => {
    expect(fromNix32(encoded).toString('hex')).toBe(hex)
  })

  it('agrees with nix-hash --to-base16 on random strings Nix produced', () => {
    const hashes = Array.from({ length: 16 }, () => randomBytes(32).toString('hex'))
    const nix32 = nix(['nix-hash', '--type', 'sha256', '--to-base32', ...hashes])
    const back = nix(['nix-hash', '--type', 'sha256', '--to-base16', ...nix32])
    expect(nix32.map((s) => fromNix32(s).toString('hex'))).toEqual(back)
  })

  it('rejects characters outside the alphabet', () => {
    for (const bad of ['e', 'o', 'u', 't', 'A', '-']) {
      expect(() => fromNix32(`${bad}${'0'.repeat(51)}`)).toThrow(/invalid character/)
    }
  })

  it('rejects lengths no digest encodes to', () => {
    expect(() => fromNix32('')).toThrow(/length/)
    expect(() => fromNix32('0')).toThrow(/length/)
    expect(() => fromNix32('0'.repeat(51))).toThrow(/length/)
  })

  it('rejects set bits beyond the digest, as Nix does', () => {
    // 256 bits need 52 digits of which the first carries only one bit; '2' sets a second.
    expect(() => fromNix32(`2${'0'.repeat(51)}`)).toThrow(/beyond/)
    expect(fromNix32(`1${'0'.repeat(51)}`)[31]).toBe(0x80)
  })
})

describe('parseHash', () => {
  const digest = createHash('sha256').update('parse me').digest()
  const hex = digest.toString('hex')

  it('accepts every spelling real Nix prints for the same hash', () => {
    const [nix32] = nix(['nix', 'hash', 'to-base32', '--type', 'sha256', hex])
    const [base64] = nix(['nix', 'hash', 'to-base64', '--type', 'sha256', hex])
    const [sri] = nix(['nix', 'hash', 'to-sri', '--type', 'sha256', hex])
    expect(sri.startsWith('sha256-')).toBe(true)
    for (const form of [`sha256:${hex}`, `sha256:${hex.toUpperCase()}`, `sha256:${nix32}`, `sha256:${base64}`, sri]) {
      expect(parseHash(form).equals(digest)).toBe(true)
    }
  })

  it('rejects other algorithms, missing prefixes and malformed digests', () => {
    for (const bad of [
      hex,
      `md5:${hex}`,
      `sha512:${hex}`,
      `sha256:${hex.slice(1)}`,
      `sha256:${'g'.repeat(64)}`,
      `sha256:${'e'.repeat(52)}`,
      `sha256-${digest.toString('base64').slice(1)}`,
      `sha256-${'!'.repeat(43)}=`,
      'sha256:'
    ]) {
      expect(() => parseHash(bad)).toThrow()
    }
  })
})

describe('formatNix32Hash', () => {
  it('produces the narinfo spelling Nix uses', () => {
    const [hex, encoded] = SHA256_VECTORS[4]
    expect(formatNix32Hash(Buffer.from(hex, 'hex'))).toBe(`sha256:${encoded}`)
  })

  it('refuses digests that are not sha256-sized', () => {
    expect(() => formatNix32Hash(new Uint8Array(20))).toThrow(/32-byte/)
  })
})
