import { createHash } from 'node:crypto'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

/**
 * Where `start` leaves the snapshot for `push` when no --state-dir is given: one directory per
 * working directory under $XDG_STATE_HOME (else ~/.local/state), so that the before and after
 * scripts of a CI job, which run in the same checkout, find each other, and two checkouts on one
 * machine do not.
 */
export function defaultStateDir(cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state')
  const id = createHash('sha256').update(resolve(cwd)).digest('hex').slice(0, 16)
  return join(base, 'nix-buildtime-cache', id)
}
