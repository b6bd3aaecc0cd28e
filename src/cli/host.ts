import { readFileSync, writeFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { StderrHost } from '../runtime/host.js'

/**
 * The command-line tool's host: plain lines on stderr (no workflow commands) with secrets masked,
 * as the default host prints them; exported settings and outputs collected for the command's own
 * use; state in a file of the state directory when the job is split over two commands (start,
 * push); the summary in the --summary file.
 */
export class CliHost extends StderrHost {
  /** What `exportVariable` set, for `start` to print and `run` to hand to its command. */
  readonly exported: Record<string, string> = {}
  readonly outputs: Record<string, string | number> = {}
  /** The first reason given to `fail`, if any: the exit status is the command's to set. */
  failure?: string
  private readonly stateValues: Record<string, string>

  constructor(
    tempDir: string,
    private readonly opts: { stateFile?: string; summaryFile?: string } = {}
  ) {
    super(tempDir)
    this.stateValues = opts.stateFile ? readState(opts.stateFile) : {}
  }

  override exportVariable(name: string, value: string): void {
    this.exported[name] = value
    // As on the runner: the rest of this process sees it too (push's own nix calls).
    super.exportVariable(name, value)
  }
  override setOutput(name: string, value: string | number): void {
    this.outputs[name] = value
  }
  override saveState(name: string, value: string): void {
    this.stateValues[name] = value
    if (this.opts.stateFile) writeFileSync(this.opts.stateFile, JSON.stringify(this.stateValues), { mode: 0o600 })
  }
  /** Forgets every saved value (the state file is rewritten by the next saveState). */
  clearState(): void {
    for (const k of Object.keys(this.stateValues)) delete this.stateValues[k]
  }
  override getState(name: string): string {
    return this.stateValues[name] ?? ''
  }
  override async writeSummary(markdown: string): Promise<void> {
    if (this.opts.summaryFile) await writeFile(this.opts.summaryFile, this.redact(markdown))
  }
  override fail(m: string): void {
    this.say('error: ', m)
    this.failure ??= m
  }
}

function readState(file: string): Record<string, string> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return {}
  }
  try {
    const parsed = JSON.parse(text) as unknown
    if (parsed && typeof parsed === 'object') {
      return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'))
    }
  } catch {
    // A state file we cannot read is treated like none: push then says that start did not run.
  }
  return {}
}
