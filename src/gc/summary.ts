import { formatBytes } from '../runtime/units.js'
import type { GcResult } from './run.js'

/** The GC's result as lines for the log and as the job summary's Markdown. */

export function gcLines(r: GcResult): string[] {
  const verb = r.dryRun ? 'would delete' : 'deleted'
  const lines = [
    `gc of ${r.cache}${r.dryRun ? ' (dry run)' : ''}: ${r.jobs.read} job record(s) read, ${r.jobs.kept} kept; ` +
      `narinfos: ${r.narinfos.kept} kept, ${r.narinfos.deleted} ${verb}; NARs: ${r.nars.deleted} of ${r.nars.listed} ${verb}; ` +
      `${formatBytes(r.bytesFreed)} ${r.dryRun ? 'would be freed' : 'freed'}, ${formatBytes(r.keptBytes)} kept; ${r.requests} requests in ${r.seconds.toFixed(1)} s.`
  ]
  if (r.note) lines.push(`Nothing deleted: ${r.note}.`)
  if (r.refreshed > 0) lines.push(`${r.refreshed} object(s) were in use by a push meanwhile and stay.`)
  return lines
}

export function gcMarkdown(r: GcResult): string {
  const verb = r.dryRun ? 'Would delete' : 'Deleted'
  const rows: Array<[string, string]> = [
    ['Job records read', `${r.jobs.read} (${r.jobs.kept} kept, ${r.records.deleted} removed)`],
    ['Narinfos kept', String(r.narinfos.kept)],
    [`Narinfos ${verb.toLowerCase()}`, String(r.narinfos.deleted)],
    [`NARs ${verb.toLowerCase()}`, `${r.nars.deleted} of ${r.nars.listed}`],
    [r.dryRun ? 'Bytes that would be freed' : 'Bytes freed', formatBytes(r.bytesFreed)],
    ['Bytes kept', formatBytes(r.keptBytes)],
    ['Requests', String(r.requests)],
    ['Time', `${r.seconds.toFixed(1)} s`]
  ]
  let md = `## Nix build-time cache: GC of ${r.cache}${r.dryRun ? ' (dry run)' : ''}\n\n| | |\n|---|---|\n`
  md += rows.map(([k, v]) => `| ${k} | ${v} |`).join('\n')
  md += '\n'
  if (r.note) md += `\nNothing was deleted: ${r.note}.\n`
  if (r.refreshed > 0) md += `\n${r.refreshed} object(s) were in use by a push meanwhile and stay.\n`
  return md
}
