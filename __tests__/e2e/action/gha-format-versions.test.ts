// Format versions of what `cache: github-actions` writes into a user's cache: a cache written by
// an earlier release is read, and a manifest in a format this release does not know is left as it
// is. The earlier and newer entries are saved from this process with the same @actions/cache
// client the action uses, at the paths a job restores them to, against the local v2 service; the
// jobs are the bundled action, run as the runner runs it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { newestManifest, PREFIX, useGhaCache } from '../../helpers/gha-jobs.js'
import { removeTree } from '../../helpers/nix-store.js'
import { capturingHost } from '../../helpers/fixtures.js'
import { isApp, useGraphWorld } from '../../helpers/scenario.js'
import { actionsCacheClient, type CacheClient } from '../../../src/executors/gha/client.js'
import { LAYER_FORMAT_FILE } from '../../../src/executors/gha/layer.js'
import { ghaLayout, keyScheme, refTag, type GhaLayout } from '../../../src/executors/gha/layout.js'
import { MANIFEST_FORMAT } from '../../../src/executors/gha/manifest.js'
import { setHost } from '../../../src/runtime/host.js'

const world = useGraphWorld('e2e-gha-formats-')
const gha = useGhaCache(world, { restore: 'eager' })

// The jobs' workspaces are <tmp>/gha-runner-…/work/repo: this process's is at the same depth.
let workspaceRoot: string
beforeAll(async () => {
  setHost(capturingHost().host)
  workspaceRoot = await mkdtemp(join(tmpdir(), 'gha-runner-formats-'))
})
afterAll(async () => {
  await rm(workspaceRoot, { recursive: true, force: true })
})

/** A cache client in this process, saving from and restoring to the paths the jobs use. */
async function inProcess(): Promise<{ client: CacheClient; layout: GhaLayout }> {
  const runnerTemp = join(world.dir, 'runner-temp')
  await removeTree(runnerTemp)
  await mkdir(runnerTemp, { recursive: true })
  // As on a runner: the client stores paths relative to GITHUB_WORKSPACE, and an entry is found
  // only by the same relative paths.
  const workspace = join(workspaceRoot, 'work', 'repo')
  await mkdir(workspace, { recursive: true })
  Object.assign(process.env, gha.server.env(), { RUNNER_TEMP: runnerTemp, GITHUB_WORKSPACE: workspace })
  const layout = ghaLayout(runnerTemp)
  await mkdir(layout.root, { recursive: true })
  return { client: actionsCacheClient(), layout }
}

interface StoredManifest {
  format: number
  layers: Array<Record<string, unknown> & { key: string; slot: number }>
}

describe('cache: github-actions format versions', () => {
  it('reads a cache an earlier release wrote (manifest format 1 under its untagged key, a layer without a format file) and saves it again in the current format', async () => {
    // A cache as releases before 1.0.0 wrote it: made from a real job's layer, with the format
    // file removed, listed by a format 1 manifest under the key scheme of the time.
    const first = await gha.jobs.run({ variant: 'v1' })
    expect(first.post.code).toBe(0)
    const current = await newestManifest(gha.server, PREFIX)
    const [layer] = current.layers
    if (!layer) throw new Error('the first job saved no layer')
    const { client, layout } = await inProcess()
    const slotDir = layout.slotDir(layer.slot)
    expect(await client.restore(slotDir, layer.key)).toBeDefined()
    await rm(join(slotDir, LAYER_FORMAT_FILE))
    const oldLayerKey = `${PREFIX}-layer-linux-x64-before-1.0.0`
    await client.save(slotDir, oldLayerKey)
    const { format: _, ...oldRecord } = layer as typeof layer & { format?: number }
    const oldManifest = { format: 1, storeDir: '/nix/store', updatedAt: 1, layers: [{ ...oldRecord, key: oldLayerKey }] }
    await writeFile(layout.manifestFile, JSON.stringify(oldManifest))
    const oldManifestKey = `${PREFIX}-manifest-linux-x64-${refTag('refs/heads/main')}-0-1-1`
    await client.save(layout.manifestFile, oldManifestKey)
    for (const e of gha.server.entries().filter((e) => e.key !== oldLayerKey && e.key !== oldManifestKey)) gha.server.remove(e.key)

    const next = await gha.jobs.run({ variant: 'v2' })
    expect(next.warnings).toEqual([])
    expect(next.main.stdout).toContain(`Cache manifest ${oldManifestKey} is in format 1, of an earlier release`)
    expect(next.main.stdout).toMatch(new RegExp(`Restored 1 of 1 cache layer\\(s\\) from ${oldManifestKey}: 8 paths`))
    expect(next.built).toHaveLength(1)
    expect(isApp(next.built[0] ?? '')).toBe(true)
    const saved = await newestManifest(gha.server, PREFIX)
    expect(saved.key.startsWith(`${PREFIX}-manifest-f${MANIFEST_FORMAT}-linux-x64-`)).toBe(true)
    const stored = JSON.parse(await readFileOfEntry(saved.key)) as StoredManifest
    expect(stored.format).toBe(MANIFEST_FORMAT)
    expect(stored.layers.map((l) => [l.key, l.format])).toEqual([
      [oldLayerKey, 1],
      [expect.stringMatching(new RegExp(`^${PREFIX}-layer-linux-x64-`)), 1]
    ])
    // The earlier release's entries are still there, for jobs still on it.
    expect(gha.server.entries().map((e) => e.key)).toEqual(expect.arrayContaining([oldLayerKey, oldManifestKey]))
  })

  it('leaves a manifest in a format it does not know alone: says so once, uses nothing of it, saves nothing that would be found before it', async () => {
    const { client, layout } = await inProcess()
    const newer = `${JSON.stringify({ format: MANIFEST_FORMAT + 1, storeDir: '/nix/store', chunks: ['whatever a newer release keeps'] })}\n`
    await writeFile(layout.manifestFile, newer)
    const newerKey = keyScheme(PREFIX, { ...process.env, GITHUB_REF: 'refs/heads/main' }).manifestKey(Date.now())
    await client.save(layout.manifestFile, newerKey)
    const before = gha.server.entries().map((e) => ({ key: e.key, data: Buffer.from(e.data) }))

    const run = await gha.jobs.run({ variant: 'v3' })
    expect(run.main.code).toBe(0)
    expect(run.post.code).toBe(0)
    expect(run.warnings).toHaveLength(1)
    expect(run.warnings[0]).toContain(`Cache manifest ${newerKey} is in format ${MANIFEST_FORMAT + 1}, which this release of nix-buildtime-cache does not know`)
    expect(run.post.stdout).toContain(`Nothing saved: the newest cache manifest (${newerKey}) is in a format this release does not know`)
    expect(run.requests.filter((r) => r.method === 'DOWNLOAD' && r.key?.includes('-layer-'))).toEqual([])
    expect(run.created).toEqual([])
    // Every entry is still there, byte for byte, and the newer manifest is still the one restores find.
    expect(gha.server.entries().map((e) => ({ key: e.key, data: Buffer.from(e.data) }))).toEqual(before)
    expect(JSON.parse(await readFileOfEntry(newerKey))).toEqual(JSON.parse(newer))

    // The same when the background agent serves the cache on demand: the post step gives the one
    // warning (the agent's own line reaches the log as information), and nothing is saved.
    const onDemand = await gha.jobs.run({ variant: 'v3', inputs: { 'push-during-build': 'true' } })
    expect(onDemand.post.code).toBe(0)
    expect(onDemand.post.stdout).toContain(`Background agent: Cache manifest ${newerKey} is in format ${MANIFEST_FORMAT + 1}`)
    expect(onDemand.warnings).toEqual([expect.stringContaining(`Nothing saved: the newest cache manifest (${newerKey}) is in a format this release does not know`)])
    expect(onDemand.created).toEqual([])
    expect(gha.server.entries().map((e) => ({ key: e.key, data: Buffer.from(e.data) }))).toEqual(before)
  })
})

/** An entry's single file, restored with the action's client as a job would. */
async function readFileOfEntry(key: string): Promise<string> {
  const { client, layout } = await inProcess()
  await rm(layout.manifestFile, { force: true })
  const hit = await client.restore(layout.manifestFile, key)
  if (!hit) throw new Error(`no entry ${key}`)
  return readFile(layout.manifestFile, 'utf8')
}
