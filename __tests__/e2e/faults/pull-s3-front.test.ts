// An S3 cache the job pulls from is fronted by the agent too (issue 20): the job's Nix reads the
// bucket as a plain HTTP cache on loopback, the agent signs the S3 requests with its own AWS
// credentials, and an endpoint that dies during the job costs the build one idle timeout of the
// agent, not the S3 client's minutes. Debian's Nix 2.8 has no S3 support at all: through the
// front it pulls from the bucket anyway, which is what these tests use. s3rver runs in a process
// of its own, so that it can be frozen (SIGSTOP): connections accepted, nothing answered.
import { describe, expect, it } from '@jest/globals'
import { existsSync } from 'node:fs'
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { UPSTREAM_KEY_NAME, graphPaths, writeGraph } from '../../helpers/graph.js'
import { builtDerivations, countBuilt, createTestStore, substitutedPaths } from '../../helpers/nix-store.js'
import { node24, startJob, warningLines } from '../../helpers/runner.js'
import { useGraphWorld } from '../../helpers/scenario.js'
import { CLI, jsonResult, tinyNix, until } from '../../helpers/cli.js'
import { runProcess } from '../../helpers/proc.js'
import { S3_CREDENTIALS } from '../../helpers/s3-server.js'
import { startS3ServerProcess, type S3ServerProcess } from '../../helpers/s3-server-process.js'

const world = useGraphWorld('e2e-pull-s3-front-')

/** Short limits: an idle attempt is abandoned after 1.5 s, a failing cache may cost the job 6 s. */
const BUDGET_MS = 6_000
const TIMEOUTS = JSON.stringify({ idleMs: 1_500, jobBudgetMs: BUDGET_MS, retryBaseDelayMs: 100, retryMaxDelayMs: 400 })
/** The budget, an idle timeout already running when it ran out, and the steps' own work (Nix, the build). */
const WHOLE_JOB_MS = BUDGET_MS + 1_500 + 25_000
const AWS_ENV = { AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey }
const FRONT_URL = /^extra-substituters = (http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32})$/m

/** Every file of a file:// binary cache, as objects of the bucket under the same keys. */
async function upload(s3: S3ServerProcess, cacheDir: string): Promise<void> {
  for (const entry of await readdir(cacheDir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const file = join(entry.parentPath, entry.name)
    const key = relative(cacheDir, file)
    await s3.put(key, await readFile(file), key.endsWith('.narinfo') ? 'text/x-nix-narinfo' : undefined)
  }
}

/** The bucket's keys the job's Nix asked for (through the agent), each with what it got. */
const narinfoReads = (s3: S3ServerProcess, hashPart: string): { status: number; signed: boolean }[] =>
  s3.requests.filter((r) => r.method === 'GET' && r.url.startsWith(`/${s3.bucket}/${hashPart}.narinfo`))

const hashOf = (storePath: string): string => storePath.slice('/nix/store/'.length, '/nix/store/'.length + 32)

describe('a job pulling from a live S3 cache, through the agent', () => {
  it('substitutes what the bucket holds with this Nix that has no S3 support, checks the cache’s signatures, and Nix never sees the credentials', async () => {
    const s3 = await startS3ServerProcess({ bucket: 'nbc-pull' })
    const store = await createTestStore()
    try {
      // The bucket: upstream and upstreamLib signed by the upstream key the job trusts, and the
      // build tool signed by a key it does not (the world's job key, not given to this job).
      await upload(s3, world.upstream.dir)
      const strangerCache = join(world.dir, 'stranger-cache')
      const other = await createTestStore()
      try {
        const otherGraph = await writeGraph(other.root, 'v1')
        const { outPaths } = await other.build(otherGraph, 'tool')
        await other.runOk('nix', ['copy', '--to', `file://${strangerCache}?secret-key=${world.keys.secretFile}&compression=none`, ...outPaths])
      } finally {
        await other.cleanup()
      }
      await upload(s3, strangerCache)

      const nixFile = await writeGraph(store.root, 'v1')
      const paths = await graphPaths(nixFile, store)
      const j = await startJob({
        env: { ...store.env, ...AWS_ENV, NIX_BUILDTIME_CACHE_TEST_TIMEOUTS: TIMEOUTS },
        // Pull only: no secret-key, so the agent runs for the front alone.
        inputs: { cache: s3.s3Uri, 'public-keys': world.upstream.publicKey }
      })
      try {
        expect(j.main?.code).toBe(0)
        expect(warningLines(j.main!.stdout)).toEqual([])
        const nixConfig = j.env.NIX_CONFIG ?? ''
        const front = FRONT_URL.exec(nixConfig)?.[1]
        expect(front).toBeDefined()
        expect(nixConfig).not.toContain('s3://')
        expect(nixConfig).not.toContain(s3.url)
        expect(nixConfig).toContain(world.upstream.publicKey)

        const build = await j.exec('nix-build', [nixFile, '-A', 'top', '--no-out-link'], { timeoutMs: 90_000 })
        expect(build.code).toBe(0)
        // What the bucket holds under a trusted key comes from it, through the agent; none of it is built.
        const substituted = substitutedPaths(build.stderr)
        expect(substituted.filter((s) => s.from === front).map((s) => s.path).sort()).toEqual([paths.upstream, paths.upstreamLib].sort())
        const built = builtDerivations(build.stderr)
        expect(built.some((d) => d.endsWith('-upstream-compiler.drv') || d.endsWith('-upstream-lib.drv'))).toBe(false)
        // The tool was offered (its narinfo read, signed, 200), refused for its signature, and built.
        expect(narinfoReads(s3, hashOf(paths.tool))).toContainEqual(expect.objectContaining({ status: 200, signed: true }))
        // 2.8: "the substitute for '…' from '…' is not signed by any of the keys"; 2.34: "ignoring substitute for '…' from '…', as it's not signed by any of the keys".
        const refused = build.stderr.split('\n').filter((l) => l.startsWith('warning:') && l.includes(`substitute for '${paths.tool}' from '${front}'`))
        expect(refused).toHaveLength(1)
        expect(refused[0]).toMatch(/not signed by any of the keys in 'trusted-public-keys'/)
        expect(substituted.map((s) => s.path)).not.toContain(paths.tool)
        expect(built.some((d) => d.endsWith('-build-tool.drv'))).toBe(true)
        // Every read of the cache's objects was the agent's, signed (only the main step's probe is not).
        const reads = s3.requests.filter((r) => r.method === 'GET' && /\.narinfo|\/nar\//.test(r.url))
        expect(reads.length).toBeGreaterThan(2)
        expect(reads.filter((r) => !r.signed)).toEqual([])

        const post = await j.post()
        expect(post.code).toBe(0)
        expect(warningLines(post.stdout)).toEqual([])
        for (const out of [j.main!.stdout, j.main!.stderr, post.stdout, post.stderr, build.stderr, nixConfig]) {
          expect(out).not.toContain(S3_CREDENTIALS.secretAccessKey)
        }
      } finally {
        await j.cleanup()
      }
    } finally {
      await s3.stop()
      await store.cleanup()
    }
  })
})

/** A bucket with the store's nix-cache-info, alive for the main step's probe (or `start`'s) until frozen. */
async function bucketThatWillDie(bucket: string): Promise<S3ServerProcess> {
  const s3 = await startS3ServerProcess({ bucket })
  await s3.put('nix-cache-info', 'StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 30\n', 'text/x-nix-cache-info')
  return s3
}

/** The agent's front gave the bucket up: its line, repeated by the post step (or push) as information. */
const FRONT_GAVE_UP = /Background agent: The cache stopped answering the job's Nix \(no answer for 1\.5 s from s3:\/\/nbc-dies[^/]*\/[^)]*\): for the rest of the job, Nix builds what it would have pulled from it\./

describe('an S3 cache that answers at first, then stops answering while the job builds (pulled through the agent)', () => {
  it('the action: the build gets "not here" within seconds and builds; the job ends green within its bound, with one warning', async () => {
    const s3 = await bucketThatWillDie('nbc-dies-action')
    const store = await createTestStore({ extraConfig: world.upstream.nixConfig })
    try {
      const nixFile = await writeGraph(store.root, 'v1')
      const j = await startJob({
        env: { ...store.env, ...AWS_ENV, NIX_BUILDTIME_CACHE_TEST_TIMEOUTS: TIMEOUTS },
        inputs: { cache: s3.s3Uri, 'secret-key': world.keys.secret, 'skip-signed-by': UPSTREAM_KEY_NAME }
      })
      try {
        expect(j.main?.code).toBe(0)
        expect(warningLines(j.main!.stdout)).toEqual([])
        // Nix pulls from the agent on loopback, not from the bucket itself.
        const nixConfig = j.env.NIX_CONFIG ?? ''
        expect(nixConfig).toMatch(FRONT_URL)
        expect(nixConfig).not.toContain('s3://')

        const troubleAt = Date.now()
        s3.freeze()
        const build = await j.exec('nix-build', [nixFile, '-A', 'job', '--no-out-link'], { timeoutMs: 90_000 })
        expect(build.code).toBe(0)
        expect(countBuilt(build.stderr)).toBeGreaterThan(0)
        // One idle timeout of the agent (1.5 s here), not the S3 client's minutes.
        expect(Date.now() - troubleAt).toBeLessThan(30_000)

        const post = await j.post()
        expect(post.code).toBe(0)
        expect(post.stdout).toMatch(FRONT_GAVE_UP)
        const warnings = warningLines(post.stdout)
        expect(warnings).toHaveLength(1)
        expect(warnings[0]).toMatch(/the cache kept failing for 6\.0 s in this job|the cache was given up on/)
        expect(Date.now() - troubleAt).toBeLessThan(WHOLE_JOB_MS)
      } finally {
        await j.cleanup()
      }
    } finally {
      await s3.stop()
      await store.cleanup()
    }
  })

  it('the CLI (start, the build, push, in one CI script): the build builds within seconds; push ends green within the bound, with one warning', async () => {
    const s3 = await bucketThatWillDie('nbc-dies-cli')
    const store = await createTestStore()
    const stateDir = join(world.dir, 'state-cli-s3-dies')
    await mkdir(stateDir)
    const mark = (name: string): string => join(stateDir, name)
    // The CI script: `start`, its settings sourced; the build once the test has frozen the bucket; `push`.
    const script = [
      '"$NODE" "$CLI" start --cache "$CACHE" --secret-key-file "$KEY" --state-dir "$STATE" --dotenv "$STATE/env" 2>"$STATE/start.err" || exit 1',
      'set -a; . "$STATE/env"; set +a',
      'printf %s "$NIX_CONFIG" > "$STATE/nix-config"',
      'until [ -e "$STATE/dead" ]; do sleep 0.05; done',
      'nix-build "$A" --no-out-link 2>"$STATE/build.err" || exit 2',
      'touch "$STATE/built"',
      'exec "$NODE" "$CLI" push --state-dir "$STATE" --json'
    ].join('\n')
    const env = { ...store.env, ...AWS_ENV, NIX_BUILDTIME_CACHE_TEST_TIMEOUTS: TIMEOUTS }
    try {
      const run = runProcess('sh', ['-c', script], {
        env: { ...env, NODE: node24(), CLI, KEY: world.keys.secretFile, CACHE: s3.s3Uri, STATE: stateDir, A: await tinyNix(store.root, 's3-cache-dies-under-the-cli') },
        cwd: store.root,
        timeoutMs: 110_000
      })
      await until(() => existsSync(mark('nix-config')), 30_000)
      expect(await readFile(mark('start.err'), 'utf8')).not.toMatch(/^warning:/m)
      expect(await readFile(mark('nix-config'), 'utf8')).toMatch(FRONT_URL)

      const troubleAt = Date.now()
      s3.freeze()
      await writeFile(mark('dead'), '')
      await until(() => existsSync(mark('built')), 90_000)
      // One idle timeout of the agent (1.5 s here), not the S3 client's minutes.
      expect(existsSync(mark('built'))).toBe(true)
      expect(Date.now() - troubleAt).toBeLessThan(30_000)
      expect(countBuilt(await readFile(mark('build.err'), 'utf8'))).toBe(1)

      const push = await run
      expect(push.code).toBe(0)
      expect(jsonResult(push.stdout)).toMatchObject({ status: 0 })
      expect(push.stderr).toMatch(FRONT_GAVE_UP)
      expect(push.stderr.split('\n').filter((l) => l.startsWith('warning:'))).toHaveLength(1)
      expect(Date.now() - troubleAt).toBeLessThan(WHOLE_JOB_MS)
    } finally {
      await s3.stop()
      await store.cleanup()
    }
  })
})
