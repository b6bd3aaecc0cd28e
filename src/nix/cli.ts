import { execCapture, type ExecResult } from '../runtime/exec.js'

export class NixCommandError extends Error {
  constructor(
    readonly command: string,
    readonly result: ExecResult
  ) {
    const detail = result.stderr.trim().split('\n').slice(-3).join(' | ')
    super(`${command} exited with ${result.exitCode}: ${detail}`)
  }
}

/**
 * Settings our own nix calls need on top of the user's configuration. Nix 2.3 ignores NIX_CONFIG
 * and 2.4+ only warns about unknown settings, so this is safe on every version we support.
 */
const OUR_SETTINGS = 'extra-experimental-features = nix-command'

export function nixEnv(base: NodeJS.ProcessEnv = process.env, extraConfig?: string): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v
  const ours = extraConfig ? `${OUR_SETTINGS}\n${extraConfig}` : OUR_SETTINGS
  env.NIX_CONFIG = base.NIX_CONFIG ? `${base.NIX_CONFIG}\n${ours}` : ours
  return env
}

/** Runs a Nix command without echoing it, returning its output; throws NixCommandError on failure. */
export async function runNix(
  command: string,
  args: readonly string[],
  opts: { input?: string; allowFailure?: boolean; extraConfig?: string; env?: NodeJS.ProcessEnv } = {}
): Promise<ExecResult> {
  const result = await execCapture(command, args, { env: nixEnv(opts.env ?? process.env, opts.extraConfig), input: opts.input })
  if (result.exitCode !== 0 && !opts.allowFailure) {
    throw new NixCommandError(`${command} ${args.slice(0, 3).join(' ')}`, result)
  }
  return result
}

/**
 * Splits path arguments into batches that stay well under ARG_MAX (2 MiB on Linux, about 1 MiB
 * on macOS), because not every Nix version can read paths from stdin.
 */
export function batches(paths: readonly string[], maxBytes = 256 * 1024): string[][] {
  const out: string[][] = []
  let current: string[] = []
  let size = 0
  for (const p of paths) {
    if (current.length > 0 && size + p.length + 1 > maxBytes) {
      out.push(current)
      current = []
      size = 0
    }
    current.push(p)
    size += p.length + 1
  }
  if (current.length > 0) out.push(current)
  return out
}

export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.length > 0)
}
