import { describe, expect, it } from '@jest/globals'
import { exposedCollector, spentBufferCollector, type Collector } from '../../../src/runtime/collector.js'

const MiB = 2 ** 20

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
    const base = process.memoryUsage().arrayBuffers
    // What a compressor leaves behind: fresh output buffers, read once and dropped.
    for (let i = 0; i < 48; i++) Buffer.allocUnsafe(MiB).fill(i)
    expect(process.memoryUsage().arrayBuffers - base).toBeGreaterThan(32 * MiB)
    collect()
    // V8 frees the memory of dead ArrayBuffers on a background thread after the scavenge: in a
    // busy test worker the count drops a moment later.
    for (let waited = 0; process.memoryUsage().arrayBuffers - base >= 8 * MiB && waited < 2000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
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
