import { describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { InputError, parseCache, parseInputs } from '../src/inputs.js'

function key(): string {
  const dir = mkdtempSync(join(tmpdir(), 'key-'))
  execFileSync('nix-store', ['--generate-binary-cache-key', 'test-1', join(dir, 'sk'), join(dir, 'pk')])
  const sk = readFileSync(join(dir, 'sk'), 'utf8')
  rmSync(dir, { recursive: true })
  return sk
}

const defaults: Record<string, string> = {
  cache: 'file:///tmp/cache',
  'skip-signed-by': 'cache.nixos.org-1',
  compression: 'zstd',
  parallelism: '8',
  'include-derivations': 'false',
  'dry-run': 'false',
  pull: 'true',
  strict: 'false'
}
const parse = (over: Record<string, string>) => parseInputs((n) => (over[n] ?? defaults[n] ?? '').trim())

function errorOf(over: Record<string, string>): InputError {
  try {
    parse(over)
  } catch (e) {
    if (e instanceof InputError) return e
    throw e
  }
  throw new Error('expected an InputError')
}

describe('inputs', () => {
  it('accepts the defaults', () => {
    const i = parse({})
    expect(i.cache).toEqual({ kind: 'file', url: 'file:///tmp/cache', dir: '/tmp/cache' })
    expect(i.skipSignedBy).toEqual(['cache.nixos.org-1'])
    expect(i.compression).toBe('zstd')
    expect(i.parallelism).toBe(8)
    expect(i.pull).toBe(true)
    expect(i.secretKey).toBeUndefined()
  })

  it('classifies caches', () => {
    expect(parseCache('https://cache.example.org/x').kind).toBe('http')
    expect(parseCache('ssh-ng://builder').kind).toBe('nix-copy')
    expect(parseCache('local?root=/tmp/r').kind).toBe('nix-copy')
  })

  it('names the input and what it accepts for each bad value', () => {
    expect(errorOf({ cache: '' }).message).toMatch(/^Input 'cache': is required/)
    expect(errorOf({ cache: 'github-actions' }).message).toMatch(/'cache'.*not supported yet/)
    expect(errorOf({ cache: 's3://bucket?region=x' }).message).toMatch(/'cache'.*'s3:\/\/bucket' is not supported yet/)
    expect(errorOf({ cache: 'nonsense' }).message).toMatch(/'cache'.*expected file:/)
    expect(errorOf({ compression: 'bzip2' }).message).toBe("Input 'compression': expected zstd, xz or none, got 'bzip2'")
    expect(errorOf({ parallelism: '0' }).input).toBe('parallelism')
    expect(errorOf({ parallelism: 'lots' }).input).toBe('parallelism')
    expect(errorOf({ 'dry-run': 'yes please' }).message).toMatch(/'dry-run': expected true or false/)
    expect(errorOf({ exclude: 'ok\n(unclosed' }).message).toMatch(/'exclude'.*'\(unclosed'/)
    expect(errorOf({ 'public-keys': 'nokey' }).input).toBe('public-keys')
  })

  it('never echoes a bad secret key or auth header', () => {
    const e = errorOf({ 'secret-key': 'mykey:c2VjcmV0LXZhbHVl' })
    expect(e.input).toBe('secret-key')
    expect(e.message).not.toContain('c2VjcmV0LXZhbHVl')
    const h = errorOf({ 'auth-header': 'Bearer s3cr3t-token' })
    expect(h.input).toBe('auth-header')
    expect(h.message).not.toContain('s3cr3t')
  })

  it('parses a real Nix secret key and derives its public key', () => {
    const sk = key()
    const i = parse({ 'secret-key': sk })
    expect(i.secretKey?.name).toBe('test-1')
    expect(i.secretKey?.publicKey).toMatch(/^test-1:[A-Za-z0-9+/]{43}=$/)
  })

  it('treats an empty line or # comment in list inputs as nothing', () => {
    const i = parse({ exclude: '\n# comment\n-source$\n', installables: '.#a\n\n.#b' })
    expect(i.exclude.map(String)).toEqual(['/-source$/'])
    expect(i.installables).toEqual(['.#a', '.#b'])
  })

  it('splits an auth header into name and value', () => {
    expect(parse({ 'auth-header': 'Authorization: Bearer abc' }).authHeader).toEqual({ name: 'Authorization', value: 'Bearer abc' })
  })
})
