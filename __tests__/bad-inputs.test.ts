import { describe, expect, it } from '@jest/globals'
import { runStep, errorLines } from './helpers/runner.js'
import { createTestStore } from './helpers/nix-store.js'

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
  ['dry-run', { 'dry-run': 'maybe' }, /Input 'dry-run': expected true or false/]
]

describe('the main step with a bad input', () => {
  it.each(cases)('fails with one clear error naming %s', async (_name, inputs, message) => {
    const store = await createTestStore()
    const r = await runStep('main', { inputs: { cache: 'file:///tmp/unused-cache', ...inputs }, env: store.env })
    expect(r.code).toBe(1)
    const errors = errorLines(r.stdout)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(message)
    // No stack trace anywhere.
    expect(`${r.stdout}\n${r.stderr}`).not.toMatch(/\n\s+at /)
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
