import { afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { join } from 'node:path'
import { followStore } from '../../../src/nix/follow.js'
import { buildClosure, isDerivation } from '../../../src/nix/closure.js'
import { resolveStore } from '../../../src/nix/store-location.js'
import { diffSnapshots, takeSnapshot } from '../../../src/nix/snapshot.js'
import { writeGraph } from '../../helpers/graph.js'
import { createTestStore, ensureNixAvailable, type TestStore } from '../../helpers/nix-store.js'

// The follower runs the job's Nix in-process, as the agent does: point this process at a test store.
let store: TestStore
const saved = { ...process.env }

beforeAll(async () => {
  await ensureNixAvailable()
})
afterEach(async () => {
  process.env = { ...saved }
  await store.cleanup()
})

describe.each(['db', 'dir'] as const)('following the store (%s)', (method) => {
  it('sees every path that becomes valid, and the build closure nix-store computes for the new derivations', async () => {
    store = await createTestStore()
    Object.assign(process.env, store.env)
    const location = resolveStore(store.storeRoot)
    const nixFile = await writeGraph(join(store.root, method), `follow-${method}`)
    // Something before the snapshot, that the build then uses.
    await store.build(nixFile, 'preexisting')
    const snapshot = await takeSnapshot(location, method)
    const follower = await followStore(location, snapshot)
    expect(follower.method).toBe(method)
    const seen: string[] = []
    // Paths registered between the snapshot and the first poll (the agent's start-up) count too.
    await store.build(nixFile, 'tool')
    seen.push(...(await follower.poll()))
    expect(seen.length).toBeGreaterThan(0)
    expect(await follower.poll()).toEqual([])
    await store.build(nixFile, ['top', 'unrelated'])
    seen.push(...(await follower.poll()))
    await store.runOk('nix-store', ['--add', nixFile])
    seen.push(...(await follower.poll()))

    const after = await takeSnapshot(location, 'db')
    const fresh = diffSnapshots(snapshot.names, after.names).map((n) => `/nix/store/${n}`)
    expect([...seen].sort()).toEqual(fresh.sort())
    const expected = await buildClosure(fresh.filter(isDerivation))
    expect([...(await follower.closure())].sort()).toEqual([...expected].sort())
    follower.close()
  })

  it('gives the build closure of given roots (installables) as nix-store computes it, growing as their outputs appear', async () => {
    store = await createTestStore()
    Object.assign(process.env, store.env)
    const location = resolveStore(store.storeRoot)
    const nixFile = await writeGraph(join(store.root, method), `roots-${method}`)
    await store.build(nixFile, 'preexisting')
    const snapshot = await takeSnapshot(location, method)
    const follower = await followStore(location, snapshot)
    // The root is instantiated, then built along with an unrelated derivation the job also builds.
    const root = (await store.runOk('nix-instantiate', [nixFile, '-A', 'top'])).stdout.trim()
    await follower.poll()
    const before = await follower.closureOf([root])
    expect([...before].sort()).toEqual([...(await buildClosure([root]))].sort())
    await store.build(nixFile, ['top', 'unrelated'])
    await follower.poll()
    const after = await follower.closureOf([root])
    expect([...after].sort()).toEqual([...(await buildClosure([root]))].sort())
    expect(after.size).toBeGreaterThan(before.size)
    // Not the other new derivation's closure, which the automatic roots include.
    const unrelated = [...(await follower.closure())].filter((p) => !after.has(p))
    expect(unrelated.length).toBeGreaterThan(0)
    expect([...(await follower.closureOf([]))]).toEqual([])
    follower.close()
  })
})
