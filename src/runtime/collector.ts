import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/** V8's `gc`: a full collection with no argument, a scavenge of the young generation with `{ type: 'minor' }`. */
export type Collector = (options?: { type: 'minor' | 'major' }) => void

/**
 * V8's collector, for a process that must stay small and cannot be started with --expose-gc
 * (the action's post step, which the runner starts): the flag set at run time makes `gc`
 * visible in contexts created after it. Undefined where the engine refuses.
 *
 * Why: V8 starts a collection for external memory (Buffers) only once 64 MiB of it has piled
 * up, and a push leaves that much garbage in compressor output buffers within a second.
 */
export function exposedCollector(): Collector | undefined {
  const visible = (globalThis as { gc?: Collector }).gc
  if (visible) return visible
  try {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as unknown
    return typeof gc === 'function' ? (gc as Collector) : undefined
  } catch {
    return undefined
  }
}

/**
 * Frees spent buffers cheaply: a scavenge, which takes the compressor's output buffers (they die
 * young), and a full collection only once Buffers hold `slackBytes` more than they did after the
 * last one (what the scavenges missed: buffers that lived long enough to be promoted).
 *
 * A full collection after every 4 MiB frame kept the post step small but cost half its CPU time
 * (2.3 of 4.7 s pushing 586 MB to file://, 146 collections). A fixed limit does not fit every
 * backend: the S3 writer's part buffers alone hold 32 MiB, so 64 MiB meant a full collection per
 * frame there, and 96 MiB let an HTTP push reach 255 MB. Measured against the last full
 * collection, two or three full ones remain per push (docs/BENCHMARKS.md).
 */
export function spentBufferCollector(gc: Collector, slackBytes: number): () => void {
  let floor = 0
  return () => {
    gc({ type: 'minor' })
    if (process.memoryUsage().arrayBuffers <= floor + slackBytes) return
    gc()
    floor = process.memoryUsage().arrayBuffers
  }
}
