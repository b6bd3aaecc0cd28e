import { describe, expect, it } from '@jest/globals'
import { emptySkipped } from '../../../src/plan/selection.js'
import { renderSummary, type Report } from '../../../src/report/summary.js'
import { formatBytes } from '../../../src/runtime/units.js'
import { classifyOrigins } from '../../../src/report/origins.js'
import type { PathInfo } from '../../../src/format/path-info.js'
import type { JobFacts } from '../../../src/plan/facts.js'
import { planFinal, selectFinal } from '../../../src/plan/planner.js'
import { pushedByJob, selectedByJob } from '../../../src/plan/result.js'

const path = (i: number): string => `/nix/store/${String(i).padStart(32, 'a')}-p${i}`

function bigReport(n: number): Report {
  const paths = Array.from({ length: n }, (_, i) => path(i))
  const skipped = emptySkipped()
  skipped['upstream-signed'] = [path(n + 1)]
  skipped['outside-closure'] = [path(n + 2)]
  return {
    cache: 'file:///cache',
    mode: 'push',
    selection: { push: paths, skipped },
    outcome: { pushed: paths.map((p, i) => ({ path: p, narSize: i * 10, fileSize: i })), failed: [], vanished: [] },
    narSizes: new Map(paths.map((p, i) => [p, i * 10])),
    builtLocally: paths.slice(0, 3).map((p) => `${p}.drv`),
    substituted: new Map([['upstream-test-1', [path(n + 1)]]]),
    seconds: 1.25
  }
}

describe('job summary', () => {
  it('says what was pushed and why everything else was skipped', () => {
    const md = renderSummary(bigReport(3))
    expect(md).toContain('**Pushed 3 paths**')
    expect(md).toMatch(/\| upstream-signed \| 1 \|/)
    expect(md).toMatch(/\| outside-closure \| 1 \|/)
    expect(md).toMatch(/\| already-cached \| 0 \|/)
    expect(md).toContain('built **3** derivations locally')
    expect(md).toContain('Substituted, signed by `upstream-test-1` (1)')
  })

  it('stays readable at 10,000 paths: largest first, long lists collapsed', () => {
    const md = renderSummary(bigReport(10_000))
    expect(md.length).toBeLessThan(20_000)
    const pushedList = md.slice(md.indexOf('Pushed, largest first'))
    expect(pushedList.indexOf(path(9999))).toBeLessThan(pushedList.indexOf(path(9998)))
    expect(md).toContain('… and 9970 more')
  })

  it('reports failures and vanished paths', () => {
    const r = bigReport(1)
    r.outcome.failed.push({ path: path(7), reason: 'HTTP 500' })
    r.outcome.vanished.push(path(8))
    const md = renderSummary(r)
    expect(md).toContain('1 failed, 1 vanished')
    expect(md).toContain(`${path(7)}: HTTP 500`)
  })

  it('lists paths too deep for current Nix, and their referrers, with why, apart from failures', () => {
    const r = bigReport(1)
    r.outcome.unsubstitutable = [
      { path: path(7), reason: 'nested deeper than 64 levels (/x/d/f), which Nix 2.34 and later refuse' },
      { path: path(8), reason: `references ${path(7)}, which is not pushed` }
    ]
    const md = renderSummary(r)
    expect(md).toContain('**2 not pushed because Nix 2.34 and later could not substitute them:**')
    expect(md).toContain('Not pushed: too deep for current Nix (2)')
    expect(md).toContain(`${path(7)}: nested deeper than 64 levels (/x/d/f), which Nix 2.34 and later refuse`)
    expect(md).toContain(`${path(8)}: references ${path(7)}, which is not pushed`)
    expect(md).not.toContain('failed,')
  })

  it('formats sizes', () => {
    expect(formatBytes(512)).toBe('512 B')
    expect(formatBytes(1536)).toBe('1.5 KiB')
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.0 GiB')
  })
})

describe('origins', () => {
  const info = (p: string, over: Partial<PathInfo>): PathInfo => ({
    path: p, narHash: 'sha256:0', narSize: 1, references: [], signatures: [], ultimate: false, ...over
  })
  it('tells built, substituted and added paths apart', () => {
    const o = classifyOrigins([
      info(path(1), { ultimate: true, deriver: `${path(1)}.drv` }),
      info(path(2), { signatures: ['upstream-test-1:sig', 'other-1:sig'] }),
      info(path(3), {})
    ])
    expect(o.builtLocally).toEqual([`${path(1)}.drv`])
    expect([...o.substituted]).toEqual([['other-1, upstream-test-1', [path(2)]]])
  })
})

describe('what the agent published during the build, planned as its own category', () => {
  it('counts as pushed, and the closure completion still says why the rest was pushed', async () => {
    // path(1) the agent published; path(2) is new and not in the cache; path(3), from before the
    // job, is a reference of path(2) that nobody serves.
    const info = (p: string, references: string[] = []): PathInfo => ({ path: p, narHash: 'sha256:0', narSize: 10, references, signatures: [], ultimate: true })
    const facts: JobFacts = {
      newPaths: [path(1), path(2)],
      closure: new Set([path(1), path(2), path(3)]),
      infos: new Map([[path(1), info(path(1))], [path(2), info(path(2), [path(3)])]])
    }
    const policy = { includeDerivations: false, skipSignedBy: [], exclude: [] }
    const asked: string[] = []
    const plan = await planFinal(
      selectFinal(facts, policy),
      { facts, policy, published: [{ path: path(1), narSize: 20, fileSize: 8 }] },
      {
        describe: async (paths) => new Map(paths.map((p) => [p, info(p)])),
        held: async (paths) => {
          asked.push(...paths)
          return new Set(paths.filter((p) => p === path(1)))
        }
      }
    )
    expect(asked).not.toContain(path(1))
    expect(plan.selection.completion).toEqual([path(3)])
    expect(plan.selection.skipped['already-cached']).toEqual([])
    const result = {
      ...plan,
      outcome: { pushed: [{ path: path(2), narSize: 10, fileSize: 5 }, { path: path(3), narSize: 10, fileSize: 5 }], failed: [], vanished: [] }
    }
    expect(selectedByJob(result)).toEqual([path(1), path(2), path(3)])
    expect(pushedByJob(result).map((p) => p.path)).toEqual([path(1), path(2), path(3)])
    const md = renderSummary({ ...bigReport(0), ...result, narSizes: new Map() })
    expect(md).toContain('**Pushed 3 paths** (18 B compressed, 40 B NAR)')
    expect(md).toContain('Of these, 1 was in the store before the job')
    expect(md).toMatch(/\| already-cached \| 0 \|/)
  })
})
