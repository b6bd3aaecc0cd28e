// (a) and (d): wall time and peak RSS of our main and post steps, run as real processes under
// the runner contract, on a big store. Three kinds of job, interleaved run by run so that
// background load hits them alike:
//   idle   main, then post with nothing new in the store (nothing to push)
//   new    main, import 1,000 new paths (500 derivations and their outputs), post: the post step
//          finds them, takes the derivations as roots, and pushes the 500 outputs to a file:// cache
//   bare   post with no state from main: Node 24 loading our bundle, reading inputs and exiting
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { removeTree } from '../../__tests__/helpers/nix-store.js'
import { BenchJob, numberOutput, type JobContext } from '../lib/job.js'
import { log } from '../lib/log.js'
import { summarise, type Sample } from '../lib/stats.js'
import type { BenchStore } from '../lib/store.js'
import { NEW_DERIVATIONS, type NewPaths } from '../workloads/new-paths.js'

export interface StepFigures {
  paths: number
  mainIdle: Sample
  postIdle: Sample
  mainNew: Sample
  postNew: Sample
  bare: Sample
  rss: { main: Sample; postIdle: Sample; postNew: Sample; bare: Sample }
  /** Paths the post step pushed in the `new` job (the 500 outputs). */
  pushedNew: number
}

export async function measureSteps(opts: {
  store: BenchStore
  paths: number
  newPaths: NewPaths
  secretKey: string
  runs: number
  ctx: JobContext
  scratch: string
}): Promise<StepFigures> {
  const { store, runs, ctx } = opts
  const t: Record<'mainIdle' | 'postIdle' | 'mainNew' | 'postNew' | 'bare', number[]> = {
    mainIdle: [],
    postIdle: [],
    mainNew: [],
    postNew: [],
    bare: []
  }
  const rss: Record<'main' | 'postIdle' | 'postNew' | 'bare', number[]> = { main: [], postIdle: [], postNew: [], bare: [] }
  let pushedNew = 0
  await mkdir(opts.scratch, { recursive: true })
  const inputs = (cache: string): Record<string, string> => ({ cache: `file://${cache}`, 'secret-key': opts.secretKey })

  for (let i = 0; i < runs; i++) {
    const idle = await BenchJob.create(ctx, inputs(join(opts.scratch, 'cache-idle')), store.env)
    const m = await idle.main()
    const p = await idle.post()
    if (numberOutput(p, 'pushed-count') !== 0) throw new Error('the idle job pushed something')
    t.mainIdle.push(m.seconds)
    t.postIdle.push(p.seconds)
    rss.main.push(m.maxRss)
    rss.postIdle.push(p.maxRss)
    await idle.cleanup()

    const cache = join(opts.scratch, `cache-new-${i}`)
    const fresh = await BenchJob.create(ctx, inputs(cache), store.env)
    const mn = await fresh.main()
    await fresh.execOk('/bin/sh', ['-c', 'nix-store --import < "$1" > /dev/null', 'sh', opts.newPaths.exportFile])
    try {
      const pn = await fresh.post()
      pushedNew = numberOutput(pn, 'pushed-count')
      if (pushedNew !== NEW_DERIVATIONS) throw new Error(`the job with new paths pushed ${pushedNew} paths, expected ${NEW_DERIVATIONS}:\n${pn.result.stdout.slice(-2000)}`)
      t.mainNew.push(mn.seconds)
      t.postNew.push(pn.seconds)
      rss.postNew.push(pn.maxRss)
    } finally {
      // Back to the original store, so every run (and the next bench) starts from the same state.
      await fresh.execOk('nix-store', ['--delete', ...opts.newPaths.paths])
      await removeTree(cache)
      await fresh.cleanup()
    }

    const bare = await BenchJob.create(ctx, inputs(join(opts.scratch, 'cache-idle')), store.env)
    const b = await bare.post()
    t.bare.push(b.seconds)
    rss.bare.push(b.maxRss)
    await bare.cleanup()
    log(`  ${opts.paths} paths, run ${i + 1}/${runs}: main ${m.seconds.toFixed(3)} s, post idle ${p.seconds.toFixed(3)} s, post with 1,000 new ${t.postNew[i]?.toFixed(3)} s, bare ${b.seconds.toFixed(3)} s`)
  }
  return {
    paths: opts.paths,
    mainIdle: summarise(t.mainIdle),
    postIdle: summarise(t.postIdle),
    mainNew: summarise(t.mainNew),
    postNew: summarise(t.postNew),
    bare: summarise(t.bare),
    rss: { main: summarise(rss.main), postIdle: summarise(rss.postIdle), postNew: summarise(rss.postNew), bare: summarise(rss.bare) },
    pushedNew
  }
}
