import { describe, it, expect, afterEach } from '@jest/globals'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { credentialsFor, loadNetrc, netrcPath, parseNetrc } from '../../../src/config/netrc.js'

describe('parseNetrc', () => {
  it('parses one entry per line', () => {
    const text = [
      'machine cache.example.com login alice password s3cret',
      'machine other.example.org login bob password hunter2 account acct',
      'default login anon password anon@'
    ].join('\n')
    expect(parseNetrc(text)).toEqual([
      { machine: 'cache.example.com', login: 'alice', password: 's3cret' },
      { machine: 'other.example.org', login: 'bob', password: 'hunter2', account: 'acct' },
      { login: 'anon', password: 'anon@' }
    ])
  })

  it('accepts tokens split by any whitespace, including tabs, newlines and CRLF', () => {
    const text = 'machine\ta.example\r\n  login\n\nu1\r\n\tpassword   p1 machine b.example login u2'
    expect(parseNetrc(text)).toEqual([
      { machine: 'a.example', login: 'u1', password: 'p1' },
      { machine: 'b.example', login: 'u2' }
    ])
  })

  it('marks the default entry with machine undefined', () => {
    const [entry] = parseNetrc('default login x password y')
    expect(entry).toBeDefined()
    expect(entry!.machine).toBeUndefined()
  })

  it('skips macdef bodies up to the first blank line', () => {
    const text = [
      'machine a.example login u1',
      'macdef init',
      'machine evil.example login mallory password nope',
      'cd /pub',
      '',
      'password p1',
      'machine b.example login u2 password p2'
    ].join('\n')
    expect(parseNetrc(text)).toEqual([
      { machine: 'a.example', login: 'u1', password: 'p1' },
      { machine: 'b.example', login: 'u2', password: 'p2' }
    ])
  })

  it('treats a whitespace-only line as the end of a macdef', () => {
    const text = 'macdef m\nbody line\n   \nmachine x login y'
    expect(parseNetrc(text)).toEqual([{ machine: 'x', login: 'y' }])
  })

  it('skips comments and unknown tokens', () => {
    const text = '# my credentials\nmachine a login u # trailing comment password ignored\nport 22 password p'
    expect(parseNetrc(text)).toEqual([{ machine: 'a', login: 'u', password: 'p' }])
  })

  it('does not treat a password starting with # as a comment', () => {
    expect(parseNetrc('machine a login u password #hash#')).toEqual([
      { machine: 'a', login: 'u', password: '#hash#' }
    ])
  })

  it('supports double-quoted tokens', () => {
    expect(parseNetrc('machine a login "user name" password "p \\"q\\" r"')).toEqual([
      { machine: 'a', login: 'user name', password: 'p "q" r' }
    ])
  })

  it('copes with empty and truncated files', () => {
    expect(parseNetrc('')).toEqual([])
    expect(parseNetrc('  \n\n')).toEqual([])
    expect(parseNetrc('machine a login')).toEqual([{ machine: 'a' }])
    expect(parseNetrc('machine')).toEqual([])
    expect(parseNetrc('login orphan password x')).toEqual([])
  })
})

describe('credentialsFor', () => {
  const entries = parseNetrc(
    'machine a.example login ua password pa\ndefault login ud password pd\nmachine B.Example login ub password pb'
  )

  it('finds the machine entry, case-insensitively', () => {
    expect(credentialsFor('a.example', entries)).toEqual({ machine: 'a.example', login: 'ua', password: 'pa' })
    expect(credentialsFor('b.example', entries)?.login).toBe('ub')
    expect(credentialsFor('A.EXAMPLE', entries)?.login).toBe('ua')
  })

  it('falls back to default, even when default precedes the machine entry', () => {
    expect(credentialsFor('c.example', entries)?.login).toBe('ud')
  })

  it('returns undefined without a match or default', () => {
    expect(credentialsFor('c.example', parseNetrc('machine a login u'))).toBeUndefined()
    expect(credentialsFor('a', [])).toBeUndefined()
  })
})

describe('loadNetrc', () => {
  const savedNetrc = process.env['NETRC']
  const savedHome = process.env['HOME']
  let dir: string | undefined

  afterEach(async () => {
    if (savedNetrc === undefined) delete process.env['NETRC']
    else process.env['NETRC'] = savedNetrc
    if (savedHome === undefined) delete process.env['HOME']
    else process.env['HOME'] = savedHome
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
    dir = undefined
  })

  async function tempDir(): Promise<string> {
    dir = await mkdtemp(join(tmpdir(), 'netrc-test-'))
    return dir
  }

  it('reads the given file', async () => {
    const d = await tempDir()
    const file = join(d, 'netrc')
    await writeFile(file, 'machine h login u password p\n')
    process.env['NETRC'] = join(d, 'elsewhere')
    expect(await loadNetrc(file)).toEqual([{ machine: 'h', login: 'u', password: 'p' }])
  })

  it('falls back to $NETRC, then ~/.netrc', async () => {
    const d = await tempDir()
    await writeFile(join(d, 'from-env'), 'machine env login e')
    await writeFile(join(d, '.netrc'), 'machine home login h')
    process.env['HOME'] = d
    process.env['NETRC'] = join(d, 'from-env')
    expect(await loadNetrc()).toEqual([{ machine: 'env', login: 'e' }])
    delete process.env['NETRC']
    expect(netrcPath()).toBe(join(d, '.netrc'))
    expect(await loadNetrc()).toEqual([{ machine: 'home', login: 'h' }])
  })

  it('returns [] for a missing file', async () => {
    const d = await tempDir()
    expect(await loadNetrc(join(d, 'nope'))).toEqual([])
    expect(await loadNetrc(join(d, 'nope', 'deeper'))).toEqual([])
  })

  it('propagates other read errors', async () => {
    const d = await tempDir()
    await expect(loadNetrc(d)).rejects.toThrow()
  })
})
