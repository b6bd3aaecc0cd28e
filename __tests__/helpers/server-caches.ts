import { afterAll, beforeAll, expect } from '@jest/globals'
import { parseSecretKey, type SigningKey } from '../../src/format/signing.js'
import { UPSTREAM_ROLES } from './graph.js'
import { warningLines } from './runner.js'
import { builtDerivations } from './nix-store.js'
import { consumerBuild, EXPECTED_PUSH, generateKeys, isApp, rolesOf, type GraphWorld, type JobRun } from './scenario.js'

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

/**
 * What every server's first job must show: a clean run, exactly the new build-time closure pushed,
 * and `held` (what the server now holds, as store paths) being that set plus the earlier job's
 * `preexisting`: no derivation, nothing the upstream cache serves.
 */
export function expectExactPush(run: JobRun, held: readonly string[]): void {
  expect(run.post.code).toBe(0)
  expect(warningLines(run.main.stdout)).toEqual([])
  expect(warningLines(run.post.stdout)).toEqual([])
  expect(rolesOf(run.pushed, run.paths)).toEqual([...EXPECTED_PUSH].sort())
  expect(rolesOf(held, run.paths)).toEqual([...EXPECTED_PUSH, 'preexisting'].sort())
  expect(held.filter((p) => p.endsWith('.drv'))).toEqual([])
  for (const role of UPSTREAM_ROLES) expect(held).not.toContain(run.paths[role])
}

/**
 * The other half of a server's first job: a fresh store pulling from the server (with `netrc` for a
 * private cache) and the upstream cache builds only the changed derivation, the app. Cleans up the
 * job's store too.
 */
export async function expectFreshStoreRebuildsOnlyTheApp(world: GraphWorld, run: JobRun, from: { substituter: string; publicKey: string; netrc?: string }): Promise<void> {
  const consumer = await consumerBuild({
    substituters: [from.substituter, world.upstream.url],
    trustedKeys: [from.publicKey, world.upstream.publicKey],
    variant: 'v2',
    ...(from.netrc ? { extraConfig: [`netrc-file = ${from.netrc}`] } : {})
  })
  expect(consumer.built).toBe(1)
  expect(builtDerivations(consumer.log).every(isApp)).toBe(true)
  await consumer.store.cleanup()
  await run.store.cleanup()
}
