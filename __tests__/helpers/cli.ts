// Runs the bundled nix-buildtime-cache command (dist/cli.js) as a user outside GitHub would:
// an environment without any GITHUB_* or RUNNER_* variable.
import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { NIX_PRELUDE } from './graph.js'
import { runProcess, sleep, type ProcResult } from './proc.js'
import { node24, REPO_ROOT } from './runner.js'

export const CLI = join(REPO_ROOT, 'dist', 'cli.js')

/** Throws if `env` carries anything of the GitHub runner's: the CLI must not depend on it. */
export function assertNoRunnerEnv(env: NodeJS.ProcessEnv): void {
  const leaked = Object.keys(env).filter((k) => k.startsWith('GITHUB_') || k.startsWith('RUNNER_') || k.startsWith('ACTIONS_'))
  if (leaked.length > 0) throw new Error(`the CLI tests must run without runner variables: ${leaked.join(', ')}`)
}

export function runCli(args: readonly string[], opts: { env: NodeJS.ProcessEnv; cwd?: string; script?: string; node?: string }): Promise<ProcResult> {
  assertNoRunnerEnv(opts.env)
  return runProcess(opts.node ?? node24(), [opts.script ?? CLI, ...args], { env: opts.env, cwd: opts.cwd, timeoutMs: 110_000 })
}

/** The `--json` line: the last line of stdout. */
export function jsonResult(stdout: string): Record<string, unknown> {
  const lines = stdout.trimEnd().split('\n')
  return JSON.parse(lines[lines.length - 1] ?? '') as Record<string, unknown>
}

/** `::…::` workflow commands mean nothing outside GitHub and must never appear. */
export const WORKFLOW_COMMAND = /^::/m

/** A one-derivation Nix file in `dir` whose output no other test builds (a random line in it). */
export async function tinyNix(dir: string, name: string): Promise<string> {
  const file = join(dir, `${name}.nix`)
  await writeFile(file, `let\n${NIX_PRELUDE}\nin mk "${name}" "\${bb} echo ${name}-${Math.random()} > $out" {}\n`)
  return file
}

/** The background agent that `start` recorded in its state dir, if any. */
export function agentOf(stateDir: string): number | undefined {
  const state = JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')) as Record<string, string>
  return (JSON.parse(state.nix_buildtime_cache ?? '{}') as { agent?: { pid: number } }).agent?.pid
}

/** Polls `done` until it holds or `ms` have passed (the caller then asserts what it needs). */
export async function until(done: () => boolean | Promise<boolean>, ms: number, everyMs = 100): Promise<void> {
  for (const end = Date.now() + ms; !(await done()) && Date.now() < end; ) await sleep(everyMs)
}
