import { log } from '../../runtime/host.js'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { CacheEntryError, type CacheClient, type Saved } from './client.js'
import type { GhaLayout, KeyScheme } from './layout.js'
import { ManifestError, mergeManifests, parseManifest, renderManifest, type Manifest } from './manifest.js'

export interface FetchedManifest {
  manifest?: Manifest
  /** The key(s) it came from, for the log. */
  key?: string
}

type Report = (message: string) => void

/** The newest manifest under one prefix. A damaged one costs only itself: one report, and no manifest. */
async function fetchOne(client: CacheClient, layout: GhaLayout, prefix: string, storeDir: string, report: Report): Promise<FetchedManifest> {
  await rm(layout.manifestFile, { force: true })
  // The prefix is passed as the key too: the service matches the key exactly before it tries
  // restore keys as prefixes, and no manifest is ever saved under the bare prefix.
  let hit
  try {
    hit = await client.restore(layout.manifestFile, prefix, [prefix])
  } catch (e) {
    if (!(e instanceof CacheEntryError)) throw e
    report(`The cache manifest could not be restored (${e.message}); carrying on as if the cache were empty.`)
    return {}
  }
  if (!hit) return {}
  try {
    const manifest = parseManifest(await readFile(layout.manifestFile, 'utf8'))
    if (manifest.storeDir !== storeDir) {
      report(`Cache manifest ${hit.key} is for store ${manifest.storeDir}, not ${storeDir}; it is ignored.`)
      return { key: hit.key }
    }
    return { manifest, key: hit.key }
  } catch (e) {
    const why = e instanceof ManifestError ? e.message : (e as Error).message
    report(`Cache manifest ${hit.key} is unreadable (${why}); carrying on as if the cache were empty.`)
    return { key: hit.key }
  }
}

/**
 * The newest manifest this job can see. The service looks in the job's own scope first, so once a
 * pull request has saved a manifest it would never see a newer one of its base branch again; a
 * second lookup by the base branch's own prefix (found only in the base branch's scope) gets that
 * one too, and the two are merged.
 */
export async function fetchManifest(
  client: CacheClient,
  layout: GhaLayout,
  keys: KeyScheme,
  storeDir: string,
  report: Report = log.warning
): Promise<FetchedManifest> {
  const own = await fetchOne(client, layout, keys.manifestPrefix, storeDir, report)
  if (!keys.baseManifestPrefix) return own
  const base = await fetchOne(client, layout, keys.baseManifestPrefix, storeDir, report)
  if (!base.manifest || base.key === own.key) return own
  if (!own.manifest) return base
  return { manifest: mergeManifests(own.manifest, base.manifest), key: `${own.key} + ${base.key}` }
}

export async function storeManifest(client: CacheClient, layout: GhaLayout, key: string, manifest: Manifest): Promise<Saved> {
  await writeFile(layout.manifestFile, renderManifest(manifest))
  return client.save(layout.manifestFile, key)
}
