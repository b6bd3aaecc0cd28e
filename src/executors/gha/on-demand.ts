import { host } from '../../runtime/host.js'
import { timings } from '../../runtime/timings.js'
import type { StoreLocation } from '../../nix/store-location.js'
import { actionsCacheClient, cacheMode, unavailableReason } from './client.js'
import { LazyLayers } from './lazy.js'
import { serveLazyLayers, type LocalSubstituter } from './lazy-server.js'
import { ghaLayout, keyScheme } from './layout.js'
import { RESTORED_STATE_KEY } from './state.js'
import { jobDir } from '../../runtime/job-dir.js'
import { localPull, servingKeys, type LocalPull } from './serving-key.js'

/**
 * The GitHub Actions cache as a local substituter, for the background agent: the main step then
 * returns at once, and layers are downloaded while the build runs, only when Nix asks for them.
 * Undefined when the cache cannot be read in this job; the main step's eager restore then says why.
 */
export async function serveGithubActionsCache(opts: { keyPrefix: string; port: number }, store: StoreLocation): Promise<LocalSubstituter | undefined> {
  if (unavailableReason() || !cacheMode().readable) return undefined
  const layout = ghaLayout(host().tempDir)
  const layers = new LazyLayers({ client: actionsCacheClient({ stallMs: timings().layerStallMs }), layout, keys: keyScheme(opts.keyPrefix), storeDir: store.storeDir })
  const keys = await servingKeys(jobDir().substituterKey)
  const substituter = await serveLazyLayers(layers, layout.binaryCache, { port: opts.port, keys: keys.all, storeDir: store.storeDir })
  return {
    url: substituter.url,
    close: async () => {
      await substituter.close()
      // The post step reads what was downloaded: let the downloads and their record finish first.
      await layers.settled()
    }
  }
}

/**
 * In the main step, once the agent serves the cache at `url`: the post step learns where the
 * agent records what it restored, and the job's Nix is to pull from `url` trusting the keys the
 * agent signs with (the same job key file: whichever of the two made it first).
 */
export async function pullFromLocalSubstituter(url: string, port: number): Promise<LocalPull> {
  host().saveState(RESTORED_STATE_KEY, ghaLayout(host().tempDir).restoredFile)
  return localPull(url, await servingKeys(jobDir().substituterKey), url === `http://127.0.0.1:${port}`)
}
