// Tests that only root can run (they create users, run nix-daemon as root, write /etc/sudoers.d):
// as any other user they are skipped, and the run says so in one line each, instead of failing.
import { describe } from '@jest/globals'

export const isRoot = process.getuid?.() === 0

type Describe = (name: string, fn: () => void) => void

/** `describe` as root; otherwise `describe.skip`, with one line on stderr naming the reason. */
export function describeAsRoot(why: string): Describe {
  if (isRoot) return describe
  return (name, fn) => {
    process.stderr.write(`skipped, needs root: ${name} (${why})\n`)
    describe.skip(name, fn)
  }
}
