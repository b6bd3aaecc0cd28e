import { describe, expect, it } from '@jest/globals'
import { exposedCollector, spentBufferCollector, type Collector } from '../../../src/runtime/collector.js'

const MiB = 2 ** 20

/** Waits (up to 2 s) until the count of ArrayBuffer memory stops changing. */
async function settled(): Promise<void> {
  let last = -1
  for (let waited = 0; waited < 2000; waited += 50) {
    const now = process.memoryUsage().arrayBuffers
    if (now === last) return
    last = now
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

describe('collecting the spent buffers of a push', () => {
  it('frees Buffers that died young with a scavenge alone', async () => {
    const gc = exposedCollector()
    expect(gc).toBeDefined()
    const calls: string[] = []
    const counting: Collector = (o) => {
      calls.push(o?.type ?? 'full')
      gc!(o)
    }
    const collect = spentBufferCollector(counting, 512 * MiB)
    gc!()
    // V8 frees dead ArrayBuffers' memory on a background thread after a collection: in a busy
    // test worker the count settles a moment later.
    await settled()
    const base = process.memoryUsage().arrayBuffers
    // What a compressor leaves behind: fresh output buffers, read once and dropped.
    for (let i = 0; i < 48; i++) Buffer.allocUnsafe(MiB).fill(i)
    expect(process.memoryUsage().arrayBuffers - base).toBeGreaterThan(32 * MiB)
    collect()
    await settled()
    expect(process.memoryUsage().arrayBuffers - base).toBeLessThan(8 * MiB)
    expect(calls).toEqual(['minor'])
  })

  it('runs a full collection only once Buffers grew by the slack since the last one', () => {
    const calls: string[] = []
    const gc: Collector = (o) => void calls.push(o?.type ?? 'full')
    const held: Buffer[] = [Buffer.alloc(24 * MiB)]
    const collect = spentBufferCollector(gc, 16 * MiB)
    // More than the slack above nothing: full. The same again: what it holds is its floor now.
    collect()
    collect()
    expect(calls).toEqual(['minor', 'full', 'minor'])
    // Buffers that outlived the scavenges (nothing frees them in this fake): full once past the slack.
    held.push(Buffer.alloc(8 * MiB))
    collect()
    held.push(Buffer.alloc(12 * MiB))
    collect()
    expect(calls).toEqual(['minor', 'full', 'minor', 'minor', 'minor', 'full'])
    expect(held).toHaveLength(3)
  })
})
