// End to end on the large-NAR workload (issue 13): the post step of a job that pushes the 9
// large paths, minus the post step of a job with nothing to push on the same store, against
// `zstd -T0 -3` over the same NARs in the same round.
//
// Each round: the 9 paths are deleted from the store; a job runs its main step, imports them
// (as a build would produce them) and runs its post step with the paths as `installables`.
// A second job runs main and post with the paths already there, so it pushes nothing: its post
// step is the fixed cost (start-up, snapshot, diff) that the difference removes.
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { removeTree } from '../../__tests__/helpers/nix-store.js'
import { BenchJob, numberOutput, type JobContext } from '../lib/job.js'
import { log } from '../lib/log.js'
import { summarise, type Sample } from '../lib/stats.js'
import { timeOk } from '../lib/timing.js'
import type { NarWorkload } from '../workloads/nars.js'

export interface EndToEndFigures {
  zstd: Sample
  postPush: Sample
  postIdle: Sample
  /** (post step pushing − post step with nothing to push) ÷ zstd's time, run by run. */
  timesZstd: Sample
  /** Peak RSS of the pushing post step, bytes. */
  rssPost: Sample
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
    cache: `file://${cache}`,
    'secret-key': opts.secretKey,
    installables: nars.paths.join('\n'),
    // The post step's upload is what is measured: the agent (which runs with installables too) would take it over.
    'push-during-build': 'false'
  })
  const t = { zstd: [] as number[], push: [] as number[], idle: [] as number[], ratio: [] as number[], rss: [] as number[] }
  const restore = async (): Promise<void> => {
    const missing = (await store.run('nix-store', ['--check-validity', ...nars.paths])).code !== 0
    if (missing) await store.runOk('/bin/sh', ['-c', 'nix-store --import < "$1" > /dev/null', 'sh', exportFile])
  }
  try {
    for (let i = 0; i < opts.runs; i++) {
      const zOut = join(opts.scratch, 'zstd.out')
      const z = await timeOk('/bin/sh', ['-c', 'out="$1"; shift; zstd -T0 -3 -q -c "$@" > "$out"', 'sh', zOut, ...nars.nars], { env: store.env })
      await rm(zOut)

      await store.runOk('nix-store', ['--delete', ...nars.paths])
      const cache = join(opts.scratch, `cache-${i}`)
      const job = await BenchJob.create(ctx, inputs(cache), store.env)
      await job.main()
      await job.execOk('/bin/sh', ['-c', 'nix-store --import < "$1" > /dev/null', 'sh', exportFile])
      const post = await job.post()
      if (numberOutput(post, 'pushed-count') !== nars.paths.length) throw new Error(`the job pushed ${post.result.outputs['pushed-count']} paths:\n${post.result.stdout.slice(-2000)}`)
      await job.cleanup()
      await removeTree(cache)

      const idleCache = join(opts.scratch, `cache-idle-${i}`)
      const idle = await BenchJob.create(ctx, inputs(idleCache), store.env)
      await idle.main()
      const idlePost = await idle.post()
      if (numberOutput(idlePost, 'pushed-count') !== 0) throw new Error('the idle job pushed something')
      await idle.cleanup()
      await removeTree(idleCache)

      t.zstd.push(z)
      t.push.push(post.seconds)
      t.idle.push(idlePost.seconds)
      t.ratio.push((post.seconds - idlePost.seconds) / z)
      t.rss.push(post.maxRss)
      log(`  end to end ${i + 1}/${opts.runs}: zstd ${z.toFixed(2)} s, post pushing ${post.seconds.toFixed(2)} s, post idle ${idlePost.seconds.toFixed(2)} s: ${t.ratio[i]!.toFixed(2)} × zstd`)
    }
  } finally {
    await restore()
    await rm(exportFile, { force: true })
  }
  return { zstd: summarise(t.zstd), postPush: summarise(t.push), postIdle: summarise(t.idle), timesZstd: summarise(t.ratio), rssPost: summarise(t.rss) }
}
