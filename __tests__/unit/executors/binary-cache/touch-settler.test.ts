import { describe, expect, it } from '@jest/globals'
import { TouchSettler, type SettlerIO } from '../../../../src/executors/binary-cache/touch-settler.js'

// The settler's rule (gc-window.ts), over a cache that answers from a table: what a push pays
// when no GC is deleting, and what it checks when one is.
const WINDOW_MS = 200

function cache(heartbeatAgeMs: number | undefined, present: Set<string>): SettlerIO & { heartbeatReads: number; asked: string[] } {
  const io = {
    heartbeatReads: 0,
    asked: [] as string[],
    heartbeatAge: async () => {
      io.heartbeatReads++
      return heartbeatAgeMs
    },
    exists: async (key: string) => {
      io.asked.push(key)
      return present.has(key)
    }
  }
  return io
}

describe('TouchSettler', () => {
  it('asks nothing again when no GC has ever deleted, reading the heartbeat once for every path that relies on earlier touches', async () => {
    const io = cache(undefined, new Set())
    const s = new TouchSettler(io, WINDOW_MS)
    for (const k of ['a.narinfo', 'b.narinfo', 'nar/c.nar.zst']) s.touched(k, performance.now())
    const answers = await Promise.all([s.settle(['a.narinfo', 'nar/c.nar.zst']), s.settle(['b.narinfo']), s.settle(['x.narinfo'])])
    expect({ gone: answers.map((g) => [...g]), reads: io.heartbeatReads, asked: io.asked }).toEqual({ gone: [[], [], []], reads: 1, asked: [] })
  })

  it('asks nothing again when the last GC stopped deleting well before the touches', async () => {
    const io = cache(60_000, new Set())
    const s = new TouchSettler(io, WINDOW_MS)
    s.touched('a.narinfo', performance.now())
    expect([...(await s.settle(['a.narinfo']))]).toEqual([])
    expect(io.asked).toEqual([])
  })

  it('after a GC deleted around the touches, waits out the window, then names what is gone until it is written again', async () => {
    const io = cache(0, new Set(['kept.narinfo']))
    const told: number[] = []
    const s = new TouchSettler(io, WINDOW_MS, undefined, (w) => told.push(w))
    const touchedAt = performance.now()
    s.touched('kept.narinfo', touchedAt)
    s.touched('nar/taken.nar.zst', touchedAt)
    const gone = await s.settle(['kept.narinfo', 'nar/taken.nar.zst', 'untouched.narinfo'])
    expect({ gone: [...gone], waited: performance.now() - touchedAt >= WINDOW_MS, asked: io.asked.sort() }).toEqual({
      gone: ['nar/taken.nar.zst'],
      waited: true,
      asked: ['kept.narinfo', 'nar/taken.nar.zst']
    })
    // Gone stays gone for later referrers, without asking again; a write ends that.
    expect([...(await s.settle(['nar/taken.nar.zst', 'kept.narinfo']))]).toEqual(['nar/taken.nar.zst'])
    expect(io.asked).toHaveLength(2)
    // The push said once why it waited.
    expect(told).toEqual([WINDOW_MS])
    s.written('nar/taken.nar.zst')
    expect([...(await s.settle(['nar/taken.nar.zst']))]).toEqual([])
  })
})
