import { describe, expect, it } from '@jest/globals'
import { parseNetrc } from '../src/netrc.js'
import { mergeNetrc, renderNetrc } from '../src/pull-credentials.js'
import { displayUrl, urlCredentials, urlSecrets, withoutCredentials } from '../src/url-credentials.js'

describe('credentials in a cache URL', () => {
  it('are taken out of every URL that is shown or exported', () => {
    expect(withoutCredentials('https://ci:s3cr%40t@cache.example.org/nix?priority=30')).toBe('https://cache.example.org/nix?priority=30')
    expect(displayUrl('https://ci:s3cr%40t@cache.example.org/nix?priority=30')).toBe('https://cache.example.org/nix')
    expect(withoutCredentials('https://cache.example.org/a@b')).toBe('https://cache.example.org/a@b')
    expect(withoutCredentials('ssh-ng://builder@host')).toBe('ssh-ng://host')
  })

  it('are decoded for the netrc and masked both as written and decoded, even in a URL that does not parse', () => {
    expect(urlCredentials('https://ci:s3cr%40t@cache.example.org:8443/nix')).toEqual({ host: 'cache.example.org', login: 'ci', password: 's3cr@t' })
    expect(urlCredentials('https://cache.example.org')).toBeUndefined()
    expect(urlSecrets('https://ci:s3cr%40t@cache.example.org')).toEqual(['ci:s3cr%40t', 's3cr%40t', 's3cr@t'])
    expect(urlSecrets('https://ci:pw@host:notaport/')).toContain('pw')
    expect(urlSecrets('https://ci@host/')).toEqual([])
  })
})

describe('the merged netrc', () => {
  it('keeps the first entry per machine first, and one default entry last, as curl needs', () => {
    const merged = mergeNetrc(
      [{ machine: 'cache', login: 'url', password: 'from-url' }],
      parseNetrc('default login anon password x\nmachine cache login user password old\n'),
      parseNetrc('machine other login o password p\n')
    )
    expect(merged.map((e) => e.machine ?? 'default')).toEqual(['cache', 'cache', 'other', 'default'])
  })

  it('renders values with spaces and quotes so that they parse back the same', () => {
    const entries = [{ machine: 'h', login: 'a b', password: 'p"q\\r s' }, { login: 'anon' }]
    expect(parseNetrc(renderNetrc(entries))).toEqual(entries)
  })
})
