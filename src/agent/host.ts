import type { Host } from '../runtime/host.js'
import { WARNING_PREFIX } from './protocol.js'

/**
 * The agent's host: plain lines on stderr (its log file, which the post step reads back: lines
 * starting with WARNING_PREFIX are repeated in the job's log), secrets masked, and the main
 * step's temp dir, where the pipeline spools and the GitHub Actions cache keeps its files.
 * Outputs, state and exports belong to the steps, not to the agent: they are dropped.
 */
export class AgentHost implements Host {
  private readonly secrets: string[] = []

  constructor(readonly tempDir: string) {}

  /** Informational lines carry the time (the agent's latency is read from them); warnings start with their prefix. */
  private say(message: string, prefix?: string): void {
    let text = message
    for (const s of this.secrets) text = text.split(s).join('***')
    process.stderr.write(`${prefix ?? `${new Date().toISOString()} `}${text}\n`)
  }
  info(m: string): void {
    this.say(m)
  }
  warning(m: string): void {
    this.say(m, WARNING_PREFIX)
  }
  error(m: string): void {
    this.say(m, WARNING_PREFIX)
  }
  notice(m: string): void {
    this.say(m)
  }
  debug(m: string): void {
    if (process.env.NIX_BUILDTIME_CACHE_DEBUG) this.say(`debug: ${m}`)
  }
  setSecret(v: string): void {
    if (v !== '') this.secrets.push(v)
  }
  exportVariable(): void {}
  setOutput(): void {}
  saveState(): void {}
  getState(): string {
    return ''
  }
  async writeSummary(): Promise<void> {}
  fail(m: string): void {
    this.warning(m)
  }
}
