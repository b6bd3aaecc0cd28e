// The post step's peak memory when it pushes large NARs to the caches that stream them (S3,
// HTTP): measured as the runner runs it (`node dist/post.js`), as the kernel's VmHWM.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { chmod, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { NIX_PRELUDE } from '../../helpers/graph.js'
import { createTestStore, type TestStore } from '../../helpers/nix-store.js'
import { node24, startJob, warningLines } from '../../helpers/runner.js'
import { startNginx, type Nginx } from '../../helpers/nginx.js'
import { S3_CREDENTIALS, startS3Server, type S3Server } from '../../helpers/s3-server.js'
import { useGraphWorld } from '../../helpers/scenario.js'

const world = useGraphWorld('e2e-push-memory-')
const MiB = 1024 * 1024
/** The bound for a 586 MB push, on every backend. */
const LIMIT = 256e6

// Eight 48 MiB incompressible outputs, 384 MiB of NARs: with 8 parallel uploads each holding 4
// parts of 8 MiB (the SDK's uploader), part buffers alone would take 256 MiB.
const bigNix = (tag: string): string => `let
${NIX_PRELUDE}
  big = n: mk "big-${tag}-\${n}" ''
    \${bb} mkdir -p $out
    \${bb} head -c ${48 * MiB} /dev/urandom > $out/blob
  '' {};
in map big [ "1" "2" "3" "4" "5" "6" "7" "8" ]
`

let store: TestStore
let s3: S3Server
let nginx: Nginx

beforeAll(async () => {
  store = await createTestStore()
  s3 = await startS3Server({ bucket: 'memory' })
  nginx = await startNginx({ root: join(world.dir, 'www') })
}, 60_000)
afterAll(async () => {
  await s3?.stop()
  await nginx?.stop()
  await store?.cleanup()
})

/**
 * Node 24 writing the step's peak RSS (KiB) to `file` as it exits: VmHWM of its own memory, read
 * by a preloaded module, since a fresh Debian has no GNU time. Not ru_maxrss: Linux carries a
 * process's high-water mark across exec, so that would report the test worker's, which forked it.
 */
async function measuredNode(file: string): Promise<string> {
  const stamp = Date.now()
  const preload = join(world.dir, `maxrss-${stamp}.mjs`)
  // Only the post step writes it (the agent, a child of the main step, runs this Node too).
  const record = `if (process.argv[1]?.endsWith('post.js')) process.on('exit', () => writeFileSync(${JSON.stringify(file)}, /VmHWM:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]))`
  await writeFile(preload, `import { readFileSync, writeFileSync } from 'node:fs'\n${record}\n`)
  const wrapper = join(world.dir, `node-maxrss-${stamp}`)
  // bash, not sh: dash drops variables whose names are not identifiers, such as INPUT_SECRET-KEY.
  await writeFile(wrapper, `#!/bin/bash\nexec ${node24()} --import ${JSON.stringify(pathToFileURL(preload).href)} "$@"\n`)
  await chmod(wrapper, 0o755)
  return wrapper
}

async function pushPeak(cache: string, env: NodeJS.ProcessEnv, tag: string): Promise<number> {
  const nixFile = join(store.root, `big-${tag}.nix`)
  // Outputs of their own: the paths another test built are not new to this job.
  await writeFile(nixFile, bigNix(tag))
  const rssFile = join(world.dir, `maxrss-${tag}`)
  const job = await startJob({
    env: { ...store.env, ...env },
    inputs: { cache, 'secret-key': world.keys.secret, 'push-during-build': 'false' },
    node: await measuredNode(rssFile),
    timeoutMs: 300_000
  })
  expect(job.main?.code).toBe(0)
  const build = await job.exec('nix-build', [nixFile, '--no-out-link', '--max-jobs', '2'])
  expect(build.code).toBe(0)
  const post = await job.post()
  expect(post.code).toBe(0)
  expect(warningLines(post.stdout)).toEqual([])
  expect(post.outputs['pushed-count']).toBe('8')
  await job.cleanup()
  return Number((await readFile(rssFile, 'utf8')).trim()) * 1024
}

describe('the post step pushing 384 MiB of large NARs', () => {
  it(`stays within ${LIMIT / 1e6} MB pushing to S3`, async () => {
    const peak = await pushPeak(s3.s3Uri(), { AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey, AWS_EC2_METADATA_DISABLED: 'true' }, 's3')
    process.stdout.write(`post step peak RSS, S3: ${(peak / 1e6).toFixed(0)} MB\n`)
    expect(peak).toBeLessThanOrEqual(LIMIT)
  }, 300_000)

  it(`stays within ${LIMIT / 1e6} MB pushing over HTTP`, async () => {
    const peak = await pushPeak(`${nginx.url}/cache`, {}, 'http')
    process.stdout.write(`post step peak RSS, HTTP: ${(peak / 1e6).toFixed(0)} MB\n`)
    expect(peak).toBeLessThanOrEqual(LIMIT)
  }, 300_000)
})
