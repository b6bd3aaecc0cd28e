// Tests that only root can run (they create users, run nix-daemon as root, write /etc/sudoers.d,
// mount file systems, set file attributes): as any other user they are skipped, and the run says
// so in one line each, instead of failing.
import { describe, it } from '@jest/globals'

export const isRoot = process.getuid?.() === 0

type Block = (name: string, fn: () => void) => void
type Test = (name: string, fn: () => Promise<void>) => void

function skipNote(name: string, why: string): void {
  process.stderr.write(`skipped, needs root: ${name} (${why})\n`)
}

/** `describe` as root; otherwise `describe.skip`, with one line on stderr naming the reason. */
export function describeAsRoot(why: string): Block {
  if (isRoot) return describe
  return (name, fn) => {
    skipNote(name, why)
    describe.skip(name, fn)
  }
}

/** `it` as root; otherwise `it.skip`, with one line on stderr naming the reason. */
export function itAsRoot(why: string): Test {
  if (isRoot) return it
  return (name, fn) => {
    skipNote(name, why)
    it.skip(name, fn)
  }
}
