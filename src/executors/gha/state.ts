import { host } from '../../runtime/host.js'
import { readFile, writeFile } from 'node:fs/promises'
import type { Manifest, PathFact } from './manifest.js'

/** What the main step's restore hands to the post step's save. */
export interface RestoredState {
  /** The manifest main restored; absent when there was none or it was unreadable. */
  manifest?: Manifest
  manifestKey?: string
  /** Layers restored (layerId). */
  held: string[]
  /** Layers that could not be restored (layerId). */
  failed: string[]
  /**
   * Layers whose on-demand download stalled, twice (layerId): not known to be damaged or gone, so
   * the next manifest keeps them, as it keeps the layers this job never needed.
   */
  unfetched?: string[]
  /** The verified paths the merged binary cache holds. */
  paths: PathFact[]
  /**
   * The newest manifest is in a format this release does not know (its key): nothing is saved,
   * since a new manifest would be found before it.
   */
  unknownManifest?: string
  /** Set when the service refused in main: the post step neither reads nor writes, and has said so. */
  refused?: string
  /**
   * Restored by the background agent, layer by layer as Nix asked: its warnings reach the job's
   * log only through the post step, which repeats the layers that failed.
   */
  onDemand?: boolean
}

export const RESTORED_STATE_KEY = 'nix_buildtime_cache_gha'

/** The state itself can be large (every path), so it goes into a file and only its name into GITHUB_STATE. */
export async function saveRestoredState(file: string, state: RestoredState): Promise<void> {
  await writeFile(file, JSON.stringify(state))
  host().saveState(RESTORED_STATE_KEY, file)
}

export async function loadRestoredState(): Promise<RestoredState | undefined> {
  const file = host().getState(RESTORED_STATE_KEY)
  if (!file) return undefined
  try {
    const s = JSON.parse(await readFile(file, 'utf8')) as RestoredState
    if (Array.isArray(s.held) && Array.isArray(s.failed) && Array.isArray(s.paths)) return s
  } catch {
    // A state we cannot read is treated as nothing restored.
  }
  return undefined
}
