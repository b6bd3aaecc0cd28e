import { describe, expect, it } from '@jest/globals'
import { runStep, errorLines } from './helpers/runner.js'
import { createTestStore } from './helpers/nix-store.js'

const cases: Array<[string, Record<string, string>, RegExp]> = [
  ['cache', { cache: '' }, /Input 'cache': is required/],
  ['cache', { cache: 'github-actions' }, /Input 'cache': 'github-actions' is not supported yet/],
  ['cache', { cache: 's3://bucket?region=eu-west-1' }, /Input 'cache': 's3:\/\/bucket' is not supported yet/],
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
