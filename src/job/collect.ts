import { log } from '../runtime/host.js'
import { buildClosure, isDerivation, resolveRoots } from '../nix/closure.js'
import { NixCommandError } from '../nix/cli.js'
import type { PathInfo } from '../format/path-info.js'
import { queryPathInfos } from '../nix/query-path-info.js'
import type { StoreLocation } from '../nix/store-location.js'
import { loadSnapshot, storeChanges, validPaths } from '../nix/snapshot.js'
import type { JobFacts } from '../plan/facts.js'
import type { MainState } from './state.js'

/** Nix's own words for why an installable failed (its `error:` line), else the error's first line. */
function whyFailed(e: unknown): string {
  if (e instanceof NixCommandError) {
    const lines = e.result.stderr.split('\n').map((l) => l.trim())
    const error = lines.find((l) => l.startsWith('error:')) ?? lines.filter((l) => l !== '').at(-1)
    if (error) return error.replace(/^error:\s*/, '')
  }
  return (e instanceof Error ? e.message : String(e)).split('\n').find((l) => l.trim() !== '')?.trim() ?? 'failed'
}

/**
 * The installables' roots, one installable at a time: one that Nix cannot resolve (a typo, a
 * flake output that does not exist, a .drv that was never instantiated) costs only itself, with
 * one warning naming it, and the others still define what is pushed.
 */
async function resolveEachRoot(installables: readonly string[], storeDir: string): Promise<string[]> {
  const roots: string[] = []
  const bad: string[] = []
  for (const item of installables) {
    try {
      const resolved = await resolveRoots([item], storeDir)
      const valid = await validPaths(resolved)
      if (valid.length === 0) throw new Error('not a valid path in this store')
      roots.push(...valid)
    } catch (e) {
      bad.push(`'${item}' (${whyFailed(e)})`)
    }
  }
  if (bad.length > 0) {
    const rest = roots.length > 0 ? 'the other installables still define what is pushed' : 'so nothing defines what is pushed'
    log.warning(`Input 'installables': could not resolve ${bad.join(', ')}; ${rest}.`)
  }
  return roots
}

export async function collectJobFacts(
  state: MainState,
  store: StoreLocation,
  opts: { installables: readonly string[]; includeDerivations: boolean; pushPreExisting: boolean }
): Promise<JobFacts> {
  const before = await loadSnapshot(state.snapshotFile)
  const { newPaths, methods, total } = await storeChanges(before, store)
  log.info(`${newPaths.length} new valid store paths since the main step (of ${total}; snapshots: ${methods}).`)

  // The new outputs' path info does not depend on the closure: asked for while the roots are
  // resolved and the closure computed, two Nix processes at once instead of one after the other.
  const outputs = newPaths.filter((p) => !isDerivation(p))
  const outputInfos = outputs.length > 0 ? queryPathInfos(outputs, store.storeDir) : Promise.resolve(new Map<string, PathInfo>())
  // Settled here too, so that a failure while the closure is computed leaves no unhandled rejection.
  outputInfos.catch(() => undefined)
  const roots =
    opts.installables.length > 0 ? await resolveEachRoot(opts.installables, store.storeDir) : newPaths.filter(isDerivation)
  const closure = roots.length > 0 ? await buildClosure(roots) : new Set<string>()
  log.info(`Build closure of ${roots.length} root(s): ${closure.size} paths.`)

  const fresh = new Set(newPaths)
  const more = newPaths.filter((p) => isDerivation(p) && opts.includeDerivations && closure.has(p))
  if (opts.pushPreExisting) {
    for (const p of closure) if (!fresh.has(p) && (!isDerivation(p) || opts.includeDerivations)) more.push(p)
  }
  const infos = await outputInfos
  if (more.length > 0) for (const [path, info] of await queryPathInfos(more, store.storeDir)) infos.set(path, info)
  return { newPaths, closure, infos }
}
