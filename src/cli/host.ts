import { readFileSync, writeFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import type { Host } from '../host.js'

/**
 * The command-line tool's host: plain lines on stderr (no workflow commands), secrets masked,
 * exported settings and outputs collected for the command's own use, state in a file of the
 * state directory when the job is split over two commands (start, push).
 */
export class CliHost implements Host {
  /** What `exportVariable` set, for `start` to print and `run` to hand to its command. */
  readonly exported: Record<string, string> = {}
  readonly outputs: Record<string, string | number> = {}
  /** The first reason given to `fail`, if any. */
  failure?: string
  private readonly secrets: string[] = []
  private readonly state: Record<string, string>

  constructor(
    readonly tempDir: string,
    private readonly opts: { stateFile?: string; summaryFile?: string } = {}
  ) {
    this.state = opts.stateFile ? readState(opts.stateFile) : {}
  }

  /** `text` with every registered secret replaced by `***`. */
  redact(text: string): string {
    let out = text
    for (const s of this.secrets) out = out.split(s).join('***')
    return out
  }

  private say(prefix: string, message: string): void {
    process.stderr.write(`${prefix}${this.redact(message)}\n`)
  }

  info(m: string): void {
    this.say('', m)
  }
  warning(m: string): void {
    this.say('warning: ', m)
  }
  error(m: string): void {
    this.say('error: ', m)
  }
  notice(m: string): void {
    this.say('', m)
  }
  debug(m: string): void {
    if (process.env.NIX_BUILDTIME_CACHE_DEBUG) this.say('debug: ', m)
  }
  setSecret(v: string): void {
    if (v === '' || this.secrets.includes(v)) return
    this.secrets.push(v)
    // Longest first, so that a secret containing another is masked whole.
    this.secrets.sort((a, b) => b.length - a.length)
  }
  exportVariable(name: string, value: string): void {
    this.exported[name] = value
    // As on the runner: the rest of this process sees it too (push's own nix calls).
    process.env[name] = value
  }
  setOutput(name: string, value: string | number): void {
    this.outputs[name] = value
  }
  saveState(name: string, value: string): void {
    this.state[name] = value
    if (this.opts.stateFile) writeFileSync(this.opts.stateFile, JSON.stringify(this.state), { mode: 0o600 })
  }
  getState(name: string): string {
    return this.state[name] ?? ''
  }
  async writeSummary(markdown: string): Promise<void> {
    if (this.opts.summaryFile) await writeFile(this.opts.summaryFile, this.redact(markdown))
  }
  fail(m: string): void {
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
