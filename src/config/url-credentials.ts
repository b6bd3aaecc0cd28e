/**
 * Credentials in a cache URL (`https://user:password@host/…`): what they are, and the URL
 * without them. Text-based rather than `new URL`, so that a URL too malformed to parse is still
 * shown and masked without its password.
 */

const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i

export interface UrlCredentials {
  /** The host name curl matches netrc `machine` entries against (no port). */
  host: string
  login: string
  password: string
}

/** The URL with any `user:password@` removed: what logs, summaries and NIX_CONFIG may show. */
export function withoutCredentials(url: string): string {
  return url.replace(USERINFO, '$1')
}

/** For logs and the summary: no credentials, and no query (parameters are detail, not identity). */
export function displayUrl(url: string): string {
  return withoutCredentials(url).replace(/\?.*$/, '')
}

/** The strings to register as secrets before anything prints: the password as written and decoded. */
export function urlSecrets(url: string): string[] {
  const m = USERINFO.exec(url.trim())
  if (!m) return []
  const info = m[2] ?? ''
  const colon = info.indexOf(':')
  const password = colon >= 0 ? info.slice(colon + 1) : ''
  if (password === '') return []
  let decoded = password
  try {
    decoded = decodeURIComponent(password)
  } catch {
    // Not valid percent-encoding: the text as written is all there is.
  }
  return [...new Set([info, password, decoded])]
}

/** The credentials of an http(s) URL, or undefined when it carries none. */
export function urlCredentials(url: string): UrlCredentials | undefined {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return undefined
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || (u.username === '' && u.password === '')) return undefined
  return { host: u.hostname, login: decodeURIComponent(u.username), password: decodeURIComponent(u.password) }
}
