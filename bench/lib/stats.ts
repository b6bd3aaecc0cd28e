// Summaries of repeated measurements. Other jobs share this machine, so every figure is a
// median with its spread, never a single run.

export interface Sample {
  /** Median of the runs. */
  median: number
  min: number
  max: number
  runs: number
}

export function summarise(values: readonly number[]): Sample {
  if (values.length === 0) throw new Error('no measurements')
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, runs: sorted.length }
}

/** Runs `once` `runs` times in sequence and summarises what it returns. */
export async function repeat(runs: number, once: (i: number) => Promise<number>): Promise<Sample> {
  const values: number[] = []
  for (let i = 0; i < runs; i++) values.push(await once(i))
  return summarise(values)
}

export function seconds(startNs: bigint): number {
  return Number(process.hrtime.bigint() - startNs) / 1e9
}

export function fmtSeconds(s: number): string {
  if (s >= 100) return `${s.toFixed(0)} s`
  if (s >= 10) return `${s.toFixed(1)} s`
  if (s >= 1) return `${s.toFixed(2)} s`
  return `${(s * 1000).toFixed(0)} ms`
}

/** `median (min–max)`, as the tables print it. */
export function fmtSample(s: Sample, fmt: (v: number) => string = fmtSeconds): string {
  return s.runs > 1 ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})` : fmt(s.median)
}

export function fmtBytes(b: number): string {
  if (b >= 1e9) return `${(b / 1e9).toFixed(2)} GB`
  if (b >= 1e6) return `${(b / 1e6).toFixed(1)} MB`
  if (b >= 1e3) return `${(b / 1e3).toFixed(1)} kB`
  return `${b} B`
}

export function fmtRatio(r: number): string {
  return r >= 10 ? `${r.toFixed(0)}×` : `${r.toFixed(2)}×`
}
