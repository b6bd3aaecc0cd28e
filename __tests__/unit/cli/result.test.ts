import { describe, expect, it } from '@jest/globals'
import { cliResult } from '../../../src/cli/result.js'
import type { FinishedJob } from '../../../src/job/job.js'
import { emptyOutcome } from '../../../src/plan/result.js'
import { emptySkipped } from '../../../src/plan/selection.js'

const path = (c: string, name: string): string => `/nix/store/${c.repeat(32)}-${name}`

describe('the --json result', () => {
  it('lists paths left out as too deep for current Nix, with why, and still counts the push as ok', () => {
    const outcome = emptyOutcome()
    outcome.pushed.push({ path: path('a', 'shallow'), narSize: 10, fileSize: 5 })
    outcome.unsubstitutable = [
      { path: path('b', 'deep'), reason: 'nested deeper than 64 levels (/x), which Nix 2.34 and later refuse' },
      { path: path('c', 'user'), reason: `references ${path('b', 'deep')}, which is not pushed` }
    ]
    const finished = {
      facts: {},
      result: { selection: { push: [path('a', 'shallow'), path('b', 'deep'), path('c', 'user')], skipped: emptySkipped() }, published: [], outcome, mode: 'push', infos: new Map() }
    } as unknown as FinishedJob
    const r = cliResult({ cache: 'file:///c', finished, outputs: {}, trouble: false, status: 0, seconds: 1 })
    expect(r.unsubstitutable).toEqual(outcome.unsubstitutable)
    expect(r.ok).toBe(true)
    expect(JSON.parse(JSON.stringify(r)).unsubstitutable).toHaveLength(2)
  })
})
