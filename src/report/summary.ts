import { formatBytes } from '../runtime/units.js'
import { SKIP_REASONS, type Selection, type SkipReason } from '../plan/selection.js'
import { pushedByJob, selectedByJob, type Pushed, type PushMode, type UploadOutcome } from '../plan/result.js'

/** Everything the job summary reports; plain data so the rendering is a pure function. */
export interface Report {
  cache: string
  mode: PushMode
  /** Why nothing was uploaded, for pull-only runs. */
  note?: string
  selection: Selection
  /** What the agent published during the build (counted as pushed, with `outcome.pushed`). */
  published?: readonly Pushed[]
  outcome: UploadOutcome
  /** NAR sizes of the paths we know about, for "top paths by size". */
  narSizes: ReadonlyMap<string, number>
  /** Derivations whose outputs this job built itself. */
  builtLocally: readonly string[]
  /** Paths this job substituted, by the signing key names they carry. */
  substituted: ReadonlyMap<string, readonly string[]>
  seconds: number
  /** What the background agent did during the build (paths are among `published` when published). */
  duringBuild?: { kind: 'published' | 'prepared'; paths: number; narBytes: number }
}

const REASON_TEXT: Record<SkipReason, string> = {
  'pre-existing': 'in the build closure but already in the store before the job',
  'upstream-signed': 'signed by an upstream cache (skip-signed-by), which serves them already',
  'already-cached': 'already in this cache',
  excluded: 'matched an `exclude` pattern',
  'unserved-reference': 'reference a path that no cache serves (excluded, or gone from the store); published, they could not be substituted',
  'outside-closure': 'new, but not in the build closure of the job (roots)',
  derivation: '.drv files (set include-derivations to push them)'
}

/** How many entries a list shows before it collapses the rest. */
const LIST_LIMIT = 30


const code = (s: string): string => `\`${s.replace(/`/g, "'")}\``

function details(title: string, items: readonly string[], render: (s: string) => string = code): string {
  if (items.length === 0) return ''
  const shown = items.slice(0, LIST_LIMIT).map((s) => `- ${render(s)}`)
  if (items.length > LIST_LIMIT) shown.push(`- … and ${items.length - LIST_LIMIT} more`)
  return `<details><summary>${title} (${items.length})</summary>\n\n${shown.join('\n')}\n\n</details>\n`
}

export function renderSummary(r: Report): string {
  const pushed = pushedByJob(r)
  const selected = selectedByJob(r)
  const fileBytes = pushed.reduce((a, p) => a + p.fileSize, 0)
  const narBytes = pushed.reduce((a, p) => a + p.narSize, 0)
  const out: string[] = ['## Nix build-time cache\n']
  const verb = r.mode === 'push' ? 'Pushed' : 'Would push'
  const count = r.mode === 'push' ? pushed.length : selected.length
  const selectedNar = selected.reduce((a, p) => a + (r.narSizes.get(p) ?? 0), 0)
  const bytes = r.mode === 'push' ? `${formatBytes(fileBytes)} compressed, ${formatBytes(narBytes)} NAR` : `${formatBytes(selectedNar)} NAR`
  out.push(`**${verb} ${count} path${count === 1 ? '' : 's'}** (${bytes}) to ${code(r.cache)} in ${r.seconds.toFixed(1)} s.\n`)
  if (r.note) out.push(`> ${r.note}\n`)
  if (r.duringBuild && r.duringBuild.paths > 0) {
    const d = r.duringBuild
    const what = `${d.paths} path${d.paths === 1 ? '' : 's'} (${formatBytes(d.narBytes)} NAR)`
    out.push(
      d.kind === 'published'
        ? `${what} went up during the build, as they were built; the post step pushed the rest.\n`
        : `${what} were written into the cache layer during the build; the post step packed and saved it.\n`
    )
  }

  const completion = r.selection.completion ?? []
  if (completion.length > 0) {
    out.push(
      `Of these, ${completion.length} ${completion.length === 1 ? 'was' : 'were'} in the store before the job: pushed as a reference of a pushed path, ` +
        'because neither this cache nor an upstream serves it.\n'
    )
    out.push(details('Pushed as a reference of a pushed path', completion))
  }

  const problems = r.outcome.failed.length + r.outcome.vanished.length
  if (problems > 0) {
    out.push(`**${r.outcome.failed.length} failed, ${r.outcome.vanished.length} vanished before upload.**\n`)
    out.push(details('Failed', r.outcome.failed.map((f) => `${f.path}: ${f.reason}`)))
    out.push(details('Vanished (garbage-collected during the job)', r.outcome.vanished))
  }

  const deep = r.outcome.unsubstitutable ?? []
  if (deep.length > 0) {
    out.push(
      `**${deep.length} not pushed because Nix 2.34 and later could not substitute ${deep.length === 1 ? 'it' : 'them'}:** ` +
        'a path nested deeper than 64 directory levels, and every path that references one. Consumers build these themselves.\n'
    )
    out.push(details('Not pushed: too deep for current Nix', deep.map((f) => `${f.path}: ${f.reason}`)))
  }

  out.push('| Not pushed | Paths | NAR size | Why |\n|---|---:|---:|---|')
  for (const reason of SKIP_REASONS) {
    const paths = r.selection.skipped[reason]
    const size = paths.reduce((a, p) => a + (r.narSizes.get(p) ?? 0), 0)
    out.push(`| ${reason} | ${paths.length} | ${size ? formatBytes(size) : '–'} | ${REASON_TEXT[reason]} |`)
  }
  out.push('')

  const listed = r.mode === 'push' ? pushed.map((p) => p.path) : selected
  const bySize = [...listed].sort((a, b) => (r.narSizes.get(b) ?? 0) - (r.narSizes.get(a) ?? 0))
  out.push(details(r.mode === 'push' ? 'Pushed, largest first' : 'Selected, largest first', bySize, (p) => `${code(p)} ${formatBytes(r.narSizes.get(p) ?? 0)}`))

  out.push('### Why did this build from source?\n')
  out.push(
    `This job built **${r.builtLocally.length}** derivation${r.builtLocally.length === 1 ? '' : 's'} locally` +
      ` and substituted **${[...r.substituted.values()].reduce((a, l) => a + l.length, 0)}** paths.\n`
  )
  out.push(details('Built locally', r.builtLocally))
  for (const [key, paths] of [...r.substituted].sort((a, b) => b[1].length - a[1].length)) {
    out.push(details(`Substituted, signed by ${code(key)}`, paths))
  }
  for (const reason of ['excluded', 'unserved-reference', 'outside-closure'] as const) {
    out.push(details(`Not pushed: ${reason}`, r.selection.skipped[reason]))
  }
  return out.filter((s) => s !== '').join('\n')
}
