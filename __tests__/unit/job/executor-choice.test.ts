import { describe, expect, it } from '@jest/globals'
import { parseCache, type Inputs } from '../../../src/config/inputs.js'
import type { SigningKey } from '../../../src/format/signing.js'
import { agentRole, choosePush, executorFor, githubActionsConditions, pullFront, type GhaConditions } from '../../../src/job/executor-choice.js'

const key: SigningKey = { name: 'test-1', publicKey: 'test-1:public', sign: () => 'test-1:signature' }

type ChoiceInputs = Pick<Inputs, 'cache' | 'dryRun' | 'secretKey' | 'pushDuringBuild' | 'installables' | 'compression' | 'authToken'>

function inputs(cache: string, over: Partial<ChoiceInputs> = {}): ChoiceInputs {
  return { cache: parseCache(cache), dryRun: false, secretKey: key, pushDuringBuild: true, installables: [], compression: 'zstd', ...over }
}

/** A runner whose cache service can be written to. */
const usable: GhaConditions = { cacheMode: { mode: '', writable: true } }

describe('the executor', () => {
  it.each([
    ['file:///tmp/cache', 'binary-cache'],
    ['https://cache.example.org', 'binary-cache'],
    ['s3://bucket?region=eu-west-1', 'binary-cache'],
    ['ssh-ng://builder', 'nix-copy'],
    ['local?root=/tmp/store', 'nix-copy'],
    ['github-actions', 'github-actions']
  ])('for %s is %s', (cache, executor) => {
    expect(executorFor(parseCache(cache)).executor).toBe(executor)
  })

  it('carries the cache it writes to', () => {
    expect(executorFor(parseCache('https://cache.example.org'))).toEqual({ executor: 'binary-cache', cache: { kind: 'http', url: 'https://cache.example.org' } })
    expect(executorFor(parseCache('ssh-ng://builder'))).toEqual({ executor: 'nix-copy', cache: { kind: 'nix-copy', url: 'ssh-ng://builder' } })
  })
})

describe('the mode of a binary cache', () => {
  it('pushes with a secret key', () => {
    expect(choosePush(inputs('file:///tmp/cache'))).toEqual({ executor: 'binary-cache', cache: parseCache('file:///tmp/cache'), mode: 'push' })
  })

  it('is a dry run when asked, with or without a key', () => {
    expect(choosePush(inputs('file:///tmp/cache', { dryRun: true })).mode).toBe('dry-run')
    expect(choosePush(inputs('file:///tmp/cache', { dryRun: true, secretKey: undefined })).mode).toBe('dry-run')
  })

  it('only pulls without a secret key, and says so as a notice', () => {
    const choice = choosePush(inputs('https://cache.example.org', { secretKey: undefined }))
    const note = 'No secret-key: this job only pulls from the cache (as on pull requests from forks). Nothing was uploaded.'
    expect(choice).toMatchObject({ mode: 'pull-only', note, announce: { level: 'notice', message: note } })
  })
})

describe('the mode of an Attic cache', () => {
  it('is its own executor, and pushes with an auth-token whether or not there is a secret key (the server signs)', () => {
    expect(choosePush(inputs('attic+https://attic.example.org/ci', { secretKey: undefined, authToken: 'tok' }))).toMatchObject({
      executor: 'attic',
      cache: { kind: 'attic', endpoint: 'https://attic.example.org/', cacheName: 'ci' },
      mode: 'push'
    })
  })

  it('only pulls without an auth-token, even with a secret key, and says so as a notice', () => {
    const choice = choosePush(inputs('attic+https://attic.example.org/ci', { authToken: undefined }))
    const note = 'No auth-token: this job only pulls from the Attic cache (as on pull requests from forks). Nothing was uploaded.'
    expect(choice).toMatchObject({ executor: 'attic', mode: 'pull-only', note, announce: { level: 'notice', message: note } })
  })
})

describe('the mode of a Cachix cache', () => {
  it('is its own executor, pushing with an auth-token and pull-only without one', () => {
    expect(choosePush(inputs('cachix://team', { authToken: 'tok' }))).toMatchObject({ executor: 'cachix', mode: 'push' })
    const note = 'No auth-token: this job only pulls from the Cachix cache (as on pull requests from forks). Nothing was uploaded.'
    expect(choosePush(inputs('cachix://team', { authToken: undefined }))).toMatchObject({ executor: 'cachix', mode: 'pull-only', note })
  })
})

describe('the agent for a cache server with its own API', () => {
  it.each(['attic+https://attic.example.org/ci', 'cachix://team', 'niks3+https://niks3.example.org'])('publishes during the build to %s with an auth-token', (uri) => {
    expect(agentRole(inputs(uri, { authToken: 'tok', secretKey: undefined }))).toEqual({ role: 'publish-server', cache: parseCache(uri) })
  })
})

describe('the mode of a niks3 server', () => {
  it('is its own executor, pushing with an auth-token and pull-only without one', () => {
    expect(choosePush(inputs('niks3+https://niks3.example.org', { authToken: 'tok' }))).toMatchObject({ executor: 'niks3', mode: 'push' })
    const note = 'No auth-token: this job only pulls from the niks3 cache (as on pull requests from forks). Nothing was uploaded.'
    expect(choosePush(inputs('niks3+https://niks3.example.org', { authToken: undefined }))).toMatchObject({ executor: 'niks3', mode: 'pull-only', note })
  })
})

describe('the mode of a store written with nix copy', () => {
  it('pushes even without a secret key: the store decides what it accepts', () => {
    expect(choosePush(inputs('ssh-ng://builder', { secretKey: undefined }))).toMatchObject({ executor: 'nix-copy', mode: 'push' })
  })

  it('is a dry run when asked', () => {
    expect(choosePush(inputs('ssh-ng://builder', { dryRun: true })).mode).toBe('dry-run')
  })
})

describe('the mode of the GitHub Actions cache', () => {
  const gha = (over: Partial<ChoiceInputs> = {}): ChoiceInputs => inputs('github-actions', { secretKey: undefined, ...over })

  it('needs the service conditions', () => {
    expect(() => choosePush(gha())).toThrow(/conditions/)
  })

  it('pushes without a secret key when the service can be written to', () => {
    expect(choosePush(gha(), usable)).toEqual({ executor: 'github-actions', mode: 'push' })
  })

  it('saves nothing after the main step found it refused, saying so again only when the agent restored', () => {
    const refused = choosePush(gha({ dryRun: true }), { ...usable, refused: 'rate-limited' })
    expect(refused).toMatchObject({ mode: 'pull-only', note: 'The GitHub Actions cache was not usable in this job (rate-limited); nothing was saved.' })
    expect(refused.announce).toBeUndefined()
    expect(choosePush(gha(), { ...usable, refused: 'rate-limited', onDemand: true }).announce).toEqual({
      level: 'warning',
      message: 'The GitHub Actions cache refused this job (rate-limited): nothing was saved.'
    })
  })

  it('is a dry run when asked, on a service that could be written to or not', () => {
    expect(choosePush(gha({ dryRun: true }), usable).mode).toBe('dry-run')
    expect(choosePush(gha({ dryRun: true }), { cacheMode: { mode: 'read', writable: false } }).mode).toBe('dry-run')
  })

  it('only pulls when ACTIONS_CACHE_MODE does not permit writes', () => {
    const note = 'ACTIONS_CACHE_MODE=read does not permit writes; nothing was saved.'
    expect(choosePush(gha(), { cacheMode: { mode: 'read', writable: false }, unavailable: 'no token' })).toMatchObject({
      mode: 'pull-only',
      note,
      announce: { level: 'info', message: note }
    })
  })

  it('only pulls when the service is not available, with a warning', () => {
    expect(choosePush(gha(), { ...usable, unavailable: 'no token' })).toMatchObject({
      mode: 'pull-only',
      note: 'The GitHub Actions cache is not available (no token); nothing was saved.',
      announce: { level: 'warning', message: 'The GitHub Actions cache is not available: no token. Nothing was saved.' }
    })
  })

  it('reads the conditions from the runner environment and the main step’s findings', async () => {
    const c = await githubActionsConditions({ refused: 'rate-limited', onDemand: true }, { ACTIONS_CACHE_MODE: 'read' })
    expect(c).toMatchObject({ refused: 'rate-limited', onDemand: true, cacheMode: { mode: 'read', writable: false } })
    expect(c.unavailable).toMatch(/^ACTIONS_RUNTIME_TOKEN is not set/)
  })
})

describe('the background agent', () => {
  it('publishes to a binary cache, with the job’s compression', () => {
    expect(agentRole(inputs('https://cache.example.org', { compression: 'xz' }))).toEqual({
      role: 'publish',
      cache: { kind: 'http', url: 'https://cache.example.org' },
      compression: 'xz'
    })
  })

  it('publishes to a binary cache with installables too (their closure only, agent/roots.ts)', () => {
    expect(agentRole(inputs('https://cache.example.org', { installables: ['.#app', '/nix/store/00000000000000000000000000000000-x.drv'] }))).toMatchObject({
      role: 'publish'
    })
  })

  it('publishes to a cache server with installables too (their closure only, never a NAR ahead)', () => {
    expect(agentRole(inputs('cachix://team', { authToken: 'tok', installables: ['.#app'] }))).toMatchObject({ role: 'publish-server' })
  })

  it('prepares the GitHub Actions layer, without a key and with installables too', () => {
    expect(agentRole(inputs('github-actions', { secretKey: undefined, installables: ['.#app'] }))).toEqual({ role: 'prepare' })
  })

  it.each<[string, string, Partial<ChoiceInputs>, boolean]>([
    ['file:///tmp/cache', 'push-during-build is false', { pushDuringBuild: false }, false],
    ['file:///tmp/cache', 'dry-run', { dryRun: true }, false],
    ['github-actions', 'dry-run', { dryRun: true }, false],
    ['ssh-ng://builder', '`nix copy` stores are pushed in the post step', {}, true],
    ['attic+https://attic.example.org/ci', 'no auth-token (pull only)', {}, true],
    ['file:///tmp/cache', 'no secret-key (pull only)', { secretKey: undefined }, true]
  ])('does not run for %s: %s', (cache, reason, over, tell) => {
    expect(agentRole(inputs(cache, over))).toEqual({ role: 'skip', reason, tell })
  })
})

describe('the agent’s front for pulls (issue 20)', () => {
  it('fronts an http(s) cache whenever the job pulls from it, even where the agent publishes nothing', () => {
    const url = 'https://user:pw@cache.example.org/sub'
    expect(pullFront({ cache: parseCache(url), pull: true })).toEqual({ url })
    expect(agentRole(inputs(url, { secretKey: undefined })).role).toBe('skip')
  })

  it('fronts an S3 bucket too, whenever the job pulls from it: the agent reads it with its own AWS credentials', () => {
    const url = 's3://bucket?region=eu-west-1&endpoint=minio.example.org'
    expect(pullFront({ cache: parseCache(url), pull: true })).toEqual({ url })
    expect(pullFront({ cache: parseCache(url), pull: false })).toBeUndefined()
  })

  it.each([
    ['https://cache.example.org', false],
    ['file:///tmp/cache', true],
    ['github-actions', true],
    ['ssh-ng://builder', true]
  ])('does not front %s (pull: %s)', (cache, pull) => {
    expect(pullFront({ cache: parseCache(cache), pull })).toBeUndefined()
  })
})
