import { host } from './host.js'
import type { SnapshotMethod } from './snapshot.js'

/** What the main step hands to the post step through GITHUB_STATE. */
export interface MainState {
  snapshotFile: string
  method: SnapshotMethod
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
      return { snapshotFile: s.snapshotFile, method: s.method }
    }
  } catch {
    // Fall through: a state we cannot read is treated like no state.
  }
  return undefined
}
