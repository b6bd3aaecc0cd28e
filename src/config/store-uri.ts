/**
 * What Nix accepts in a store URI, so that a `cache` input Nix would refuse (or silently read
 * elsewhere) fails in the main step, naming the input, instead of in the post step as a warning
 * nobody reads. Pure: no environment, no I/O.
 *
 * The settings are the union over the Nix versions users run (2.3 to 2.35, Lix), so nothing a
 * supported Nix accepts is refused. Sources (NixOS/nix):
 * - every store: `StoreConfig` in src/libstore/store-api.hh (2.8) and
 *   include/nix/store/store-api.hh (2.35): store, path-info-cache-size, trusted, priority,
 *   want-mass-query, system-features;
 * - binary caches (file://, http(s)://, s3://): `BinaryCacheStoreConfig` in binary-cache-store.hh:
 *   compression, write-nar-listing, index-debug-info, secret-key, secret-keys, local-nar-cache,
 *   parallel-compression, compression-level;
 * - http(s):// (2.31+) and s3://: `HttpBinaryCacheStoreConfig` in http-binary-cache-store.hh:
 *   narinfo-compression, ls-compression, log-compression, tls-certificate, tls-private-key;
 * - s3://: `S3BinaryCacheStoreConfig` in s3-binary-cache-store.hh: profile, region, scheme,
 *   endpoint, addressing-style, multipart-upload, multipart-chunk-size (alias buffer-size),
 *   multipart-threshold, storage-class;
 * - ssh:// and ssh-ng://: `CommonSSHStoreConfig` and `LegacySSHStoreConfig` / `RemoteStoreConfig`:
 *   ssh-key, base64-ssh-public-host-key, compress, remote-program, remote-store, max-connections,
 *   max-connection-age, log-fd; ssh-ng:// may also carry the local file-system settings (mounted
 *   SSH stores);
 * - local, daemon, unix://: `LocalFSStoreConfig`, `LocalStoreConfig` (local-store.hh),
 *   `RemoteStoreConfig`: root, state, log, real, require-sigs, read-only, build-dir,
 *   use-roots-daemon, ignore-gc-delete-failure, upper-layer, lower-store, check-mount (local
 *   overlay), max-connections, max-connection-age.
 */

const COMMON = ['store', 'path-info-cache-size', 'trusted', 'priority', 'want-mass-query', 'system-features']
const BINARY_CACHE = [
  ...COMMON,
  'compression',
  'write-nar-listing',
  'index-debug-info',
  'secret-key',
  'secret-keys',
  'local-nar-cache',
  'parallel-compression',
  'compression-level'
]
const HTTP = [...BINARY_CACHE, 'narinfo-compression', 'ls-compression', 'log-compression', 'tls-certificate', 'tls-private-key']
const S3 = [
  ...HTTP,
  'profile',
  'region',
  'scheme',
  'endpoint',
  'addressing-style',
  'multipart-upload',
  'multipart-chunk-size',
  'buffer-size',
  'multipart-threshold',
  'storage-class'
]
const LOCAL_FS = ['root', 'state', 'log', 'real']
const REMOTE = ['max-connections', 'max-connection-age']
const SSH = [...COMMON, ...REMOTE, 'ssh-key', 'base64-ssh-public-host-key', 'compress', 'remote-program', 'remote-store', 'log-fd']
const LOCAL = [
  ...COMMON,
  ...LOCAL_FS,
  'require-sigs',
  'read-only',
  'build-dir',
  'use-roots-daemon',
  'ignore-gc-delete-failure',
  'upper-layer',
  'lower-store',
  'check-mount'
]

export type StoreKind = 'file' | 'http' | 's3' | 'ssh' | 'ssh-ng' | 'local' | 'daemon'

const STORE_SETTINGS: Readonly<Record<StoreKind, ReadonlySet<string>>> = {
  file: new Set(BINARY_CACHE),
  http: new Set(HTTP),
  s3: new Set(S3),
  ssh: new Set(SSH),
  'ssh-ng': new Set([...SSH, ...LOCAL_FS]),
  local: new Set(LOCAL),
  daemon: new Set([...LOCAL, ...REMOTE])
}

/** A store URI Nix would refuse; the message never echoes the URI (it may hold credentials). */
export class StoreUriError extends Error {}

/** Likely slips, so the error can say what was meant. */
const SCHEME_HINTS: Record<string, string> = {
  htps: 'https',
  htp: 'http',
  http2: 'https',
  sftp: 'ssh or ssh-ng',
  scp: 'ssh or ssh-ng',
  ftp: 'https, or file:// for a mounted directory',
  ftps: 'https',
  s3a: 's3',
  s3n: 's3'
}

/** The store type a URI names, or a StoreUriError for a scheme Nix has no store for. */
function storeKind(uri: string): StoreKind {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(uri)
  if (!m) {
    if (/^(local|daemon|auto)(\?|$)/.test(uri) || uri.startsWith('/')) return uri.startsWith('daemon') ? 'daemon' : 'local'
    throw new StoreUriError('is not a store URI')
  }
  const scheme = (m[1] ?? '').toLowerCase()
  switch (scheme) {
    case 'file':
      return 'file'
    case 'http':
    case 'https':
      return 'http'
    case 's3':
      return 's3'
    case 'ssh':
      return 'ssh'
    case 'ssh-ng':
      return 'ssh-ng'
    case 'local':
      return 'local'
    case 'unix':
    case 'daemon':
      return 'daemon'
  }
  const hint = SCHEME_HINTS[scheme]
  throw new StoreUriError(`Nix has no store type for ${scheme}://${hint ? ` (did you mean ${hint}?)` : ''}`)
}

/** The raw `name=value` parameters of a URI (Nix reads them percent-decoded, as URLSearchParams does). */
export function queryParams(uri: string): URLSearchParams {
  const q = uri.indexOf('?')
  return new URLSearchParams(q < 0 ? '' : uri.slice(q + 1))
}

/**
 * Checks what Nix checks before opening the store, and what it would read differently from us:
 * one line, no fragment, a host for SSH stores, and only parameters this store type knows.
 */
export function validateStoreUri(uri: string): StoreKind {
  if (/[\r\n]/.test(uri)) throw new StoreUriError('is one store URI on one line, not several')
  if (/\s/.test(uri)) throw new StoreUriError('must not contain spaces (write them as %20)')
  const kind = storeKind(uri)
  if (uri.includes('#')) throw new StoreUriError('must not have a #fragment (Nix store URIs have none)')
  if (kind === 'ssh' || kind === 'ssh-ng') {
    const authority = /^[^:]+:\/\/([^/?]*)/.exec(uri)?.[1] ?? ''
    const host = authority.slice(authority.lastIndexOf('@') + 1)
    if (host === '') throw new StoreUriError(`${kind}:// needs a host, as in ${kind}://user@host`)
  }
  const allowed = STORE_SETTINGS[kind]
  for (const name of queryParams(uri).keys()) {
    if (!allowed.has(name)) {
      throw new StoreUriError(`Nix knows no setting '${name}' for ${kind === 'http' ? 'http(s)' : kind} stores (known: ${[...allowed].sort().join(', ')})`)
    }
  }
  return kind
}
