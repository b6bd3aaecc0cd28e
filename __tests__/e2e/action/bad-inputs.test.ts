import { describe, expect, it } from '@jest/globals'
import { runStep, errorLines } from '../../helpers/runner.js'
import { createTestStore } from '../../helpers/nix-store.js'

const cases: Array<[string, Record<string, string>, RegExp]> = [
  ['cache', { cache: '' }, /Input 'cache': is required/],
  ['max-size', { cache: 'github-actions', 'max-size': '4 pebibytes' }, /Input 'max-size': expected a size such as 4G/],
  ['key-prefix', { cache: 'github-actions', 'key-prefix': 'a,b' }, /Input 'key-prefix': expected at most 200 characters without commas/],
  ['cache', { cache: 's3://bucket/some/prefix?region=eu-west-1' }, /Input 'cache': Nix's s3:\/\/ stores have no key prefix/],
  ['cache', { cache: 's3://bucket?compression=lz4' }, /Input 'cache': compression=lz4 in the URI/],
  ['compression', { compression: 'gzip' }, /Input 'compression': expected zstd, xz or none, got 'gzip'/],
  ['parallelism', { parallelism: '0' }, /Input 'parallelism': expected a whole number from 1 to 64/],
  ['exclude', { exclude: '[' }, /Input 'exclude': expected JavaScript regular expressions/],
  ['secret-key', { 'secret-key': 'not-a-key' }, /Input 'secret-key': expected a Nix signing key/],
  ['dry-run', { 'dry-run': 'maybe' }, /Input 'dry-run': expected true or false/],
  ['cache', { cache: 'htps://cache.example.org' }, /Input 'cache': Nix has no store type for htps:\/\/ \(did you mean https\?\)/],
  ['cache', { cache: 'ftp://host/cache' }, /Input 'cache': Nix has no store type for ftp:\/\//],
  ['cache', { cache: 'sftp://host/cache' }, /Input 'cache': Nix has no store type for sftp:\/\//],
  ['cache', { cache: 'ssh-ng://' }, /Input 'cache': ssh-ng:\/\/ needs a host/],
  ['cache', { cache: 'file:///tmp/a\nfile:///tmp/b' }, /Input 'cache': is one store URI on one line/],
  ['cache', { cache: 'https://cache.example.org/#x' }, /Input 'cache': must not have a #fragment/],
  ['cache', { cache: 'https://cache.example.org?prority=1' }, /Input 'cache': Nix knows no setting 'prority'/],
  ['cache', { cache: 'file:///tmp/100%' }, /Input 'cache': a file:\/\/ path has a '%(25)?' that starts no %(25)?XX escape/],
  ['public-keys', { 'public-keys': `a-1:${'A'.repeat(43)}=,b-1:${'B'.repeat(43)}=` }, /Input 'public-keys': .*not commas/],
  ['public-keys', { 'public-keys': `a-1:${'A'.repeat(43)}=trailing` }, /Input 'public-keys': expected whitespace-separated/],
  ['auth-header', { 'auth-header': 'Authorization: Bearer crlf-secret-77\r\nX-Injected: 1' }, /Input 'auth-header': expected one line/]
]

describe('the main step with a bad input', () => {
  it.each(cases)('fails with one clear error naming %s', async (_name, inputs, message) => {
    const store = await createTestStore()
    const r = await runStep('main', { inputs: { cache: 'file:///tmp/unused-cache', ...inputs }, env: store.env })
    expect(r.code).toBe(1)
    const errors = errorLines(r.stdout)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(message)
    // No stack trace anywhere, and a credential in a bad value is never echoed.
    expect(`${r.stdout}\n${r.stderr}`).not.toMatch(/\n\s+at /)
    expect(errors[0]).not.toContain('crlf-secret-77')
    await store.cleanup()
  })

  it('leaves the post step quiet and green', async () => {
    const store = await createTestStore()
    const main = await runStep('main', { inputs: { cache: 'file:///tmp/x', compression: 'gzip' }, env: store.env })
    const post = await runStep('post', { inputs: { cache: 'file:///tmp/x', compression: 'gzip' }, env: store.env, state: main.state })
    expect(post.code).toBe(0)
    expect(errorLines(post.stdout)).toEqual([])
    await store.cleanup()
  })

  it('still behaves in post when main never saved state', async () => {
    const store = await createTestStore()
    const post = await runStep('post', { inputs: { cache: 'file:///tmp/x' }, env: store.env })
    expect(post.code).toBe(0)
    expect(post.stdout).toContain('recorded no store snapshot')
    await store.cleanup()
  })
})
