import { batches, runNix } from './cli.js'
import { isDerivation } from './closure.js'
import { parsePathInfoJson } from './path-info.js'
import type { PathInfo } from '../format/path-info.js'
import { drvArgumentMeansOutputs, nixVersion } from './version.js'

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
 * Whether `nix path-info X.drv` (and `nix copy`, `nix store sign`) describes the .drv itself, as
 * on 2.3, 2.15+, Lix and Determinate, rather than its outputs (2.4–2.14). Known from the version
 * where it names itself; otherwise probed with one derivation, which on 2.4–2.14 fails outright
 * (unbuilt outputs) or describes the outputs. Nix 2.3 never sees `--derivation` (it has no such
 * flag).
 */
export async function drvArgumentIsLiteral(drv: string, storeDir: string): Promise<boolean> {
  const version = await nixVersion()
  if (version) return !drvArgumentMeansOutputs(version)
  const probe = await query([drv], [], storeDir, true)
  return probe.some((i) => i.path === drv)
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
    const literal = await drvArgumentIsLiteral(drvs[0]!, storeDir)
    const infos = await query(drvs, literal ? [] : ['--derivation'], storeDir)
    for (const info of infos) if (isDerivation(info.path)) result.set(info.path, info)
  }
  return result
}
