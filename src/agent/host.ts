import { StderrHost } from '../runtime/host.js'
import { WARNING_PREFIX } from './protocol.js'

/**
 * The agent's host: plain lines on stderr (its log file, which the post step reads back: lines
 * starting with WARNING_PREFIX are repeated in the job's log), secrets masked as every host of a
 * job masks them, and the main step's temp dir, where the pipeline spools and the GitHub Actions
 * cache keeps its files. Outputs, state and exports belong to the steps, not to the agent: they
 * are dropped.
 */
export class AgentHost extends StderrHost {
  /** Informational lines carry the time (the agent's latency is read from them); warnings start with their prefix. */
  private line(message: string, prefix?: string): void {
    this.say(prefix ?? `${new Date().toISOString()} `, message)
  }
  override info(m: string): void {
    this.line(m)
  }
  override warning(m: string): void {
    this.line(m, WARNING_PREFIX)
  }
  override error(m: string): void {
    this.line(m, WARNING_PREFIX)
  }
  override notice(m: string): void {
    this.line(m)
  }
  override debug(m: string): void {
    if (process.env.NIX_BUILDTIME_CACHE_DEBUG) this.line(`debug: ${m}`)
  }
  override exportVariable(_name: string, _value: string): void {}
  override setOutput(_name: string, _value: string | number): void {}
  override saveState(_name: string, _value: string): void {}
  override getState(_name: string): string {
    return ''
  }
  override async writeSummary(_markdown: string): Promise<void> {}
  override fail(m: string): void {
    this.warning(m)
  }
}
