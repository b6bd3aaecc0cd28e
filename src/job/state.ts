import { host } from '../runtime/host.js'
import type { SnapshotMethod } from '../nix/snapshot.js'
import type { AgentState } from '../agent/control.js'

/** What the main step hands to the post step through GITHUB_STATE. */
export interface MainState {
  snapshotFile: string
  method: SnapshotMethod
  /** The background agent, when one was started and reported ready. */
  agent?: AgentState
}

const KEY = 'nix_buildtime_cache'

export function saveMainState(state: MainState): void {
  host().saveState(KEY, JSON.stringify(state))
}

export function loadMainState(): MainState | undefined {
  const raw = host().getState(KEY)
  if (!raw) return undefined
  try {
    const s = JSON.parse(raw) as Partial<MainState>
    if (typeof s.snapshotFile === 'string' && (s.method === 'db' || s.method === 'dir')) {
      const state: MainState = { snapshotFile: s.snapshotFile, method: s.method }
      const a = s.agent
      if (a && Number.isInteger(a.pid) && a.pid > 0 && typeof a.dir === 'string') state.agent = { pid: a.pid, dir: a.dir }
      return state
    }
  } catch {
    // Fall through: a state we cannot read is treated like no state.
  }
  return undefined
}
