/**
 * `attic+https://HOST[/PREFIX]/CACHE` (or attic+http:// for a server on a private network or on
 * loopback): the last path segment is the cache, what precedes it is the server's API endpoint,
 * as the Attic client's `attic cache create SERVER:CACHE` splits a server and a cache. Pure.
 */

export const ATTIC_URI_SYNTAX = 'attic+https://host[/prefix]/cache (or attic+http:// on a private network)'

/** A malformed attic+ URI; the message never echoes the URI. */
export class AtticUriError extends Error {}

/**
 * Attic's own rule for cache names (zhaofengli/attic @ b7c905657cb81b8ec9c26b0d9f53aa2e4f231810,
 * attic/src/cache.rs, CACHE_NAME_REGEX): a name the server would refuse fails in the main step.
 */
const CACHE_NAME = /^[A-Za-z0-9][A-Za-z0-9\-_+]{0,49}$/

export function isAtticUri(value: string): boolean {
  return /^attic\+/i.test(value)
}

export interface AtticLocation {
  /** The URI as the user wrote it, for logs and the summary. */
  url: string
  /** The API base, ending in '/': `https://host/prefix/`. */
  endpoint: string
  cacheName: string
}

export function parseAtticUri(value: string): AtticLocation {
  const m = /^attic\+(https?):\/\/(.*)$/i.exec(value)
  if (!m) throw new AtticUriError('an Attic cache is attic+https:// or attic+http://')
  const scheme = (m[1] ?? '').toLowerCase()
  let url: URL
  try {
    url = new URL(`${scheme}://${m[2] ?? ''}`)
  } catch {
    throw new AtticUriError('is not a valid URL after attic+')
  }
  if (url.username !== '' || url.password !== '') {
    throw new AtticUriError('carries no credentials: give the Attic token in the auth-token input')
  }
  if (url.search !== '' || url.hash !== '') throw new AtticUriError('takes no ?parameters or #fragment')
  const segments = url.pathname.split('/').filter((s) => s !== '')
  const cacheName = segments.pop()
  if (cacheName === undefined) throw new AtticUriError('names no cache: the last path segment is the cache')
  if (!CACHE_NAME.test(cacheName)) {
    throw new AtticUriError("has a cache name Attic refuses (letters, digits, '-', '_', '+'; at most 50, starting with a letter or digit)")
  }
  const prefix = segments.length > 0 ? `/${segments.join('/')}/` : '/'
  return { url: value, endpoint: `${scheme}://${url.host}${prefix}`, cacheName }
}
