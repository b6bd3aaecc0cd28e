import { describe, expect, it } from '@jest/globals'
import { parseNetrc } from '../../../src/config/netrc.js'
import { mergeNetrc, renderNetrc } from '../../../src/pull/credentials.js'
import { displayUrl, urlCredentials, urlSecrets, withoutCredentials } from '../../../src/config/url-credentials.js'
import { withNetrcSetting } from '../../../src/pull/daemon-credentials.js'
import { managedBlock, trustLines, withManagedBlock } from '../../../src/pull/system-config.js'
import { parseCache } from '../../../src/config/inputs.js'

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

  it('are not echoed by the error for a URL that does not parse', () => {
    expect(() => parseCache('https://ci:hunter2@host:notaport/')).toThrow(/https:\/\/host:notaport/)
    try {
      parseCache('https://ci:hunter2@host:notaport/')
    } catch (e) {
      expect((e as Error).message).not.toContain('hunter2')
    }
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

describe("the daemon's netrc-file line in the managed block", () => {
  it('is set and removed without touching the trust lines, and the trust lines keep it', () => {
    let conf = withManagedBlock('trusted-users = root\n', trustLines([], 'https://cache', ['k:1']))
    conf = withManagedBlock(conf, withNetrcSetting(managedBlock(conf), '/etc/nix/nix-buildtime-cache.netrc'))
    conf = withManagedBlock(conf, trustLines(managedBlock(conf), 'https://other', []))
    expect(managedBlock(conf)).toEqual([
      'extra-trusted-substituters = https://cache https://other',
      'extra-trusted-public-keys = k:1',
      'netrc-file = /etc/nix/nix-buildtime-cache.netrc'
    ])
    conf = withManagedBlock(conf, withNetrcSetting(managedBlock(conf), undefined))
    expect(conf).not.toContain('netrc-file')
    expect(conf).toContain('extra-trusted-substituters = https://cache https://other')
  })
})
