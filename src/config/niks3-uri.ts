/** `niks3+https://HOST[/PREFIX]` (or niks3+http:// on a private network or loopback): the server's API endpoint. Pure. */

export const NIKS3_URI_SYNTAX = 'niks3+https://host (or niks3+http:// on a private network)'

export class Niks3UriError extends Error {}

export function isNiks3Uri(value: string): boolean {
  return /^niks3\+/i.test(value)
}

export function parseNiks3Uri(value: string): { url: string; endpoint: string } {
  const m = /^niks3\+(https?):\/\/(.*)$/i.exec(value)
  if (!m) throw new Niks3UriError('a niks3 server is niks3+https:// or niks3+http://')
  let url: URL
  try {
    url = new URL(`${(m[1] ?? '').toLowerCase()}://${m[2] ?? ''}`)
  } catch {
    throw new Niks3UriError('is not a valid URL after niks3+')
  }
  if (url.username !== '' || url.password !== '') throw new Niks3UriError('carries no credentials: give the niks3 token in the auth-token input')
  if (url.search !== '' || url.hash !== '') throw new Niks3UriError('takes no ?parameters or #fragment')
  const path = url.pathname.replace(/\/+$/, '')
  return { url: value, endpoint: `${url.protocol}//${url.host}${path}/` }
}
