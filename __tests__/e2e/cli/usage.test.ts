import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { removeTree, SYSTEM_PATH } from '../../helpers/nix-store.js'
import { readActionInputs, REPO_ROOT } from '../../helpers/runner.js'
import { CLI, runCli } from '../../helpers/cli.js'
import { runProcess } from '../../helpers/proc.js'
import { helpText } from '../../../src/cli/help.js'
import { INPUT_OPTIONS, NOT_OPTIONS, parseArgs } from '../../../src/cli/options.js'
import { dotenv, shellExports } from '../../../src/cli/shell.js'

let home: string
const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ PATH: SYSTEM_PATH, HOME: home, ...extra })

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'cli-usage-'))
})
afterAll(async () => {
  await removeTree(home)
})

describe('the options of nix-buildtime-cache', () => {
  it('are the action inputs, with their defaults, except the secrets and the GitHub Actions cache settings', () => {
    const inputs = readActionInputs()
    const options = new Map(INPUT_OPTIONS.map((o) => [o.input, o]))
    expect([...options.keys(), ...Object.keys(NOT_OPTIONS)].sort()).toEqual(Object.keys(inputs).sort())
    for (const [name, input] of Object.entries(inputs)) {
      const option = options.get(name)
      // The cache has no default outside GitHub: github-actions is the action's.
      if (option && name !== 'cache') expect([name, option.default]).toEqual([name, input.default ?? ''])
    }
    expect(options.get('cache')?.default).toBe('')
  })

  it('are all listed by --help', async () => {
    const r = await runCli(['--help'], { env: env() })
    expect(r.code).toBe(0)
    for (const o of INPUT_OPTIONS) expect(r.stdout).toContain(o.kind === 'flag' && o.default === 'true' ? `--no-${o.input}` : `--${o.input}`)
    for (const o of ['--secret-key-file', '--auth-header-file', '--auth-token-file', '--state-dir', '--summary', '--json', '--dotenv']) expect(r.stdout).toContain(o)
  })
})

const cases: Array<[string, string[], NodeJS.ProcessEnv, RegExp]> = [
  ['an unknown command', ['deploy'], {}, /unknown command 'deploy'/],
  ['an unknown option', ['run', '--cache', 'file:///tmp/c', '--frobnicate', '--', 'true'], {}, /unknown option '--frobnicate'/],
  ['a missing value', ['push', '--cache'], {}, /--cache needs a value/],
  ['a secret key given as an argument', ['run', '--secret-key=test-1:c2VjcmV0', '--', 'true'], {}, /--secret-key is not an option: .*--secret-key-file FILE or NIX_BUILDTIME_CACHE_SECRET_KEY/],
  ['an auth header given as an argument', ['push', '--auth-header', 'Authorization: Bearer x'], {}, /--auth-header is not an option/],
  ['an auth token given as an argument', ['push', '--auth-token', 'c2VjcmV0'], {}, /--auth-token is not an option: .*--auth-token-file FILE or NIX_BUILDTIME_CACHE_AUTH_TOKEN/],
  ['an unreadable token file', ['push', '--cache', 'attic+http://127.0.0.1:1/ci', '--auth-token-file', '/nonexistent/token'], {}, /--auth-token-file: cannot read \/nonexistent\/token: ENOENT/],
  ['a token with a space in the variable', ['push', '--cache', 'attic+http://127.0.0.1:1/ci'], { NIX_BUILDTIME_CACHE_AUTH_TOKEN: 'Bearer c2VjcmV0' }, /--auth-token-file \(or NIX_BUILDTIME_CACHE_AUTH_TOKEN\): expected one token on one line/],
  ['a GitHub Actions cache setting', ['push', '--cache', 'file:///tmp/c', '--max-size', '4G'], {}, /--max-size is not an option: it only applies to the GitHub Actions cache/],
  ['no cache', ['run', '--', 'true'], {}, /--cache: is required/],
  ['a bad cache', ['run', '--cache', 'ftp:/x', '--', 'true'], {}, /--cache: is not a store URI/],
  ['the GitHub Actions cache outside GitHub', ['run', '--cache', 'github-actions', '--', 'true'], {}, /--cache github-actions works only inside a GitHub Actions job/],
  ['a bad compression', ['push', '--cache', 'file:///tmp/c', '--compression', 'gzip'], {}, /--compression: expected zstd, xz or none, got 'gzip'/],
  ['a bad parallelism', ['push', '--cache', 'file:///tmp/c', '--parallelism', '0'], {}, /--parallelism: expected a whole number from 1 to 64/],
  ['a bad flag value', ['push', '--cache', 'file:///tmp/c', '--dry-run=maybe'], {}, /--dry-run takes no value/],
  ['a bad regular expression', ['push', '--cache', 'file:///tmp/c', '--exclude', '['], {}, /--exclude: expected JavaScript regular expressions/],
  ['an unreadable key file', ['push', '--cache', 'file:///tmp/c', '--secret-key-file', '/nonexistent/key'], {}, /--secret-key-file: cannot read \/nonexistent\/key: ENOENT/],
  ['a bad key in the variable', ['push', '--cache', 'file:///tmp/c'], { NIX_BUILDTIME_CACHE_SECRET_KEY: 'not-a-key' }, /--secret-key-file \(or NIX_BUILDTIME_CACHE_SECRET_KEY\): expected a Nix signing key/],
  ['run without a command', ['run', '--cache', 'file:///tmp/c'], {}, /run needs the command to run after --/],
  ['an option of another command', ['run', '--dotenv', 'x', '--', 'true'], {}, /--dotenv is not an option of run/],
  ['an option where a value belongs', ['start', '--cache', '--json'], {}, /--cache: missing value \(the next argument, --json, is an option/],
  ['a state directory that is a file', ['push', '--cache', 'file:///tmp/c', '--state-dir', '/etc/passwd'], {}, /--state-dir: \/etc\/passwd is not a directory/],
  ['a state directory under a file', ['push', '--cache', 'file:///tmp/c', '--state-dir', '/etc/passwd/state'], {}, /--state-dir: \/etc\/passwd\/state is not a directory/],
  ['a dotenv file in a missing directory', ['start', '--cache', 'file:///tmp/c', '--no-pull', '--dotenv', '/nonexistent/dir/env'], {}, /--dotenv: the directory of \/nonexistent\/dir\/env \(\/nonexistent\/dir\) does not exist/]
]

describe('a bad command line', () => {
  it.each(cases)('(%s) is one line on stderr naming it, with exit status 2', async (_what, args, extra, message) => {
    const r = await runCli(args, { env: env(extra) })
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    const lines = r.stderr.trimEnd().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^nix-buildtime-cache: /)
    expect(lines[0]).toMatch(message)
    // A value typed in the wrong place may be a credential: it is never echoed.
    expect(r.stderr).not.toContain('c2VjcmV0')
    expect(r.stderr).not.toContain('Bearer')
  })
})

describe('a secret key file others can read', () => {
  it('is used, with one warning naming the file, its mode and the chmod that fixes it (as ssh points out)', async () => {
    const { privateKey } = generateKeyPairSync('ed25519')
    const jwk = privateKey.export({ format: 'jwk' })
    const seed = Buffer.from(jwk.d!, 'base64url')
    const pub = Buffer.from(jwk.x!, 'base64url')
    const keyFile = join(home, 'open.key')
    await writeFile(keyFile, `test-1:${Buffer.concat([seed, pub]).toString('base64')}`, { mode: 0o644 })
    await chmod(keyFile, 0o644)
    const r = await runCli(['push', '--cache', `file://${home}/cache`, '--secret-key-file', keyFile, '--state-dir', join(home, 'state-open-key')], { env: env() })
    const warnings = r.stderr.split('\n').filter((l) => l.includes('--secret-key-file'))
    expect(warnings).toEqual([`warning: --secret-key-file: ${keyFile} is readable by other users (mode 0644); it is used, but it should be private to you: chmod 600 ${keyFile}`])
    // Used, not refused: the command goes on to say that there is nothing to push yet.
    expect(r.stderr).toMatch(/no snapshot in/)
    expect(r.stderr).not.toContain(seed.toString('base64').slice(0, 12))

    await chmod(keyFile, 0o600)
    const quiet = await runCli(['push', '--cache', `file://${home}/cache`, '--secret-key-file', keyFile, '--state-dir', join(home, 'state-open-key')], { env: env() })
    expect(quiet.stderr).not.toContain('chmod 600')
  })
})

/** The `nix-buildtime-cache <command> …` lines of a text, with `\` and YAML `>` continuations joined. */
function invocations(text: string): string[][] {
  const joined = text
    .replace(/\\\n\s*/g, ' ')
    .replace(/- >\n((?:\s{6,}\S.*\n)+)/g, (_m, body: string) => `- ${body.replace(/\n\s*/g, ' ')}\n`)
  const found: string[][] = []
  for (const m of joined.matchAll(/nix-buildtime-cache ((?:run|start|push)\b[^\n)]*)/g)) {
    const words = (m[1] ?? '').replace(/\s#.*$/, '').trim().split(/\s+/)
    found.push(words.map((w) => w.replace(/^['"]|['"]$/g, '')).filter((w) => w !== '[options]'))
  }
  return found
}

describe('the examples', () => {
  it("in the README's Other CI systems section are command lines --help describes", async () => {
    const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8')
    const section = readme.slice(readme.indexOf('## Other CI systems'), readme.indexOf('\n## ', readme.indexOf('## Other CI systems') + 1))
    const examples = invocations(section)
    expect(examples.length).toBeGreaterThanOrEqual(5)
    expect(examples.map((e) => e[0])).toEqual(expect.arrayContaining(['run', 'start', 'push']))
    const help = helpText()
    for (const words of examples) {
      expect(() => parseArgs(words)).not.toThrow()
      for (const w of words.filter((x) => x.startsWith('--') && x !== '--')) expect([w, help.includes(w)]).toEqual([w, true])
    }
  })

  it('in --help parse', () => {
    const examples = invocations(helpText().slice(helpText().indexOf('Examples:')))
    expect(examples.length).toBeGreaterThanOrEqual(4)
    for (const words of examples) expect(() => parseArgs(words)).not.toThrow()
  })
})

describe("start's shell lines", () => {
  it('come through sh exactly, quotes and newlines included, as export lines and as a dotenv file', async () => {
    const value = "extra-substituters = https://c.example.org/it's\nextra-trusted-public-keys = k:AAA= $HOME `x`"
    for (const [text, how] of [[shellExports({ NIX_CONFIG: value }), '.'], [dotenv({ NIX_CONFIG: value }), 'set -a; .']] as const) {
      const file = join(home, 'vars.sh')
      await writeFile(file, text)
      const r = await runProcess('sh', ['-c', `${how} "$1"; printf '%s' "$NIX_CONFIG"`, 'sh', file], { env: env() })
      expect(r.stdout).toBe(value)
    }
  })
})

describe('on an older Node', () => {
  // The machine's own Node, when it is older than 22.15 (Debian's is); otherwise nothing to prove.
  const system = spawnSync('/usr/bin/node', ['-p', 'process.versions.node'], { encoding: 'utf8' })
  const [major = 0, minor = 0] = (system.stdout ?? '').trim().split('.').map(Number)
  const old = system.status === 0 && (major < 22 || (major === 22 && minor < 15))
  ;(old ? it : it.skip)('stops with one clear line before loading anything else', async () => {
    const r = await runProcess('/usr/bin/node', [CLI, 'run', '--cache', 'file:///tmp/c', '--', 'true'], { env: env() })
    expect(r.code).toBe(1)
    expect(r.stderr).toBe(`nix-buildtime-cache: needs Node 22.15 or later (for zstd in node:zlib); this is Node ${system.stdout.trim()}.\n`)
  })
})

