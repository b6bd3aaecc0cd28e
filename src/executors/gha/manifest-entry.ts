import { log } from '../../runtime/host.js'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { CacheEntryError, type CacheClient, type Saved } from './client.js'
import type { GhaLayout, KeyScheme, ManifestPrefixes } from './layout.js'
import { MANIFEST_FORMAT, ManifestError, mergeManifests, parseManifest, renderManifest, UnknownManifestFormat, type Manifest } from './manifest.js'

export interface FetchedManifest {
  manifest?: Manifest
  /** The key(s) it came from, for the log. */
  key?: string
  /**
   * The newest manifest in the job's own scope is in a format this release does not know: the
   * job must not save a manifest, which restores would find before it.
   */
  unknown?: { key: string; format: number }
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
    if (e instanceof UnknownManifestFormat) {
      report(
        `Cache manifest ${hit.key} is in format ${e.format}, which this release of nix-buildtime-cache does not know (it reads formats up to ${MANIFEST_FORMAT}; a newer release wrote it?). ` +
          'It is left as it is, and not used here; upgrade the action to use it.'
      )
      return { key: hit.key, unknown: { key: hit.key, format: e.format } }
    }
    const why = e instanceof ManifestError ? e.message : (e as Error).message
    report(`Cache manifest ${hit.key} is unreadable (${why}); carrying on as if the cache were empty.`)
    return { key: hit.key }
  }
}

/** Says once that a manifest lists layers this release cannot use, and that they are kept. */
function reportForeign(fetched: FetchedManifest, report: Report): FetchedManifest {
  const foreign = fetched.manifest?.foreign ?? []
  if (foreign.length > 0) {
    const formats = [...new Set(foreign.map((f) => f.format))].sort((a, b) => a - b).join(', ')
    report(
      `Cache manifest ${fetched.key} lists ${foreign.length} layer(s) in a format this release of nix-buildtime-cache does not know (${formats}); ` +
        'they are not used here, and are kept in the cache as they are.'
    )
  }
  return fetched
}

/**
 * The newest manifest this job can see. The service looks in the job's own scope first, so once a
 * pull request has saved a manifest it would never see a newer one of its base branch again; a
 * second lookup by the base branch's own prefix (found only in the base branch's scope) gets that
 * one too, and the two are merged.
 */
async function fetchFormat(client: CacheClient, layout: GhaLayout, keys: ManifestPrefixes, storeDir: string, report: Report): Promise<FetchedManifest> {
  const own = await fetchOne(client, layout, keys.manifestPrefix, storeDir, report)
  if (!keys.baseManifestPrefix || own.unknown) return own
  const base = await fetchOne(client, layout, keys.baseManifestPrefix, storeDir, report)
  // A base branch's manifest of an unknown format is not ours to replace: this job's saves go
  // under its own ref, where the base branch's restores never look.
  if (!base.manifest || base.key === own.key) return own
  if (!own.manifest) return base
  return { manifest: mergeManifests(own.manifest, base.manifest), key: `${own.key} + ${base.key}` }
}

/**
 * The newest manifest this job can see, in the current format or else, while the current format
 * has none yet, in the newest older format it reads (it is saved again in the current format).
 */
export async function fetchManifest(
  client: CacheClient,
  layout: GhaLayout,
  keys: KeyScheme,
  storeDir: string,
  report: Report = log.warning
): Promise<FetchedManifest> {
  const current = await fetchFormat(client, layout, keys, storeDir, report)
  if (current.key !== undefined) return reportForeign(current, report)
  for (const older of keys.older) {
    const found = await fetchFormat(client, layout, older, storeDir, report)
    if (found.key === undefined) continue
    if (found.manifest) log.info(`Cache manifest ${found.key} is in format ${older.format}, of an earlier release: read, and saved again in format ${MANIFEST_FORMAT} when this job saves.`)
    // What sits under an older format's prefix cannot hide behind a save in the current one.
    const { unknown: _, ...readable } = found
    return reportForeign(readable, report)
  }
  return current
}

export async function storeManifest(client: CacheClient, layout: GhaLayout, key: string, manifest: Manifest): Promise<Saved> {
  await writeFile(layout.manifestFile, renderManifest(manifest))
  return client.save(layout.manifestFile, key)
}
