import { afterAll, beforeAll } from '@jest/globals'
import { parseSecretKey, type SigningKey } from '../../src/format/signing.js'
import { generateKeys, type GraphWorld } from './scenario.js'

/** What a step printed, without the runner's own mask registrations (which carry the secrets by design). */
export const visible = (text: string): string =>
  text
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n')

/**
 * The preamble of a job test against a cache server's stand-in: a key made by real Nix in the
 * world's directory, the server `start` makes with it, stopped after the block's last test. Call it
 * inside the describe block, so the server stops before useGraphWorld removes the world (a block's
 * afterAll hooks run before the file's).
 */
export function useStandIn<S extends { stop(): Promise<void> }>(world: GraphWorld, keyName: string, start: (key: SigningKey) => Promise<S>): void {
  let server: S | undefined
  beforeAll(async () => {
    server = await start(parseSecretKey((await generateKeys(world.dir, keyName)).secret))
  })
  afterAll(async () => {
    await server?.stop()
  })
}
