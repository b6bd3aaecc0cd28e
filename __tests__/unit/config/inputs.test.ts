import { describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { InputError, parseCache, parseInputs, secretsOf } from '../../../src/config/inputs.js'

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
    expect(i.cache).toEqual({ kind: 'file', url: 'file:///tmp/cache', dir: '/tmp/cache', plain: true })
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
    expect(errorOf({ 'max-size': '0' }).input).toBe('max-size')
    expect(errorOf({ 'max-size': '12X' }).message).toMatch(/^Input 'max-size': expected a size such as 4G, 500M or 1.5GiB/)
    expect(errorOf({ 'key-prefix': 'has,comma' }).input).toBe('key-prefix')
    expect(errorOf({ 'key-prefix': 'has space' }).input).toBe('key-prefix')
    expect(errorOf({ cache: 's3://bucket/prefix' }).message).toMatch(/^Input 'cache': .*no key prefix.*expected s3:\/\/bucket\?region=/)
    expect(errorOf({ cache: 'nonsense' }).message).toMatch(/'cache'.*expected github-actions, file:/)
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

  it('reads an s3:// cache as Nix writes it, keeping the URI for the substituter', () => {
    const uri = 's3://nix-cache?region=eu-west-1&endpoint=minio.lan:9000&scheme=http&profile=ci'
    expect(parse({ cache: uri }).cache).toEqual({
      kind: 's3',
      url: uri,
      s3: { bucket: 'nix-cache', region: 'eu-west-1', endpoint: 'http://minio.lan:9000', profile: 'ci', forcePathStyle: true }
    })
  })

  it("uses an s3:// URI's compression= unless the compression input is set", () => {
    // The runner passes '' for an input the workflow leaves out (action.yml's default is empty).
    expect(parse({ cache: 's3://b?compression=xz', compression: '' }).compression).toBe('xz')
    expect(parse({ cache: 's3://b?compression=xz', compression: 'none' }).compression).toBe('none')
    expect(parse({ cache: 's3://b', compression: '' }).compression).toBe('zstd')
    expect(parse({ cache: 'file:///tmp/c', compression: '' }).compression).toBe('zstd')
    const e = errorOf({ cache: 's3://b?compression=bzip2', compression: '' })
    expect(e.input).toBe('cache')
    expect(e.message).toMatch(/compression=bzip2 in the URI/)
    // An explicit input makes the URI's value irrelevant.
    expect(parse({ cache: 's3://b?compression=bzip2', compression: 'zstd' }).compression).toBe('zstd')
  })

  it('accepts github-actions, with a key prefix and a size budget', () => {
    expect(parseCache('github-actions')).toEqual({ kind: 'github-actions', url: 'github-actions' })
    const i = parse({ cache: 'github-actions' })
    expect(i.keyPrefix).toBe('nix-buildtime-cache')
    expect(i.maxSize).toBe(4 * 2 ** 30)
    const custom = parse({ cache: 'github-actions', 'key-prefix': 'docs-job', 'max-size': '1.5GiB' })
    expect(custom.keyPrefix).toBe('docs-job')
    expect(custom.maxSize).toBe(1.5 * 2 ** 30)
    expect(parse({ 'max-size': '500M' }).maxSize).toBe(500 * 2 ** 20)
    expect(parse({ 'max-size': '123456' }).maxSize).toBe(123456)
  })

  it('serves the on-demand cache on a stable port that an input changes', () => {
    // Not magic-nix-cache's 37515, and outside Linux's ephemeral range (32768-60999).
    expect(parse({ cache: 'github-actions' }).substituterPort).toBe(29427)
    expect(parse({ cache: 'github-actions', 'substituter-port': '40000' }).substituterPort).toBe(40000)
    expect(errorOf({ 'substituter-port': '70000' }).message).toBe("Input 'substituter-port': expected a TCP port from 1 to 65535, got '70000'")
    expect(errorOf({ 'substituter-port': 'http' }).input).toBe('substituter-port')
  })

  it('splits an auth header into name and value', () => {
    expect(parse({ 'auth-header': 'Authorization: Bearer abc' }).authHeader).toEqual({ name: 'Authorization', value: 'Bearer abc' })
  })
})

describe('cache URIs Nix would refuse or read elsewhere', () => {
  const PK = `test-1:${'A'.repeat(43)}=`
  it.each([
    ['ftp://host/cache', /no store type for ftp:\/\/ \(did you mean https, or file/],
    ['htps://cache.example.org', /no store type for htps:\/\/ \(did you mean https\?\)/],
    ['sftp://host/cache', /no store type for sftp:\/\/ \(did you mean ssh or ssh-ng\?\)/],
    ['ssh-ng://', /ssh-ng:\/\/ needs a host/],
    ['ssh-ng://user@', /ssh-ng:\/\/ needs a host/],
    ['file:///tmp/a\nhttps://b', /one store URI on one line/],
    ['https://cache.example.org/#frag', /#fragment/],
    ['https://cache.example.org?regoin=eu', /no setting 'regoin' for http\(s\) stores/],
    ['s3://bucket?region=eu-west-1&endpont=x', /no setting 'endpont' for s3 stores/],
    ['file:///tmp/100%', /'%' that starts no %XX escape; write a literal '%' as %25/],
    ['file://host/tmp/c', /absolute directory/],
    ['ssh-ng://host?ssh-kye=/k', /no setting 'ssh-kye'/]
  ])('refuses %j naming the cache input', (cache, message) => {
    const e = errorOf({ cache })
    expect(e.input).toBe('cache')
    expect(e.message).toMatch(message)
  })

  it('keeps every parameter Nix accepts for the store type', () => {
    expect(parseCache('s3://b?region=eu-west-1&endpoint=minio:9000&profile=p&scheme=http&compression=xz').kind).toBe('s3')
    expect(parseCache('https://c.example.org?priority=30&want-mass-query=true&trusted=1&compression=zstd').kind).toBe('http')
    expect(parseCache('ssh-ng://u@host?ssh-key=/k&remote-program=/bin/nix-daemon&compress=true').kind).toBe('nix-copy')
    expect(parseCache('local?root=/tmp/r&require-sigs=false').kind).toBe('nix-copy')
    expect(parseCache('unix:///run/nix/socket?max-connections=2').kind).toBe('nix-copy')
    expect(parseCache('file:///tmp/c?compression=none&parallel-compression=true').kind).toBe('file')
  })

  it('decodes percent-encoded file paths, and marks the ones Nix versions read differently', () => {
    expect(parseCache('file:///tmp/my%20cache')).toMatchObject({ dir: '/tmp/my cache', plain: false })
    expect(parseCache('file:///tmp/cach%C3%A9')).toMatchObject({ dir: '/tmp/caché', plain: false })
    expect(parseCache('file:///tmp/100%25')).toMatchObject({ dir: '/tmp/100%', plain: false })
    expect(parseCache('file:///tmp/a+b')).toMatchObject({ dir: '/tmp/a+b', url: 'file:///tmp/a+b', plain: true })
  })

  it('honours compression= of file:// and http(s):// URIs as Nix does', () => {
    expect(parse({ cache: 'file:///tmp/c?compression=xz', compression: '' }).compression).toBe('xz')
    expect(parse({ cache: 'https://c.example.org?compression=none', compression: '' }).compression).toBe('none')
    // The input still wins.
    expect(parse({ cache: 'file:///tmp/c?compression=xz', compression: 'zstd' }).compression).toBe('zstd')
    expect(errorOf({ cache: 'file:///tmp/c?compression=br', compression: '' }).message).toMatch(/compression=br in the URI/)
  })

  it('validates public keys as Nix parses trusted-public-keys', () => {
    expect(parse({ 'public-keys': `${PK}\n other-2:${'B'.repeat(43)}=` }).publicKeys).toHaveLength(2)
    // Invalid base64 characters that Buffer.from would skip, still decoding to 32 bytes.
    expect(errorOf({ 'public-keys': `test-1:${'A'.repeat(42)}!!A=` }).input).toBe('public-keys')
    // Text after the padding.
    expect(errorOf({ 'public-keys': `${PK}junk` }).input).toBe('public-keys')
    // Comma-joined keys.
    expect(errorOf({ 'public-keys': `${PK},other-2:${'B'.repeat(43)}=` }).message).toMatch(/not commas/)
    expect(errorOf({ 'public-keys': `:${'A'.repeat(43)}=` }).input).toBe('public-keys')
  })

  it('refuses CR or LF in auth-header without echoing the value', () => {
    const e = errorOf({ 'auth-header': 'Authorization: Bearer s3cr3t\r\nX-Evil: 1' })
    expect(e.input).toBe('auth-header')
    expect(e.message).not.toMatch(/s3cr3t|Evil/)
  })
})

describe('secretsOf', () => {
  it('names the same secrets for the steps’ raw inputs and the agent’s parsed ones, the cache URL’s password included', () => {
    const secretKey = key().trim()
    const given: Record<string, string> = {
      ...defaults,
      cache: 'https://ci:p%40ss@cache.example.org/nix',
      'secret-key': secretKey,
      'auth-header': 'Authorization: Bearer tok'
    }
    const raw = (n: string): string => given[n] ?? ''
    const fromRaw = secretsOf(raw)
    expect(new Set(secretsOf(parseInputs(raw)))).toEqual(new Set(fromRaw))
    for (const s of [secretKey, secretKey.slice(secretKey.indexOf(':') + 1), 'Authorization: Bearer tok', 'Bearer tok', 'ci:p%40ss', 'p%40ss', 'p@ss']) {
      expect(fromRaw).toContain(s)
    }
  })

  it('names nothing for inputs without secrets', () => {
    expect(secretsOf(parse({}))).toEqual([])
  })
})

describe('an Attic cache and the auth-token input', () => {
  it('splits attic+https://HOST/PREFIX/CACHE into the API endpoint and the cache (the last segment)', () => {
    expect(parseCache('attic+https://attic.example.org/ci')).toEqual({ kind: 'attic', url: 'attic+https://attic.example.org/ci', endpoint: 'https://attic.example.org/', cacheName: 'ci' })
    expect(parseCache('attic+http://10.0.0.5:8080/attic/team-cache')).toMatchObject({ endpoint: 'http://10.0.0.5:8080/attic/', cacheName: 'team-cache' })
  })

  it.each([
    ['attic+https://attic.example.org', /names no cache/],
    ['attic+https://attic.example.org/-bad', /cache name Attic refuses/],
    ['attic+https://user:pw@attic.example.org/ci', /auth-token input/],
    ['attic+ftp://attic.example.org/ci', /attic\+https:\/\/ or attic\+http:\/\//],
    ['attic+https://attic.example.org/ci?priority=1', /no \?parameters/]
  ])('refuses %s naming the cache input', (value, why) => {
    expect(() => parseCache(value)).toThrow(InputError)
    expect(() => parseCache(value)).toThrow(why)
    expect(() => parseCache(value)).not.toThrow(/pw/)
  })

  it('reads the token, trimmed, and names it as a secret in raw and parsed form', () => {
    const raw = (n: string): string => ({ cache: 'attic+https://a.example.org/ci', 'auth-token': '  eyJhbGciOi.tok.sig\n' })[n] ?? defaults[n] ?? ''
    expect(parseInputs(raw).authToken).toBe('eyJhbGciOi.tok.sig')
    expect(secretsOf(raw)).toContain('eyJhbGciOi.tok.sig')
    expect(secretsOf(parseInputs(raw))).toContain('eyJhbGciOi.tok.sig')
  })

  it('refuses a token with spaces inside without echoing it', () => {
    const e = errorOf({ 'auth-token': 'Bearer secret-abc' })
    expect(e.input).toBe('auth-token')
    expect(e.message).not.toContain('secret-abc')
  })

  it('has no token when none is given', () => {
    expect(parse({}).authToken).toBeUndefined()
  })
})

describe('a Cachix cache', () => {
  it('is cachix://NAME on the hosted service, or cachix+https://HOST/NAME', () => {
    expect(parseCache('cachix://my-team')).toEqual({ kind: 'cachix', url: 'cachix://my-team', apiBase: 'https://cachix.org/api/v1/', cacheName: 'my-team' })
    expect(parseCache('cachix+http://10.0.0.5:8080/team')).toMatchObject({ kind: 'cachix', apiBase: 'http://10.0.0.5:8080/api/v1/', cacheName: 'team' })
  })

  it.each([
    ['cachix://', /no valid cache name/],
    ['cachix+https://host/a/b', /one path segment/],
    ['cachix+https://u:secretpw@host/a', /auth-token input/],
    ['cachix+ftp://host/a', /cachix:\/\/name/]
  ])('refuses %s naming the cache input', (value, why) => {
    expect(() => parseCache(value)).toThrow(InputError)
    expect(() => parseCache(value)).toThrow(why)
    expect(() => parseCache(value)).not.toThrow(/secretpw/)
  })
})

describe('a niks3 server', () => {
  it('is niks3+https://HOST, its API endpoint, with a path prefix if it has one', () => {
    expect(parseCache('niks3+https://niks3.example.org')).toEqual({ kind: 'niks3', url: 'niks3+https://niks3.example.org', endpoint: 'https://niks3.example.org/' })
    expect(parseCache('niks3+http://10.0.0.5:5751/niks3/')).toMatchObject({ kind: 'niks3', endpoint: 'http://10.0.0.5:5751/niks3/' })
  })

  it.each([
    ['niks3+ftp://host', /niks3\+https:\/\/ or niks3\+http:\/\//],
    ['niks3+https://u:secretpw@host', /auth-token input/],
    ['niks3+https://host?x=1', /no \?parameters/]
  ])('refuses %s naming the cache input', (value, why) => {
    expect(() => parseCache(value)).toThrow(InputError)
    expect(() => parseCache(value)).toThrow(why)
    expect(() => parseCache(value)).not.toThrow(/secretpw/)
  })
})
