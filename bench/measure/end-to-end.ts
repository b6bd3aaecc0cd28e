// End to end on the large-NAR workload (issues 13 and 22): the post step of a job that pushes the
// 9 large paths, minus the post step of a job with nothing to push on the same store, against
// `zstd -T0 -3` over the same NARs in the same round; to file:// and over HTTP (nginx, WebDAV PUT).
//
// Each round: the 9 paths are deleted from the store; a job runs its main step, imports them
// (as a build would produce them) and runs its post step with the paths as `installables`.
// A second job runs main and post with the paths already there, so it pushes nothing: its post
// step is the fixed cost (start-up, snapshot, diff) that the difference removes.
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { removeTree } from '../../__tests__/helpers/nix-store.js'
import { startNginx } from '../../__tests__/helpers/nginx.js'
import { BenchJob, numberOutput, type JobContext } from '../lib/job.js'
import { log } from '../lib/log.js'
import { summarise, type Sample } from '../lib/stats.js'
import { timeOk } from '../lib/timing.js'
import type { NarWorkload } from '../workloads/nars.js'

export interface EndToEndTarget {
  postPush: Sample
  postIdle: Sample
  /** (post step pushing − post step with nothing to push) ÷ zstd's time, run by run. */
  timesZstd: Sample
  /** Peak RSS of the pushing post step, bytes. */
  rssPost: Sample
}

export interface EndToEndFigures extends EndToEndTarget {
  zstd: Sample
  /** The same over HTTP (the figures above are file://). */
  http: EndToEndTarget
}

export async function measureEndToEnd(opts: {
  nars: NarWorkload
  secretKey: string
  runs: number
  ctx: JobContext
  scratch: string
}): Promise<EndToEndFigures> {
  const { nars, ctx } = opts
  const store = nars.store
  await mkdir(opts.scratch, { recursive: true })
  const exportFile = join(opts.scratch, 'nars.closure')
  await store.runOk('/bin/sh', ['-c', 'out="$1"; shift; nix-store --export "$@" > "$out"', 'sh', exportFile, ...nars.paths])
  const inputs = (cache: string): Record<string, string> => ({
    cache,
    'secret-key': opts.secretKey,
    installables: nars.paths.join('\n'),
    // The post step's upload is what is measured: the agent (which runs with installables too) would take it over.
    'push-during-build': 'false'
  })
  const series = (): Record<'push' | 'idle' | 'ratio' | 'rss', number[]> => ({ push: [], idle: [], ratio: [], rss: [] })
  const zstdTimes: number[] = []
  const file = series()
  const http = series()
  const restore = async (): Promise<void> => {
    const missing = (await store.run('nix-store', ['--check-validity', ...nars.paths])).code !== 0
    if (missing) await store.runOk('/bin/sh', ['-c', 'nix-store --import < "$1" > /dev/null', 'sh', exportFile])
  }
  /** One pushing job and one idle job against fresh caches from `cacheAt`; returns the difference. */
  const round = async (t: ReturnType<typeof series>, name: string, cacheAt: (tag: string) => Promise<{ uri: string; remove(): Promise<void> }>): Promise<number> => {
    await store.runOk('nix-store', ['--delete', ...nars.paths])
    const cache = await cacheAt('push')
    const job = await BenchJob.create(ctx, inputs(cache.uri), store.env)
    await job.main()
    await job.execOk('/bin/sh', ['-c', 'nix-store --import < "$1" > /dev/null', 'sh', exportFile])
    const post = await job.post()
    if (numberOutput(post, 'pushed-count') !== nars.paths.length) throw new Error(`the ${name} job pushed ${post.result.outputs['pushed-count']} paths:\n${post.result.stdout.slice(-2000)}`)
    await job.cleanup()
    await cache.remove()

    const idleCache = await cacheAt('idle')
    const idle = await BenchJob.create(ctx, inputs(idleCache.uri), store.env)
    await idle.main()
    const idlePost = await idle.post()
    if (numberOutput(idlePost, 'pushed-count') !== 0) throw new Error(`the idle ${name} job pushed something`)
    await idle.cleanup()
    await idleCache.remove()
    t.push.push(post.seconds)
    t.idle.push(idlePost.seconds)
    t.rss.push(post.maxRss)
    return post.seconds - idlePost.seconds
  }
  const httpRoot = join(opts.scratch, 'http-root')
  const nginx = await startNginx({ root: httpRoot })
  try {
    for (let i = 0; i < opts.runs; i++) {
      const zOut = join(opts.scratch, 'zstd.out')
      const z = await timeOk('/bin/sh', ['-c', 'out="$1"; shift; zstd -T0 -3 -q -c "$@" > "$out"', 'sh', zOut, ...nars.nars], { env: store.env })
      await rm(zOut)
      zstdTimes.push(z)
      const f = await round(file, 'file://', async (tag) => {
        const dir = join(opts.scratch, `cache-${tag}-${i}`)
        return { uri: `file://${dir}`, remove: () => removeTree(dir) }
      })
      file.ratio.push(f / z)
      const h = await round(http, 'HTTP', async (tag) => ({ uri: `${nginx.url}/${tag}-${i}`, remove: () => removeTree(join(httpRoot, `${tag}-${i}`)) }))
      http.ratio.push(h / z)
      log(`  end to end ${i + 1}/${opts.runs}: zstd ${z.toFixed(2)} s; file:// post ${file.push[i]!.toFixed(2)} s − idle ${file.idle[i]!.toFixed(2)} s = ${file.ratio[i]!.toFixed(2)} × zstd; HTTP post ${http.push[i]!.toFixed(2)} s − idle ${http.idle[i]!.toFixed(2)} s = ${http.ratio[i]!.toFixed(2)} × zstd`)
    }
  } finally {
    await nginx.stop()
    await removeTree(httpRoot)
    await restore()
    await rm(exportFile, { force: true })
  }
  const figures = (t: ReturnType<typeof series>): EndToEndTarget => ({ postPush: summarise(t.push), postIdle: summarise(t.idle), timesZstd: summarise(t.ratio), rssPost: summarise(t.rss) })
  return { zstd: summarise(zstdTimes), ...figures(file), http: figures(http) }
}
