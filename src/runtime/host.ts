import { tmpdir } from 'node:os'

/**
 * Where the engine's messages, outputs, state and exported settings go. The GitHub Action and the
 * command-line tool each install their own host at start-up; nothing below the entry points
 * imports `@actions/core`, so outside GitHub no `::warning::` or `::set-env` ever reaches a log.
 */
export interface Host {
  /** A directory private to this job for the action's own files (RUNNER_TEMP, or the CLI's state dir). */
  readonly tempDir: string
  info(message: string): void
  warning(message: string): void
  error(message: string): void
  notice(message: string): void
  debug(message: string): void
  /** Marks `value` as secret: the host must never print it. */
  setSecret(value: string): void
  /** Makes `name=value` part of the environment of the commands that run after this one. */
  exportVariable(name: string, value: string): void
  setOutput(name: string, value: string | number): void
  /** What the main step hands to the post step (the CLI keeps it in its state directory). */
  saveState(name: string, value: string): void
  getState(name: string): string
  /** The job summary, as Markdown. */
  writeSummary(markdown: string): Promise<void>
  /** Reports `message` as the reason the step (or command) fails. */
  fail(message: string): void
  /** Folds the lines that follow, up to endGroup, under `name` (the runner's `::group::`); optional. */
  startGroup?(name: string): void
  endGroup?(): void
}

/**
 * Plain lines on stderr with secrets masked, nothing exported: the host until an entry point
 * installs its own, and the base of the command-line tool's.
 */
export class StderrHost implements Host {
  private readonly state = new Map<string, string>()
  private readonly secrets: string[] = []
  constructor(readonly tempDir: string = tmpdir()) {}

  /** `text` with every registered secret replaced by `***`. */
  redact(text: string): string {
    let out = text
    for (const s of this.secrets) out = out.split(s).join('***')
    return out
  }
  protected say(prefix: string, message: string): void {
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
    process.env[name] = value
  }
  setOutput(_name: string, _value: string | number): void {}
  saveState(name: string, value: string): void {
    this.state.set(name, value)
  }
  getState(name: string): string {
    return this.state.get(name) ?? ''
  }
  async writeSummary(markdown: string): Promise<void> {
    this.say('', markdown)
  }
  fail(m: string): void {
    this.say('error: ', m)
    process.exitCode = 1
  }
}

let current: Host = new StderrHost()

export function setHost(host: Host): void {
  current = host
}

export function host(): Host {
  return current
}

/** The current host's logging, for modules that only report. */
export const log = {
  info: (m: string): void => current.info(m),
  warning: (m: string): void => current.warning(m),
  error: (m: string): void => current.error(m),
  notice: (m: string): void => current.notice(m),
  debug: (m: string): void => current.debug(m),
  /** A host without groups shows the name as a plain line. */
  startGroup: (name: string): void => (current.startGroup ? current.startGroup(name) : current.info(name)),
  endGroup: (): void => current.endGroup?.()
}
