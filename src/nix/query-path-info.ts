import { batches, runNix } from './cli.js'
import { isDerivation } from './closure.js'
import { parsePathInfoJson } from './path-info.js'
import type { PathInfo } from './path-info-types.js'

let jsonFormatFlag: string[] | undefined

/**
 * `--json` alone is deprecated from Nix 2.33 (and slated to become an error), while older Nix and
 * Lix reject `--json-format`; so try the explicit format once and remember what worked.
 */
async function pathInfoJson(args: readonly string[], allowFailure = false): Promise<string> {
  if (jsonFormatFlag === undefined) {
    const r = await runNix('nix', ['path-info', '--json', '--json-format', '1', ...args], { allowFailure: true })
    if (r.exitCode === 0) {
      jsonFormatFlag = ['--json-format', '1']
      return r.stdout
    }
    jsonFormatFlag = []
  }
  const r = await runNix('nix', ['path-info', '--json', ...jsonFormatFlag, ...args], { allowFailure })
  return r.exitCode === 0 ? r.stdout : '[]'
}

async function query(paths: readonly string[], extra: readonly string[], storeDir: string, allowFailure = false): Promise<PathInfo[]> {
  const out: PathInfo[] = []
  for (const batch of batches(paths)) {
    out.push(...parsePathInfoJson(await pathInfoJson([...extra, ...batch], allowFailure), storeDir))
  }
  return out
}

/**
 * Info for valid store paths. On Nix 2.4 to 2.14 a `.drv` argument means its outputs, and
 * `--derivation` maps outputs to their derivers, so derivations and other paths are asked for
 * separately, and `--derivation` is used only if a plain query did not describe the .drv itself.
 */
export async function queryPathInfos(paths: readonly string[], storeDir: string): Promise<Map<string, PathInfo>> {
  const result = new Map<string, PathInfo>()
  const drvs = paths.filter(isDerivation)
  const others = paths.filter((p) => !isDerivation(p))
  for (const info of await query(others, [], storeDir)) result.set(info.path, info)
  if (drvs.length > 0) {
    // Probe with one derivation: on 2.4-2.14 it may fail outright (unbuilt outputs) or describe outputs.
    const probe = await query(drvs.slice(0, 1), [], storeDir, true)
    const literal = probe.some((i) => i.path === drvs[0])
    const infos = await query(drvs, literal ? [] : ['--derivation'], storeDir)
    for (const info of infos) if (isDerivation(info.path)) result.set(info.path, info)
  }
  return result
}
