// Turns the measurements into the Markdown tables of docs/BENCHMARKS.md: figures, ratios
// against the baselines, cost growth, and the issue's targets.
import type { BaselineFigures } from './measure/baselines.js'
import type { PushSet, SelectionFigures } from './measure/selection.js'
import type { StepFigures } from './measure/steps.js'
import type { EndToEndFigures } from './measure/end-to-end.js'
import type { ThroughputFigures } from './measure/throughput.js'
import { fmtBytes, fmtRatio, fmtSample, fmtSeconds, type Sample } from './lib/stats.js'

export interface Machine {
  cpu: string
  cores: number
  memory: string
  os: string
  kernel: string
  nix: string
  node: string
  loadBefore: string
  loadAfter: string
  date: string
}

export interface Results {
  machine: Machine
  runs: number
  steps: StepFigures[]
  baselines: BaselineFigures[]
  selection?: SelectionFigures
  throughput?: ThroughputFigures
  endToEnd?: EndToEndFigures
  workloadSeconds: number
  totalSeconds: number
}

export interface Target {
  name: string
  goal: string
  value: string
  met: boolean
  /** How far off, when missed. */
  by?: string
}

const n = (x: number): string => x.toLocaleString('en-US')
const mb = (x: number): string => `${(x / 1e6).toFixed(0)} MB`
const mbps = (bytes: number, s: Sample): string => `${(bytes / s.median / 1e6).toFixed(0)} MB/s`
const row = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`
const table = (head: readonly string[], rows: readonly (readonly string[])[]): string =>
  [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n')

/** The size-indexed rows of a table: one column per store size. */
function perSize<T extends { paths: number }>(items: readonly T[], cell: (t: T) => string): string[] {
  return items.map(cell)
}

export function targets(r: Results): Target[] {
  const out: Target[] = []
  const big = r.steps.find((s) => s.paths === 100_000)
  const bigBase = r.baselines.find((b) => b.paths === 100_000)
  if (big && bigBase) {
    const limit = 0.25 * bigBase.pathInfoAll.median
    out.push({
      name: 'main step at 100,000 paths',
      goal: `≤ 0.25 × nix path-info --all (${fmtSeconds(limit)})`,
      value: `${fmtSeconds(big.mainIdle.median)} = ${(big.mainIdle.median / bigBase.pathInfoAll.median).toFixed(3)} ×`,
      met: big.mainIdle.median <= limit,
      by: big.mainIdle.median > limit ? `${fmtSeconds(big.mainIdle.median - limit)} over` : undefined
    })
    const extra = big.postIdle.median - big.bare.median
    out.push({
      name: 'post step, nothing to push, 100,000 paths',
      goal: '≤ bare start-up of our bundle + 0.5 s',
      value: `bare ${fmtSeconds(big.bare.median)} + ${fmtSeconds(extra)}`,
      met: extra <= 0.5,
      by: extra > 0.5 ? `${fmtSeconds(extra - 0.5)} over` : undefined
    })
    const peak = Math.max(big.rss.postIdle.median, big.rss.postNew.median)
    out.push({
      name: 'peak memory of the post step, 100,000 paths',
      goal: '≤ 200 MB',
      value: `${mb(peak)} (RSS, worst of nothing-to-push and 1,000 new paths)`,
      met: peak <= 200e6,
      by: peak > 200e6 ? `${mb(peak - 200e6)} over` : undefined
    })
  }
  if (r.selection) {
    const s = r.selection
    const ratio = s.ours.narBytes / s.ideal.narBytes
    out.push({
      name: 'bytes pushed by our selection',
      goal: '= the ideal set (ratio 1.00)',
      value: `${ratio.toFixed(2)} (${s.exact ? 'same paths' : 'different paths'}: ${s.ours.paths} of ${s.ideal.paths}, ${s.ours.missing} missing)`,
      met: s.exact,
      by: s.exact ? undefined : `${n(s.ours.paths - s.ideal.paths + s.ours.missing)} paths differ`
    })
    // Issue 22: with the agent off, the post step pushing the exact set takes no longer than the
    // seed-002 recipe's `nix copy` of its larger set, in the same run.
    const ours = s.ours.seconds
    const nixCopy = s.seed002.seconds
    const pairs = s.timings && s.timings.length > 1 ? ` (medians of ${s.timings.length} runs, alternating which went first; per run, ours / nix copy: ${s.timings.map((t) => `${fmtSeconds(t.ours)} / ${fmtSeconds(t.seed002)}`).join(', ')})` : ''
    out.push({
      name: 'graph job: post step pushing the exact set (push-during-build: false)',
      goal: `≤ the seed-002 recipe's nix copy of its ${n(s.seed002.paths)} paths (${fmtSeconds(nixCopy)})`,
      value: `${fmtSeconds(ours)} = ${(ours / nixCopy).toFixed(2)} ×${pairs}`,
      met: ours <= nixCopy,
      by: ours > nixCopy ? `${fmtSeconds(ours - nixCopy)} over` : undefined
    })
  }
  if (r.throughput) {
    const t = r.throughput
    const share = (name: string, goal: number, ratio: Sample): void => {
      out.push({
        name,
        goal: `≥ ${goal}% of zstd -T0 on the same NARs`,
        value: `${pct(ratio.median)} (median of per-run ratios; ${pct(ratio.min)}–${pct(ratio.max)})`,
        met: ratio.median >= goal / 100,
        by: ratio.median < goal / 100 ? `${(goal - ratio.median * 100).toFixed(0)} percentage points short` : undefined
      })
    }
    share('upload phase to file://', 65, t.ratio.fileUpload)
    share('upload phase over HTTP PUT', 60, t.ratio.httpUpload)
    share('upload phase to S3 (s3rver in its own process)', 55, t.ratio.s3Upload)
    if (r.endToEnd) {
      // A share of zstd's speed: zstd's time ÷ (post step pushing − post step with nothing to push).
      const endToEnd = (where: string, goal: number, times: Sample): void => {
        const shareOf = 1 / times.median
        out.push({
          name: `end to end ${where}: post step pushing the large NARs − post step with nothing to push`,
          goal: `≥ ${goal}% of zstd -T0 (≤ ${(100 / goal).toFixed(2)} × its time)`,
          value: `${pct(shareOf)} = ${times.median.toFixed(2)} × (median of per-run ratios; ${times.min.toFixed(2)}–${times.max.toFixed(2)})`,
          met: shareOf >= goal / 100,
          by: shareOf < goal / 100 ? `${(goal - shareOf * 100).toFixed(0)} percentage points short` : undefined
        })
      }
      endToEnd('to file://', 70, r.endToEnd.timesZstd)
      endToEnd('over HTTP', 60, r.endToEnd.http.timesZstd)
    }
    out.push({
      name: `peak memory pushing ${mb(t.narBytes)} over HTTP`,
      goal: '≤ 256 MB',
      value: `${mb(t.rssHttp.max)} (RSS, worst run; S3 ${mb(t.rssS3.max)})`,
      met: t.rssHttp.max <= 256e6,
      by: t.rssHttp.max > 256e6 ? `${mb(t.rssHttp.max - 256e6)} over` : undefined
    })
  }
  return out
}

function stepsSection(r: Results): string {
  const s = r.steps
  const b = r.baselines
  const head = ['', ...s.map((x) => `${n(x.paths)} paths`)]
  const rows: string[][] = [
    ['**ours: main step** (whole process)', ...perSize(s, (x) => fmtSample(x.mainIdle))],
    ['**ours: post step, nothing to push**', ...perSize(s, (x) => fmtSample(x.postIdle))],
    ['**ours: post step, 1,000 new paths** (500 outputs pushed to file://)', ...perSize(s, (x) => fmtSample(x.postNew))],
    ['bare start-up of our bundle (post step without main state)', ...perSize(s, (x) => fmtSample(x.bare))],
    ['cachix-action snapshot (bash glob)', ...perSize(b, (x) => fmtSample(x.cachixSnapshot))],
    ['cachix-action post diff (glob, sort, comm)', ...perSize(b, (x) => fmtSample(x.cachixPost))],
    ['attic-action snapshot (path-info --json, parse)', ...perSize(b, (x) => fmtSample(x.atticSnapshot))],
    [
      'attic-action diff (Array.includes)',
      ...perSize(b, (x) => `${fmtSample(x.atticDiff)}${x.atticDiffSampled ? ` *(${n(x.atticDiffSampled.sample)}-lookup sample, scaled)*` : ''}`)
    ],
    ['`nix path-info --all`', ...perSize(b, (x) => fmtSample(x.pathInfoAll))],
    ['floor: `sqlite3` SELECT path FROM ValidPaths', ...perSize(b, (x) => fmtSample(x.floorSqlite))],
    ['floor: `ls -f` store directory', ...perSize(b, (x) => fmtSample(x.floorLs))]
  ]
  const ratio = (a: number, c: number): string => fmtRatio(a / c)
  const ratios: string[][] = [
    ['our main step ÷ `nix path-info --all`', ...s.map((x, i) => ratio(x.mainIdle.median, b[i]!.pathInfoAll.median))],
    ['our main step ÷ cachix-action snapshot', ...s.map((x, i) => ratio(x.mainIdle.median, b[i]!.cachixSnapshot.median))],
    ['our main step ÷ attic-action snapshot', ...s.map((x, i) => ratio(x.mainIdle.median, b[i]!.atticSnapshot.median))],
    ['cachix-action post diff ÷ our post step (nothing to push)', ...s.map((x, i) => ratio(b[i]!.cachixPost.median, x.postIdle.median))],
    [
      'attic-action post (snapshot + diff) ÷ our post step (nothing to push)',
      ...s.map((x, i) => ratio(b[i]!.atticSnapshot.median + b[i]!.atticDiff.median, x.postIdle.median))
    ]
  ]
  const growth = (get: (x: StepFigures) => number): string[] => {
    const cells = s.map((x) => fmtSeconds(get(x)))
    if (s.length >= 2) {
      const first = s[0]!
      const last = s[s.length - 1]!
      cells.push(`${fmtRatio(get(last) / get(first))} for ${fmtRatio(last.paths / first.paths)} the paths`)
    }
    return cells
  }
  const growthHead = [...head, ...(s.length >= 2 ? ['growth'] : [])]
  const growthRows: string[][] = [
    ['main step − bare start-up', ...growth((x) => x.mainIdle.median - x.bare.median)],
    ['post step (nothing to push) − bare start-up', ...growth((x) => x.postIdle.median - x.bare.median)],
    ['post step (1,000 new paths) − bare start-up', ...growth((x) => x.postNew.median - x.bare.median)]
  ]
  const mem: string[][] = [
    ['main step', ...s.map((x) => fmtSample(x.rss.main, mb))],
    ['post step, nothing to push', ...s.map((x) => fmtSample(x.rss.postIdle, mb))],
    ['post step, 1,000 new paths', ...s.map((x) => fmtSample(x.rss.postNew, mb))],
    ['bare start-up', ...s.map((x) => fmtSample(x.rss.bare, mb))]
  ]
  return [
    '### (a) Finding the new paths: wall time per job step',
    '',
    `Median (min–max) of ${r.runs} runs. Absolute times.`,
    '',
    table(head, rows),
    '',
    'Ratios (of the medians):',
    '',
    table(head, ratios),
    '',
    '### Cost growth of our steps with store size',
    '',
    table(growthHead, growthRows),
    '',
    '### (d) Peak memory (RSS of the step\'s Node process, GNU time)',
    '',
    table(head, mem)
  ].join('\n')
}

function pushRow(name: string, p: PushSet | { paths: number; narBytes: number }, ideal: number): string[] {
  const full = 'fileBytes' in p
  const parts = full
    ? Object.entries(p.byCategory)
        .filter(([c]) => c !== 'ideal')
        .map(([c, v]) => `${c}: ${v.paths} (${fmtBytes(v.narBytes)})`)
    : []
  return [
    name,
    n(p.paths),
    fmtBytes(p.narBytes),
    full ? fmtBytes(p.fileBytes) : '–',
    fmtRatio(p.narBytes / ideal),
    full ? (p.missing > 0 ? `${p.missing} ideal paths missing` : 'all') : 'all',
    full ? parts.join('; ') || 'none' : '–',
    full ? fmtSeconds(p.seconds) : '–'
  ]
}

function selectionSection(s: SelectionFigures): string {
  return [
    '### (b) Bytes pushed for one job on the derivation graph',
    '',
    `${n(s.derivations)} derivations (32 of them in the fake upstream cache), ${n(s.storePaths)} store paths after the build, ${n(s.newPaths)} of them new in the job (plus 3 stray \`nix-store --add\` files). Counts and bytes are exact, not timed. NAR bytes are uncompressed; "zstd" is what the cache holds.`,
    '',
    table(
      ['', 'paths', 'NAR bytes', 'zstd bytes', 'ratio to ideal (NAR bytes)', 'ideal paths pushed', 'pushed beyond the ideal set', 'time'],
      [
        pushRow('ideal set', s.ideal, s.ideal.narBytes),
        pushRow('**ours** (post step)', s.ours, s.ideal.narBytes),
        pushRow('seed-002 recipe (`-qR --include-outputs` + `nix copy`)', s.seed002, s.ideal.narBytes),
        pushRow('cachix-style (every new path, with closure)', s.cachix, s.ideal.narBytes)
      ]
    ),
    '',
    `Our pushed set ${s.exact ? '**equals**' : '**differs from**'} the ideal set path for path.`
  ].join('\n')
}

const pct = (r: number): string => `${(r * 100).toFixed(0)}%`

function throughputSection(t: ThroughputFigures): string {
  const rows = (label: string, s: Sample): string[] => [
    label,
    fmtSample(s),
    mbps(t.narBytes, s),
    `${((t.zstd.median / s.median) * 100).toFixed(0)}%`
  ]
  return [
    '### (c) Upload throughput',
    '',
    `${t.paths} store paths, ${mb(t.narBytes)} of NARs (${t.description}); zstd level 3 everywhere; throughput = NAR bytes ÷ wall time. Ours compresses to ${mb(t.oursFileBytes)}, \`zstd -T0 -3\` to ${mb(t.zstdBytes)}.`,
    '',
    table(
      ['', 'time', 'throughput', '% of zstd -T0'],
      [
        rows('`zstd -T0 -3` on the serialised NARs (ceiling)', t.zstd),
        rows('**ours → file://** (whole process: start, path info, upload)', t.oursFile),
        rows('ours → file://, upload only', t.oursFileUploadOnly),
        rows('**ours → HTTP** (nginx PUT), whole process', t.oursHttp),
        rows('ours → HTTP, upload only', t.oursHttpUploadOnly),
        rows('**ours → S3** (s3rver), whole process', t.oursS3),
        rows('ours → S3, upload only', t.oursS3UploadOnly),
        rows('`nix copy` → file://', t.nixCopyFile),
        rows('`nix copy` → HTTP', t.nixCopyHttp)
      ]
    ),
    '',
    `Share of \`zstd -T0\`, run by run (zstd's time ÷ ours in the same interleaved round; median (min–max) of ${t.ratio.fileUpload.runs}): upload phase to file:// ${pct(t.ratio.fileUpload.median)} (${pct(t.ratio.fileUpload.min)}–${pct(t.ratio.fileUpload.max)}), over HTTP ${pct(t.ratio.httpUpload.median)} (${pct(t.ratio.httpUpload.min)}–${pct(t.ratio.httpUpload.max)}), to S3 ${pct(t.ratio.s3Upload.median)} (${pct(t.ratio.s3Upload.min)}–${pct(t.ratio.s3Upload.max)}); whole process to file:// ${pct(t.ratio.fileWhole.median)}.`,
    '',
    `CPU time (user + system, medians): \`zstd -T0\` ${t.cpu.zstd.median.toFixed(2)} s; ours, whole process, ${t.cpu.oursFile.median.toFixed(2)} s to file:// (${(t.cpu.oursFile.median / t.cpu.zstd.median).toFixed(2)} × zstd's), ${t.cpu.oursHttp.median.toFixed(2)} s over HTTP (${(t.cpu.oursHttp.median / t.cpu.zstd.median).toFixed(2)} ×), ${t.cpu.oursS3.median.toFixed(2)} s to S3 (${(t.cpu.oursS3.median / t.cpu.zstd.median).toFixed(2)} ×). The servers' CPU (nginx, s3rver) is not included.`,
    '',
    `Peak RSS of our process: ${mb(t.rssHttp.median)} over HTTP (worst ${mb(t.rssHttp.max)}), ${mb(t.rssS3.median)} to S3 (worst ${mb(t.rssS3.max)}).`,
    '',
    `\`nix copy\` time ÷ ours: ${(t.nixCopyFile.median / t.oursFile.median).toFixed(2)} to file://, ${(t.nixCopyHttp.median / t.oursHttp.median).toFixed(2)} over HTTP (above 1 means ours is faster).`
  ].join('\n')
}

function endToEndSection(e: EndToEndFigures): string {
  return [
    '### End to end: the post step pushing the large NARs',
    '',
    'A job deletes the 9 paths, runs main, imports them and runs post with them as `installables`; a second job on the same store pushes nothing. Each round also times `zstd -T0 -3` over the same NARs.',
    '',
    table(
      ['', 'time'],
      [
        ['`zstd -T0 -3` on the serialised NARs', fmtSample(e.zstd)],
        ['post step pushing the 9 paths to file://', fmtSample(e.postPush)],
        ['post step with nothing to push (file://)', fmtSample(e.postIdle)],
        ['file://: (pushing − nothing) ÷ zstd, run by run', `${e.timesZstd.median.toFixed(2)} × (${e.timesZstd.min.toFixed(2)}–${e.timesZstd.max.toFixed(2)})`],
        ['post step pushing the 9 paths over HTTP (nginx)', fmtSample(e.http.postPush)],
        ['post step with nothing to push (HTTP)', fmtSample(e.http.postIdle)],
        ['HTTP: (pushing − nothing) ÷ zstd, run by run', `${e.http.timesZstd.median.toFixed(2)} × (${e.http.timesZstd.min.toFixed(2)}–${e.http.timesZstd.max.toFixed(2)})`]
      ]
    ),
    '',
    `Peak RSS of the pushing post step: ${mb(e.rssPost.median)} to file:// (worst ${mb(e.rssPost.max)}), ${mb(e.http.rssPost.median)} over HTTP (worst ${mb(e.http.rssPost.max)}).`
  ].join('\n')
}

export function renderReport(r: Results): string {
  const m = r.machine
  const parts = [
    `## Results (${m.date})`,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memory} RAM; ${m.os}, Linux ${m.kernel}; ${m.nix}; Node ${m.node}. Load average before/after: ${m.loadBefore} / ${m.loadAfter}. Workload generation ${fmtSeconds(r.workloadSeconds)}, whole bench ${fmtSeconds(r.totalSeconds)}.`,
    ''
  ]
  if (r.steps.length > 0) parts.push(stepsSection(r), '')
  if (r.selection) parts.push(selectionSection(r.selection), '')
  if (r.throughput) parts.push(throughputSection(r.throughput), '')
  if (r.endToEnd) parts.push(endToEndSection(r.endToEnd), '')
  const ts = targets(r)
  if (ts.length > 0) {
    parts.push(
      '### Targets',
      '',
      table(
        ['target', 'goal', 'measured', 'met'],
        ts.map((t) => [t.name, t.goal, t.value, t.met ? 'yes' : `**no**, ${t.by ?? ''}`])
      ),
      ''
    )
  }
  return parts.join('\n')
}
