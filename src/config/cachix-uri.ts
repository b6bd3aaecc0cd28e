/**
 * `cachix://NAME` (the hosted service, https://cachix.org/api/v1) or `cachix+https://HOST/NAME`
 * (another deployment of its API; `cachix+http://` on a private network or loopback). Pure.
 */

export const CACHIX_URI_SYNTAX = 'cachix://name, or cachix+https://host/name'

/** A malformed cachix URI; the message never echoes the URI. */
export class CachixUriError extends Error {}

/** What the Cachix client accepts as a cache name [inf: lowercase letters, digits and dashes on cachix.org; case is kept]. */
const CACHE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/

export function isCachixUri(value: string): boolean {
  return /^cachix(\+[a-z]+)?:\/\//i.test(value)
}

export interface CachixLocation {
  url: string
  /** The API base, ending in '/': `https://cachix.org/api/v1/`. */
  apiBase: string
  cacheName: string
}

export function parseCachixUri(value: string): CachixLocation {
  const hosted = /^cachix:\/\/([^/?#]*)\/?$/i.exec(value)
  if (hosted) return { url: value, apiBase: 'https://cachix.org/api/v1/', cacheName: checkName(hosted[1] ?? '') }
  const m = /^cachix\+(https?):\/\/(.*)$/i.exec(value)
  if (!m) throw new CachixUriError('a Cachix cache is cachix://name, or cachix+https://host/name for another server')
  let url: URL
  try {
    url = new URL(`${(m[1] ?? '').toLowerCase()}://${m[2] ?? ''}`)
  } catch {
    throw new CachixUriError('is not a valid URL after cachix+')
  }
  if (url.username !== '' || url.password !== '') throw new CachixUriError('carries no credentials: give the Cachix token in the auth-token input')
  if (url.search !== '' || url.hash !== '') throw new CachixUriError('takes no ?parameters or #fragment')
  const segments = url.pathname.split('/').filter((s) => s !== '')
  if (segments.length !== 1) throw new CachixUriError('names the cache as the one path segment after the host')
  return { url: value, apiBase: `${url.protocol}//${url.host}/api/v1/`, cacheName: checkName(segments[0]!) }
}

function checkName(name: string): string {
  if (!CACHE_NAME.test(name)) throw new CachixUriError("has no valid cache name (letters, digits, '-' and '_')")
  return name
}
