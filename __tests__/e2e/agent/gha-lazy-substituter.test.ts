// The GitHub Actions cache served on demand: a local substituter over the manifest, downloading a
// layer only when Nix asks for one of its paths. The layers are made by real jobs (the bundled
// action with the real @actions/cache client against the local v2 service); the substituter runs
// in this process with the same client, and a fresh Nix store substitutes from it.
import { beforeAll, describe, expect, it } from '@jest/globals'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { newestManifest, PREFIX, useGhaCache, type GhaRun } from '../../helpers/gha-jobs.js'
import { consumerBuild, useGraphWorld } from '../../helpers/scenario.js'
import { capturingHost } from '../../helpers/fixtures.js'
import { actionsCacheClient } from '../../../src/executors/gha/client.js'
import { cachedHashes, LazyLayers, untouchedLayers } from '../../../src/executors/gha/lazy.js'
import { serveLazyLayers, type LocalSubstituter } from '../../../src/executors/gha/lazy-server.js'
import { ghaLayout, keyScheme } from '../../../src/executors/gha/layout.js'
import { entryCallsSettled } from '../../../src/executors/gha/entry-paths.js'
import { layerId, type LayerRecord } from '../../../src/executors/gha/manifest.js'
import { setHost } from '../../../src/runtime/host.js'
import { hashPart } from '../../../src/format/store-path.js'
import { generateSecretKey, parseSecretKey } from '../../../src/format/signing.js'

const world = useGraphWorld('e2e-gha-lazy-')
const gha = useGhaCache(world)
/** What the substituter in this process says (its warnings are asserted on). */
const said = capturingHost()
/** The key the substituter signs with, as the job's serving key; the consumers trust it. */
const servingKey = parseSecretKey(generateSecretKey('test-serving-1'))
let v1: GhaRun
let v2: GhaRun
let v3: GhaRun

beforeAll(async () => {
  setHost(said.host)
  // Three layers: v1's whole closure, then v2's and v3's top-level paths.
  v1 = await gha.jobs.run({ variant: 'v1' })
  v2 = await gha.jobs.run({ variant: 'v2' })
  v3 = await gha.jobs.run({ variant: 'v3' })
})

interface Served {
  layers: LazyLayers
  substituter: LocalSubstituter
  /** Layer keys downloaded since it started. */
  downloads(): string[]
  stop(): Promise<void>
}

/** A job's substituter, in this process, over the cache the jobs above filled. */
let served = 0
async function serve(opts: { stallMs?: number } = {}): Promise<Served> {
  const since = gha.server.requests.length
  // Each served job has its own RUNNER_TEMP, as on a runner: a download an earlier job abandoned
  // (after a stall) may still be writing into its own.
  const runnerTemp = join(world.dir, `runner-temp-${++served}`)
  await mkdir(runnerTemp, { recursive: true })
  // As on a runner: the cache client keeps its archives under RUNNER_TEMP. (Where the workspace
  // is does not matter: entries are named and unpacked relative to their own directory.)
  const workspace = join(world.dir, 'work', 'repo')
  await mkdir(workspace, { recursive: true })
  Object.assign(process.env, gha.server.env(), { RUNNER_TEMP: runnerTemp, GITHUB_WORKSPACE: workspace })
  const layout = ghaLayout(runnerTemp)
  const layers = new LazyLayers({ client: actionsCacheClient({ stallMs: opts.stallMs }), layout, keys: keyScheme(PREFIX), storeDir: '/nix/store' })
  const substituter = await serveLazyLayers(layers, layout.binaryCache, { port: 0, keys: [servingKey], storeDir: '/nix/store' })
  return {
    layers,
    substituter,
    downloads: () => gha.server.requests.slice(since).filter((r) => r.method === 'DOWNLOAD' && r.key?.includes('-layer-')).map((r) => r.key ?? ''),
    stop: () => substituter.close()
  }
}

const fetchStatus = async (url: string): Promise<{ status: number; ms: number; body: string }> => {
  const t = Date.now()
  const r = await fetch(url)
  return { status: r.status, ms: Date.now() - t, body: await r.text() }
}

describe('cache: github-actions served on demand', () => {
  it('lets a fresh store build v2 without building anything, downloading only the layers it needs', async () => {
    const manifest = await newestManifest(gha.server, PREFIX)
    expect(manifest.layers).toHaveLength(3)
    const s = await serve()
    try {
      const consumer = await consumerBuild({
        substituters: [s.substituter.url, world.upstream.url],
        trustedKeys: [world.upstream.publicKey, servingKey.publicKey],
        variant: 'v2'
      })
      expect(consumer.built).toBe(0)
      await consumer.store.cleanup()
      // v1's layer holds top's run-time closure, v2's layer top itself; v3's was never needed.
      const v3Layer = manifest.layers.find((l) => l.pathCount === 1 && !Object.keys(l.paths).includes(hashPart(v2.paths.top)))
      expect(s.downloads().sort()).toEqual(manifest.layers.filter((l) => l !== v3Layer).map((l) => l.key).sort())
      expect(s.layers.state.held).toHaveLength(2)
    } finally {
      await s.stop()
    }
  })

  it('answers a path no layer holds with 404 at once, before any layer is downloaded', async () => {
    const s = await serve()
    try {
      const absent = await fetchStatus(`${s.substituter.url}/${'0'.repeat(32)}.narinfo`)
      expect(absent.status).toBe(404)
      expect(absent.ms).toBeLessThan(2000)
      expect(s.downloads()).toEqual([])
      const info = await fetchStatus(`${s.substituter.url}/nix-cache-info`)
      expect(info.body).toContain('StoreDir: /nix/store')
    } finally {
      await s.stop()
    }
  })

  it('downloads a layer once for concurrent requests of its paths, and serves each narinfo after its NAR is verified', async () => {
    const s = await serve()
    try {
      const hashes = [v1.paths.lib, v1.paths.multiOut, v1.paths.tool, v1.paths.src].map(hashPart)
      const answers = await Promise.all(hashes.map((h) => fetchStatus(`${s.substituter.url}/${h}.narinfo`)))
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200])
      expect(s.downloads()).toHaveLength(1)
      const url = /^URL: (\S+)$/m.exec(answers[0]!.body)?.[1]
      const nar = await fetch(`${s.substituter.url}/${url}`)
      expect(nar.status).toBe(200)
      expect(Number(/^NarSize: (\d+)$/m.exec(answers[0]!.body)?.[1])).toBe((await nar.arrayBuffer()).byteLength)
    } finally {
      await s.stop()
    }
  })

  it('costs a missing layer only its own paths: 404, one warning, and Nix builds them instead', async () => {
    const manifest = await newestManifest(gha.server, PREFIX)
    const big = manifest.layers.find((l) => l.pathCount > 1)!
    const s = await serve()
    gha.server.remove(big.key)
    try {
      const consumer = await consumerBuild({
        substituters: [s.substituter.url, world.upstream.url],
        trustedKeys: [world.upstream.publicKey, servingKey.publicKey],
        variant: 'v2'
      })
      // Nix fell back to building what the lost layer held, and the build still succeeded.
      expect(consumer.built).toBeGreaterThan(0)
      await consumer.store.cleanup()
      expect(said.warnings.filter((w) => w.includes(big.key))).toHaveLength(1)
      expect(s.layers.state.failed).toEqual([layerId(big)])
      expect(await s.layers.holds(hashPart(v1.paths.lib))).toBe(false)
    } finally {
      await s.stop()
    }
  })
})

describe('an on-demand layer download that goes wrong on the wire', () => {
  /** A stall is noticed after this long (seconds, not the job's budget of nearly two minutes). */
  const STALL_MS = 2_000

  async function layerOf(path: string): Promise<LayerRecord> {
    // The test's view of the manifest, read back from the service: every field the code reads.
    const manifest = await newestManifest(gha.server, PREFIX)
    return manifest.layers.find((l) => Object.keys(l.paths).includes(hashPart(path)))! as LayerRecord
  }

  it('that gets no response headers is abandoned within seconds and tried once more: the path is served', async () => {
    const layer = await layerOf(v2.paths.top)
    const s = await serve({ stallMs: STALL_MS })
    gha.server.stallDownloads({ kind: 'no-headers', key: layer.key, times: 1 })
    try {
      const answer = await fetchStatus(`${s.substituter.url}/${hashPart(v2.paths.top)}.narinfo`)
      expect(answer.status).toBe(200)
      expect(answer.ms).toBeLessThan(STALL_MS + 8_000)
      expect(s.downloads()).toEqual([layer.key, layer.key])
      expect(s.layers.state.held).toEqual([layerId(layer)])
      expect(s.layers.state.failed).toEqual([])
      expect(said.lines.some((l) => l.includes(`Cache layer ${layer.key}: `) && l.includes('trying once more'))).toBe(true)
    } finally {
      gha.server.clearFaults()
      await s.stop()
      await entryCallsSettled()
    }
  })

  it('whose body stalls, twice, costs Nix seconds (404, one warning), and the intact layer stays in the next manifest', async () => {
    const layer = await layerOf(v2.paths.top)
    const s = await serve({ stallMs: STALL_MS })
    gha.server.stallDownloads({ kind: 'stalled-body', key: layer.key, times: 2 })
    const warningsBefore = said.warnings.length
    try {
      const answer = await fetchStatus(`${s.substituter.url}/${hashPart(v2.paths.top)}.narinfo`)
      expect(answer.status).toBe(404)
      expect(answer.ms).toBeLessThan(2 * STALL_MS + 8_000)
      expect(s.downloads()).toEqual([layer.key, layer.key])
      const warnings = said.warnings.slice(warningsBefore).filter((w) => w.includes(layer.key))
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toMatch(/did not download .*twice.*kept in the cache/)
      // Not known to be damaged or gone: not failed, so the save keeps it and counts its paths as cached.
      expect(s.layers.state.failed).toEqual([])
      expect(s.layers.state.unfetched).toEqual([layerId(layer)])
      expect(untouchedLayers(s.layers.state).map(layerId)).toContain(layerId(layer))
      expect(cachedHashes(s.layers.state).has(hashPart(v2.paths.top))).toBe(true)
      // Nor is the service given up on: another layer still downloads.
      expect((await fetchStatus(`${s.substituter.url}/${hashPart(v3.paths.top)}.narinfo`)).status).toBe(200)
    } finally {
      gha.server.clearFaults()
      await s.stop()
      await entryCallsSettled()
    }
  })

  it('that is slow but steady is never abandoned, though the library logs no progress for it', async () => {
    const layer = await layerOf(v2.paths.top)
    const s = await serve({ stallMs: STALL_MS })
    // Ten pieces, 0.7 s apart: 7 s in all, more than three times the stall bound, with bytes always arriving.
    gha.server.stallDownloads({ kind: 'slow-body', key: layer.key, pauseMs: 700 })
    try {
      const answer = await fetchStatus(`${s.substituter.url}/${hashPart(v2.paths.top)}.narinfo`)
      expect(answer.status).toBe(200)
      expect(answer.ms).toBeGreaterThan(STALL_MS)
      expect(s.downloads()).toEqual([layer.key])
      expect(s.layers.state.held).toEqual([layerId(layer)])
    } finally {
      gha.server.clearFaults()
      await s.stop()
      await entryCallsSettled()
    }
  })
})
