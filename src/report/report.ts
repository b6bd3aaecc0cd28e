import { host, log } from '../runtime/host.js'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { JobFacts } from '../plan/facts.js'
import { classifyOrigins } from './origins.js'
import { pushedByJob, selectedByJob, type PushResult } from '../plan/result.js'
import { renderSummary, type Report } from './summary.js'

/** Sets the step outputs and writes the job summary. */
export async function report(
  cache: string,
  facts: JobFacts,
  result: PushResult,
  startedAt: number,
  duringBuild?: Report['duringBuild']
): Promise<void> {
  // What the agent published during the build counts as pushed: this job put it in the cache.
  const pushed = pushedByJob(result)
  const pathsFile = join(host().tempDir, `nix-buildtime-cache-pushed-${process.pid}.txt`)
  await writeFile(pathsFile, pushed.map((p) => `${p.path}\n`).join(''))
  // Pre-existing paths were never new, so they do not count as skipped new paths.
  const skippedCount = Object.entries(result.selection.skipped)
    .filter(([reason]) => reason !== 'pre-existing')
    .reduce((a, [, paths]) => a + paths.length, 0)
  host().setOutput('pushed-count', pushed.length)
  host().setOutput('pushed-bytes', pushed.reduce((a, p) => a + p.fileSize, 0))
  host().setOutput('nar-bytes', pushed.reduce((a, p) => a + p.narSize, 0))
  host().setOutput('skipped-count', skippedCount)
  host().setOutput('paths-file', pathsFile)

  // Only what appeared during the job: infos of older paths (references looked up for
  // completeness, push-pre-existing) say nothing about what this job built or substituted.
  const fresh = new Set(facts.newPaths)
  const origins = classifyOrigins([...result.infos.values()].filter((i) => fresh.has(i.path)))
  const markdown = renderSummary({
    cache,
    mode: result.mode,
    note: result.note,
    selection: result.selection,
    published: result.published,
    outcome: result.outcome,
    narSizes: new Map([...result.infos].map(([p, i]) => [p, i.narSize])),
    builtLocally: origins.builtLocally,
    substituted: origins.substituted,
    seconds: (Date.now() - startedAt) / 1000,
    duringBuild
  })
  await host().writeSummary(markdown)
  const verb = result.mode === 'push' ? 'Pushed' : 'Selected'
  const count = result.mode === 'push' ? pushed.length : selectedByJob(result).length
  log.info(`${verb} ${count} paths to ${cache}; ${skippedCount} new paths not pushed.`)
}
