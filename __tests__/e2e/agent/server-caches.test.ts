import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startAtticServer, type AtticServer } from '../../helpers/attic-server.js'
import { startCachixServer, type CachixServer } from '../../helpers/cachix-server.js'
import { startNiks3Server, type Niks3Server } from '../../helpers/niks3-server.js'
import { warningLines } from '../../helpers/runner.js'
import { FIRST_PUSH, generateKeys, rolesOf, runGraphJob, useGraphWorld } from '../../helpers/scenario.js'
import { hashPart } from '../../../src/format/store-path.js'
import { sleep } from '../../helpers/fixtures.js'
import { parseSecretKey } from '../../../src/format/signing.js'

const world = useGraphWorld('e2e-agent-servers-')
const TOKEN = 'agent-servers-token-7e1d'

describe('the background agent with a cache server of its own API', () => {
  let attic: AtticServer
  let cachix: CachixServer
  let niks3: Niks3Server

  beforeAll(async () => {
    const key = parseSecretKey((await generateKeys(world.dir, 'servers-agent-1')).secret)
    attic = await startAtticServer({ caches: { ci: { key, isPublic: false } }, tokens: { [TOKEN]: { ci: 'rw' } } })
    cachix = await startCachixServer({ caches: { ci: { key, isPublic: false } }, tokens: { [TOKEN]: { ci: 'rw' } } })
    niks3 = await startNiks3Server({ key, token: TOKEN })
  })
  afterAll(async () => {
    await Promise.all([attic.stop(), cachix.stop(), niks3.stop()])
  })

  /** The store paths each server holds now, by the server's own records. */
  const uploaded: Record<string, () => string[]> = {
    attic: () => attic.uploads.get('ci')!,
    cachix: () => cachix.completed.get('ci')!,
    niks3: () => niks3.committed
  }
  const uris: Record<string, () => string> = { attic: () => attic.uri('ci'), cachix: () => cachix.uri('ci'), niks3: () => niks3.uri }

  it.each(['attic', 'cachix', 'niks3'])('publishes to %s during the build, and the job as a whole pushes exactly the new build-time closure, each path once', async (server) => {
    const before = uploaded[server]!().length
    // The agent publishes as the build goes; the post step is held back until it has (at most 20 s).
    const agentPublished = async (): Promise<void> => {
      for (let i = 0; i < 200 && uploaded[server]!().length === before; i++) await sleep(100)
    }
    const run = await runGraphJob({ cache: uris[server]!(), keys: world.keys, upstream: world.upstream, preexisting: false, inputs: { 'auth-token': TOKEN }, beforePost: agentPublished })
    expect(run.post.code).toBe(0)
    expect(warningLines(run.main.stdout)).toEqual([])
    expect(warningLines(run.post.stdout)).toEqual([])
    expect(rolesOf(run.pushed, run.paths)).toEqual(FIRST_PUSH)
    // Some of it went up from the agent while the build ran, the rest from the post step.
    expect(run.post.summary).toMatch(/[1-9]\d* paths? \(.* NAR\) went up during the build/)
    const byHash = new Map(Object.values(run.paths).map((p) => [hashPart(p), p]))
    // niks3 records closure keys (`<hash>.narinfo`), the others store paths.
    const hashOf = (p: string): string => (p.endsWith('.narinfo') ? p.slice(0, 32) : hashPart(p))
    const held = uploaded[server]!().map((p) => byHash.get(hashOf(p)) ?? p)
    expect(rolesOf(held, run.paths)).toEqual(FIRST_PUSH)
    expect(held).not.toContain(run.stray)
    await run.store.cleanup()
  })
})
