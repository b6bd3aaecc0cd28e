// Self-test of the end-to-end harness: real Nix stores, the test graph, the fake upstream
// cache, nginx with WebDAV, and the runner emulation (with stand-in action scripts, so this
// test does not need dist/).
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { existsSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { builtDerivations, countBuilt, createTestStore, ensureNixAvailable, installedNixMinor, pathInfoList, removeTree, substitutedPaths, type TestStore } from '../helpers/nix-store.js'
import {
  BUILD_ONLY_ROLES,
  graphDrvPaths,
  graphPaths,
  makeUpstream,
  ROLES,
  RUNTIME_ROLES,
  SRC_CONTENT,
  UPSTREAM_KEY_NAME,
  UPSTREAM_ROLES,
  writeGraph,
  type GraphPaths,
  type Role,
  type Upstream
} from '../helpers/graph.js'
import { startNginx, type Nginx } from '../helpers/nginx.js'
import { httpRequest } from '../helpers/ports.js'
import {
  allOutput,
  errorLines,
  inputEnvName,
  parseFileCommand,
  readActionInputs,
  REPO_ROOT,
  runStep,
  startJob,
  warningLines
} from '../helpers/runner.js'

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '')
const pick = (paths: GraphPaths, roles: readonly Role[]): string[] => roles.map((r) => paths[r]).sort()

describe('test store and graph', () => {
  let up: Upstream
  let store: TestStore
  let dir: string
  let nixFile: string
  let paths: GraphPaths

  beforeAll(async () => {
    await ensureNixAvailable()
    up = await makeUpstream()
    store = await createTestStore({ extraConfig: up.nixConfig })
    dir = await mkdtemp(join(tmpdir(), 'graph-'))
    nixFile = await writeGraph(dir, 'v1')
    paths = await graphPaths(nixFile, store)
  })
  afterAll(async () => {
    await store?.cleanup()
    await up?.cleanup()
    if (dir) await removeTree(dir)
  })

  it('has an isolated, minimal environment', async () => {
    expect(Object.keys(store.env).sort()).toEqual(['HOME', 'NIX_CONFIG', 'NIX_CONF_DIR', 'NIX_USER_CONF_FILES', 'PATH'])
    for (const v of ['HOME', 'NIX_CONF_DIR', 'NIX_USER_CONF_FILES']) expect(store.env[v]?.startsWith(store.root)).toBe(true)
    // The machine's nix.conf files are never read: Nix's defaults apply, sandboxing included.
    expect(readdirSync(store.env.NIX_CONF_DIR ?? '')).toEqual([])
    expect(existsSync(store.env.NIX_USER_CONF_FILES ?? '')).toBe(false)
    expect((await store.runOk('nix', ['show-config'])).stdout).toMatch(/^sandbox = true$/m)
    expect(store.nixConfig.split('\n').slice(0, 5)).toEqual([
      `store = ${store.storeRoot}`,
      'sandbox-paths = /bin/sh=/bin/busybox /bin/busybox',
      'build-users-group =',
      'substituters =',
      'experimental-features = nix-command flakes'
    ])
    expect(store.nixConfig).toContain(`trusted-public-keys = ${up.publicKey}`)
  })

  it('computes distinct paths for every role without writing to the store', async () => {
    expect(Object.keys(paths).sort()).toEqual([...ROLES].sort())
    expect(new Set(Object.values(paths)).size).toBe(ROLES.length)
    for (const p of Object.values(paths)) expect(p).toMatch(/^\/nix\/store\/[0-9a-z]{32}-/)
    const drvs = await graphDrvPaths(nixFile)
    expect(drvs.multiOut).toBe(drvs.multiDev)
    expect(drvs.top).toMatch(/-app\.drv$/)
    expect(existsSync(store.physicalPath(drvs.top))).toBe(false)
  })

  it('fake upstream cache holds upstream and upstreamLib, signed', async () => {
    expect(up.paths.sort()).toEqual(pick(paths, UPSTREAM_ROLES))
    expect(up.publicKey.startsWith(`${UPSTREAM_KEY_NAME}:`)).toBe(true)
    const info = await readFile(join(up.dir, `${paths.upstream.slice('/nix/store/'.length, 43)}.narinfo`), 'utf8')
    expect(info).toContain(`Sig: ${UPSTREAM_KEY_NAME}:`)
  })

  it('builds the pre-existing path first', async () => {
    const { outPaths, log } = await store.build(nixFile, 'preexisting')
    expect(outPaths).toEqual([paths.preexisting])
    expect(countBuilt(log)).toBe(1)
  })

  it('builds the job, substituting the upstream paths', async () => {
    const { outPaths, log } = await store.build(nixFile, ['top', 'unrelated'])
    expect(outPaths).toEqual([paths.top, paths.unrelated])
    // tool, src, multi (one drv, two outputs), lib, top, unrelated; not preexisting or upstream
    expect(countBuilt(log)).toBe(6)
    expect(builtDerivations(log).every((d) => d.endsWith('.drv'))).toBe(true)
    const subst = substitutedPaths(log)
    expect(subst.map((s) => s.path).sort()).toEqual(pick(paths, UPSTREAM_ROLES))
    expect(subst.every((s) => s.from === up.url)).toBe(true)
    expect(await store.isValid(paths.multiDev)).toBe(true)
  })

  it('has the documented runtime and build-time closures', async () => {
    const rt = await store.runOk('nix-store', ['-qR', paths.top])
    expect(lines(rt.stdout).sort()).toEqual(pick(paths, RUNTIME_ROLES))
    // build-time closure: the outputs of every derivation in top's .drv closure
    const drvs = await graphDrvPaths(nixFile, store)
    const req = await store.runOk('nix-store', ['-qR', '--include-outputs', drvs.top])
    const outs = lines(req.stdout).filter((p) => !p.endsWith('.drv'))
    expect(outs.sort()).toEqual(pick(paths, [...RUNTIME_ROLES, ...BUILD_ONLY_ROLES]))
    expect(outs).not.toContain(paths.unrelated)
  })

  it('shows the upstream signature on substituted paths only', async () => {
    const infos = await store.pathInfo([paths.upstream, paths.upstreamLib, paths.top])
    const sigs = new Map(infos.map((i) => [i.path, i.signatures ?? []]))
    expect(sigs.get(paths.upstream)?.some((s) => s.startsWith(`${UPSTREAM_KEY_NAME}:`))).toBe(true)
    expect(sigs.get(paths.upstreamLib)?.some((s) => s.startsWith(`${UPSTREAM_KEY_NAME}:`))).toBe(true)
    expect(sigs.get(paths.top)).toEqual([])
  })

  it('realises the fixed-output source with the right content', async () => {
    expect(await readFile(store.physicalPath(paths.src), 'utf8')).toBe(SRC_CONTENT)
    const app = await readFile(join(store.physicalPath(paths.top), 'share/variant'), 'utf8')
    expect(app).toBe('v1\n')
  })

  it('changes only the top-level derivation with the variant', async () => {
    const file2 = await writeGraph(dir, 'v2', 'graph-v2.nix')
    const paths2 = await graphPaths(file2)
    for (const role of ROLES) {
      if (role === 'top') expect(paths2.top).not.toBe(paths.top)
      else expect(paths2[role]).toBe(paths[role])
    }
    const { log } = await store.build(file2, 'top')
    expect(countBuilt(log)).toBe(1)
  })

  it('run() reports failures and applies per-command config', async () => {
    const r = await store.run('nix-store', ['--check-validity', '/nix/store/00000000000000000000000000000000-nope'])
    expect(r.code).not.toBe(0)
    const c = await store.runOk('nix', ['show-config', '--json'], { extraConfig: 'require-sigs = false' })
    const cfg = JSON.parse(c.stdout) as Record<string, { value: unknown }>
    expect(cfg['require-sigs']?.value).toBe(false)
    // From 2.34 `store` is a store reference, shown as `local:///<root>` (real 2.34.8 does).
    expect(cfg['store']?.value).toBe(installedNixMinor() >= 34 ? `local://${store.storeRoot}` : store.storeRoot)
  })
})

describe('path-info JSON of each real version', () => {
  it('reads the keyed shape with nulls (as real 2.26.3 prints it) as 2.8 lists it: absent fields left out, an invalid path not valid', () => {
    // `nix path-info --json P Q` on real 2.26.3, Q not in the store (2.34.8 adds storeDir and version).
    const keyed =
      '{"/nix/store/00000000000000000000000000000000-x":null,"/nix/store/ab3li50xq0nl4q5lxdyinb8w8y13my9s-f":{"ca":"fixed:r:sha256:1xmr8jicvzszfzpz46g37mlpvbzjl2wpwvl2b05psipssyp1sm8h","deriver":null,"narHash":"sha256-EFUdrtf6Rn0LWIJufrmg8q99aT3jGfLvd1//zaJEufY=","narSize":120,"references":[],"registrationTime":1796644534,"signatures":[],"ultimate":false}}'
    expect(pathInfoList(keyed)).toEqual([
      { path: '/nix/store/00000000000000000000000000000000-x', valid: false },
      {
        path: '/nix/store/ab3li50xq0nl4q5lxdyinb8w8y13my9s-f',
        ca: 'fixed:r:sha256:1xmr8jicvzszfzpz46g37mlpvbzjl2wpwvl2b05psipssyp1sm8h',
        narHash: 'sha256-EFUdrtf6Rn0LWIJufrmg8q99aT3jGfLvd1//zaJEufY=',
        narSize: 120,
        references: [],
        registrationTime: 1796644534,
        signatures: [],
        ultimate: false
      }
    ])
  })
})

describe('nginx', () => {
  let root: string
  const servers: Nginx[] = []
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'nginx-root-'))
  })
  afterAll(async () => {
    for (const s of servers) await s.stop()
    if (root) await removeTree(root)
  })
  const start = async (sub: string, auth?: Parameters<typeof startNginx>[0]['auth']): Promise<Nginx> => {
    const s = await startNginx({ root: join(root, sub), auth })
    servers.push(s)
    return s
  }

  it('accepts chunked and plain PUTs and serves them back', async () => {
    const s = await start('open')
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const put = await httpRequest(`${s.url}/nar/a/b.nar`, { method: 'PUT', body: ['hello ', 'chunked'] })
    expect(put.status).toBe(201)
    const put2 = await httpRequest(`${s.url}/x.narinfo`, { method: 'PUT', body: 'plain' })
    expect(put2.status).toBe(201)
    const get = await httpRequest(`${s.url}/nar/a/b.nar`)
    expect(get.status).toBe(200)
    expect(get.body.toString()).toBe('hello chunked')
    expect((await httpRequest(`${s.url}/x.narinfo`, { method: 'HEAD' })).status).toBe(200)
    expect((await httpRequest(`${s.url}/missing`)).status).toBe(404)
    expect(await readFile(join(root, 'open/nar/a/b.nar'), 'utf8')).toBe('hello chunked')
    const log = await s.accessLog()
    expect(log.some((l) => /^PUT \/nar\/a\/b\.nar 201 \d+ 0$/.test(l))).toBe(true)
    const reqs = await s.requests()
    expect(reqs.filter((r) => r.method === 'PUT').map((r) => r.uri)).toEqual(['/nar/a/b.nar', '/x.narinfo'])
  })

  it('requires basic auth when configured', async () => {
    const s = await start('basic', { user: 'alice', password: 'p4ss:word' })
    const good = 'Basic ' + Buffer.from('alice:p4ss:word').toString('base64')
    const bad = 'Basic ' + Buffer.from('alice:nope').toString('base64')
    expect((await httpRequest(`${s.url}/f`, { method: 'PUT', body: 'x' })).status).toBe(401)
    expect((await httpRequest(`${s.url}/f`, { method: 'PUT', body: 'x', headers: { Authorization: bad } })).status).toBe(401)
    expect((await httpRequest(`${s.url}/f`, { method: 'PUT', body: 'x', headers: { Authorization: good } })).status).toBe(201)
    expect((await httpRequest(`${s.url}/f`)).status).toBe(401)
    const get = await httpRequest(`${s.url}/f`, { headers: { Authorization: good } })
    expect([get.status, get.body.toString()]).toEqual([200, 'x'])
  })

  it('requires the bearer token when configured', async () => {
    const s = await start('bearer', { bearerToken: 'tok-123' })
    expect((await httpRequest(`${s.url}/f`, { method: 'PUT', body: 'y' })).status).toBe(401)
    expect((await httpRequest(`${s.url}/f`, { method: 'PUT', body: 'y', headers: { Authorization: 'Bearer wrong' } })).status).toBe(401)
    expect((await httpRequest(`${s.url}/f`, { method: 'PUT', body: 'y', headers: { Authorization: 'Bearer tok-123' } })).status).toBe(201)
    expect((await httpRequest(`${s.url}/f`, { headers: { Authorization: 'Bearer tok-123' } })).status).toBe(200)
  })

  it('stops', async () => {
    const s = await start('stopped')
    await s.stop()
    await expect(httpRequest(`${s.url}/`)).rejects.toThrow()
    await s.stop()
  })
})

describe('runner emulation', () => {
  let dir: string
  let mainScript: string
  let postScript: string
  let failScript: string
  const core = pathToFileURL(join(REPO_ROOT, 'node_modules/@actions/core/lib/core.js')).href

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fake-action-'))
    mainScript = join(dir, 'main.mjs')
    postScript = join(dir, 'post.mjs')
    failScript = join(dir, 'fail.mjs')
    await writeFile(
      mainScript,
      `import { appendFileSync } from 'node:fs'
import * as core from ${JSON.stringify(core)}
appendFileSync(process.env.GITHUB_OUTPUT, 'plain=a=b\\n')
core.setOutput('multi', 'line1\\nline2')
core.setOutput('skip', core.getInput('skip-signed-by'))
core.setOutput('cache', core.getInput('cache'))
core.setOutput('env-keys', Object.keys(process.env).filter((k) => !k.startsWith('INPUT_')).sort().join(','))
core.setOutput('input-keys', Object.keys(process.env).filter((k) => k.startsWith('INPUT_')).sort().join(','))
core.setOutput('cwd', process.cwd())
core.saveState('Token', 'st-1')
core.saveState('lines', 'a\\nb')
core.exportVariable('NIX_CONFIG', process.env.NIX_CONFIG + '\\nextra-substituters = file:///cache')
core.exportVariable('FROM_MAIN', 'yes')
core.addPath('/opt/first/bin')
core.addPath('/opt/second/bin')
core.setSecret('s3cr3t')
core.warning('careful')
core.error('something bad')
await core.summary.addRaw('summary text').write()
console.log('main done')
`
    )
    await writeFile(
      postScript,
      `import * as core from ${JSON.stringify(core)}
core.setOutput('token', core.getState('Token'))
core.setOutput('lines', core.getState('lines'))
core.setOutput('from-main', process.env.FROM_MAIN ?? '')
core.setOutput('nix-config', process.env.NIX_CONFIG ?? '')
core.setOutput('path', process.env.PATH ?? '')
core.setOutput('cache', core.getInput('cache'))
`
    )
    await writeFile(failScript, `import * as core from ${JSON.stringify(core)}\ncore.saveState('k', 'v')\ncore.setFailed('boom')\n`)
  })
  afterAll(async () => {
    if (dir) await removeTree(dir)
  })

  it('reads inputs and defaults from action.yml', () => {
    const inputs = readActionInputs()
    expect(inputs['cache']).toEqual({ required: false, default: 'github-actions' })
    expect(inputs['skip-signed-by']).toEqual({ required: false, default: 'cache.nixos.org-1' })
    expect(inputs['secret-key']?.default).toBe('')
    expect(inputs['strict']?.default).toBe('false')
    expect(Object.keys(inputs)).toContain('netrc-file')
    expect(inputEnvName('skip-signed-by')).toBe('INPUT_SKIP-SIGNED-BY')
    expect(inputEnvName('a b')).toBe('INPUT_A_B')
  })

  it('parses file commands like the runner', () => {
    expect(parseFileCommand('A=1\nB<<EOF\nx\ny\nEOF\r\nC=\n\nD=e=f\n')).toEqual({ A: '1', B: 'x\ny', C: '', D: 'e=f' })
    expect(parseFileCommand('E<<ghadelimiter_1\r\nv\r\nghadelimiter_1\r\n')).toEqual({ E: 'v' })
    expect(() => parseFileCommand('novalue\n')).toThrow()
    expect(() => parseFileCommand('X<<END\nnever closed\n')).toThrow()
  })

  it('runs a step with a clean env and parses its file commands', async () => {
    const r = await runStep('main', { script: mainScript, inputs: { cache: 'file:///somewhere' }, env: { NIX_CONFIG: 'store = /x' } })
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('main done')
    expect(r.outputs['plain']).toBe('a=b')
    expect(r.outputs['multi']).toBe('line1\nline2')
    expect(r.outputs['skip']).toBe('cache.nixos.org-1')
    expect(r.outputs['cache']).toBe('file:///somewhere')
    expect(r.outputs['cwd']).toBe(r.dirs.workspace)
    expect(r.outputs['env-keys']?.split(',')).toEqual(
      [
        'CI',
        'GITHUB_ACTIONS',
        'GITHUB_ENV',
        'GITHUB_OUTPUT',
        'GITHUB_PATH',
        'GITHUB_STATE',
        'GITHUB_STEP_SUMMARY',
        'GITHUB_WORKSPACE',
        'HOME',
        'NIX_CONFIG',
        'PATH',
        'RUNNER_ARCH',
        'RUNNER_OS',
        'RUNNER_TEMP',
        'RUNNER_TOOL_CACHE',
        'RUNNER_TRACKING_ID'
      ].sort()
    )
    expect(r.outputs['input-keys']?.split(',').sort()).toEqual(Object.keys(readActionInputs()).map(inputEnvName).sort())
    expect(r.stepEnv['GITHUB_OUTPUT']).toContain(join(r.dirs.temp, '_runner_file_commands', 'set_output_'))
    expect(r.state).toEqual({ Token: 'st-1', lines: 'a\nb' })
    expect(r.env['FROM_MAIN']).toBe('yes')
    expect(r.env['NIX_CONFIG']).toBe('store = /x\nextra-substituters = file:///cache')
    expect(r.path).toEqual(['/opt/first/bin', '/opt/second/bin'])
    expect(r.summary).toContain('summary text')
    expect(r.masks).toEqual(['s3cr3t'])
    expect(errorLines(r.stdout)).toEqual(['::error::something bad'])
    expect(warningLines(r.stdout)).toEqual(['::warning::careful'])
    expect(allOutput(r)).toContain('s3cr3t')
    expect(allOutput(r)).toContain('summary text')
  })

  it('models a job: env and path exports, state handed to post', async () => {
    const job = await startJob({
      inputs: { cache: 'file:///c' },
      env: { NIX_CONFIG: 'store = /y', PATH: '/usr/bin:/bin' },
      scripts: { main: mainScript, post: postScript }
    })
    try {
      expect(job.main?.code).toBe(0)
      expect(job.env['FROM_MAIN']).toBe('yes')
      expect(job.env['PATH']).toBe('/opt/second/bin:/opt/first/bin:/usr/bin:/bin')
      expect(job.env['NIX_CONFIG']).toBe('store = /y\nextra-substituters = file:///cache')
      const sh = await job.exec('/bin/sh', ['-c', 'echo "$FROM_MAIN $PWD"'])
      expect(sh.stdout.trim()).toBe(`yes ${job.dirs.workspace}`)
      const post = await job.post()
      expect(post.code).toBe(0)
      expect(post.outputs).toEqual({
        token: 'st-1',
        lines: 'a\nb',
        'from-main': 'yes',
        'nix-config': 'store = /y\nextra-substituters = file:///cache',
        path: '/opt/second/bin:/opt/first/bin:/usr/bin:/bin',
        cache: 'file:///c'
      })
    } finally {
      await job.cleanup()
    }
    expect(existsSync(job.dirs.root)).toBe(false)
  })

  it('reports a failing step and still runs post with its state', async () => {
    const job = await startJob({ inputs: { cache: 'file:///c' }, scripts: { main: failScript, post: postScript } })
    try {
      expect(job.main?.code).toBe(1)
      expect(errorLines(job.main?.stdout ?? '')).toEqual(['::error::boom'])
      expect(job.main?.state).toEqual({ k: 'v' })
      expect((await job.post()).code).toBe(0)
    } finally {
      await job.cleanup()
    }
  })
})
