import { host } from '../runtime/host.js'
import type { Compression } from '../format/compression.js'
import { urlSecrets, withoutCredentials } from './url-credentials.js'
import { parseSecretKey, type SigningKey } from '../format/signing.js'
import { parseS3Uri, S3_URI_SYNTAX, S3UriError, type S3Location } from './s3-uri.js'
import { queryParams, StoreUriError, validateStoreUri } from './store-uri.js'
import { isNiks3Uri, NIKS3_URI_SYNTAX, Niks3UriError, parseNiks3Uri } from './niks3-uri.js'
import { CACHIX_URI_SYNTAX, CachixUriError, isCachixUri, parseCachixUri } from './cachix-uri.js'
import { ATTIC_URI_SYNTAX, AtticUriError, isAtticUri, parseAtticUri } from './attic-uri.js'

/** A bad input value: reported as one `::error::` naming the input and what it accepts. */
export class InputError extends Error {
  constructor(
    readonly input: string,
    accepts: string
  ) {
    super(`Input '${input}': ${accepts}`)
  }
}

export type CacheTarget =
  /** `plain`: Nix reads `url` as `dir` in every version; otherwise pulls go through an alias (see file-alias.ts). */
  | { kind: 'file'; url: string; dir: string; plain: boolean }
  | { kind: 'http'; url: string }
  | { kind: 's3'; url: string; s3: S3Location }
  | { kind: 'nix-copy'; url: string }
  /** The repository's GitHub Actions cache; `url` only names it in logs and the summary. */
  | { kind: 'github-actions'; url: 'github-actions' }
  /** An Attic server (`attic+https://HOST/CACHE`): `endpoint` is its API base, ending in '/'; see attic-uri.ts. */
  | { kind: 'attic'; url: string; endpoint: string; cacheName: string }
  /** A Cachix cache (`cachix://NAME`, `cachix+https://HOST/NAME`); see cachix-uri.ts. */
  | { kind: 'cachix'; url: string; apiBase: string; cacheName: string }
  /** A niks3 server (`niks3+https://HOST`); `endpoint` ends in '/'. */
  | { kind: 'niks3'; url: string; endpoint: string }

/**
 * The loopback port of the on-demand GitHub Actions cache (input `substituter-port`): fixed, so a
 * self-hosted runner can list its URL in trusted-substituters once. 29427 is in no IANA
 * assignment or /etc/services, and not magic-nix-cache's 37515; below 32768 it is also outside
 * Linux's ephemeral range, so an outgoing connection never holds it.
 */
export const DEFAULT_SUBSTITUTER_PORT = 29427


export interface Inputs {
  cache: CacheTarget
  secretKey?: SigningKey
  /** Kept only for `nix copy` destinations, which sign through a key file. */
  secretKeyText?: string
  publicKeys: string[]
  installables: string[]
  skipSignedBy: string[]
  exclude: RegExp[]
  includeDerivations: boolean
  pushPreExisting: boolean
  dryRun: boolean
  compression: Compression
  parallelism: number
  authHeader?: { name: string; value: string }
  netrcFile?: string
  pull: boolean
  strict: boolean
  /** Prefix of the GitHub Actions cache keys. */
  keyPrefix: string
  /** Bound, in bytes, on the NARs the GitHub Actions cache keeps live. */
  maxSize: number
  /** Loopback port of the on-demand GitHub Actions cache substituter. */
  substituterPort: number
  /** Publish during the build from a background agent (where the cache kind allows it). */
  pushDuringBuild: boolean
  /**
   * The `auth-token` input: what lets a job push to a server that signs for itself (Attic, Cachix, niks3), and
   * read a private one. Without it such a cache is pull-only.
   */
  authToken?: string
}

/** The raw strings, as the runner passes them; kept separate so parsing is testable without env. */
export type RawInputs = (name: string) => string

const list = (text: string, sep: RegExp): string[] =>
  text
    .split(sep)
    .map((s) => s.trim())
    .filter((s) => s.length > 0 && !s.startsWith('#'))

function bool(raw: RawInputs, name: string): boolean {
  const v = raw(name).toLowerCase()
  if (v === 'true') return true
  if (v === 'false' || v === '') return false
  throw new InputError(name, `expected true or false, got '${raw(name)}'`)
}

const CACHE_ACCEPTS =
  'expected github-actions, file:///path, http(s)://…, s3://bucket?…, attic+https://host/cache, cachix://name, niks3+https://host, or a Nix store URI such as ssh-ng://host or local?root=/path'

/**
 * Characters a `file://` path may carry as they are, in every Nix version: Nix 2.3–2.2x take the
 * path after `file://` literally, later versions percent-decode it, so a path with anything else
 * is read from another directory by one or the other. Such caches get a plain alias for reading.
 */
const PLAIN_PATH = /^[A-Za-z0-9/._+=,~@-]+$/

export function parseCache(value: string): CacheTarget {
  if (value === '') throw new InputError('cache', `is required; ${CACHE_ACCEPTS}`)
  if (value === 'github-actions') return { kind: 'github-actions', url: 'github-actions' }
  if (isAtticUri(value)) {
    try {
      return { kind: 'attic', ...parseAtticUri(value) }
    } catch (e) {
      if (e instanceof AtticUriError) throw new InputError('cache', `${e.message}; expected ${ATTIC_URI_SYNTAX}`)
      throw e
    }
  }
  if (isNiks3Uri(value)) {
    try {
      return { kind: 'niks3', ...parseNiks3Uri(value) }
    } catch (e) {
      if (e instanceof Niks3UriError) throw new InputError('cache', `${e.message}; expected ${NIKS3_URI_SYNTAX}`)
      throw e
    }
  }
  if (isCachixUri(value)) {
    try {
      return { kind: 'cachix', ...parseCachixUri(value) }
    } catch (e) {
      if (e instanceof CachixUriError) throw new InputError('cache', `${e.message}; expected ${CACHIX_URI_SYNTAX}`)
      throw e
    }
  }
  let kind
  try {
    kind = validateStoreUri(value)
  } catch (e) {
    if (e instanceof StoreUriError) throw new InputError('cache', `${e.message}; ${CACHE_ACCEPTS}`)
    throw e
  }
  if (kind === 's3') {
    try {
      return { kind: 's3', url: value, s3: parseS3Uri(value) }
    } catch (e) {
      if (e instanceof S3UriError) throw new InputError('cache', `${e.message}; expected ${S3_URI_SYNTAX}`)
      throw e
    }
  }
  if (kind === 'file') return fileCache(value)
  if (kind === 'http') {
    try {
      new URL(value)
    } catch {
      throw new InputError('cache', `'${withoutCredentials(value)}' is not a valid URL; ${CACHE_ACCEPTS}`)
    }
    return { kind: 'http', url: value }
  }
  return { kind: 'nix-copy', url: value }
}

function fileCache(value: string): CacheTarget {
  const q = value.indexOf('?')
  const raw = q < 0 ? value.slice('file://'.length) : value.slice('file://'.length, q)
  if (!raw.startsWith('/') || raw === '/') {
    throw new InputError('cache', `a file:// cache names an absolute directory, as in file:///var/cache/nix (no host); ${CACHE_ACCEPTS}`)
  }
  let dir: string
  try {
    dir = decodeURIComponent(raw)
  } catch {
    throw new InputError('cache', "a file:// path has a '%' that starts no %XX escape; write a literal '%' as %25")
  }
  const params = q < 0 ? '' : value.slice(q)
  const plain = PLAIN_PATH.test(dir)
  // A plain path reads the same to every Nix; any other is kept encoded for display only.
  const url = `file://${plain ? dir : dir.split('/').map(encodeURIComponent).join('/')}${params}`
  return { kind: 'file', url, dir, plain }
}

/**
 * An ed25519 public key as Nix reads `trusted-public-keys`: `name:base64` of 32 bytes, which is
 * exactly 43 base64 characters and one '='. Nix splits the setting on whitespace only, and newer
 * versions refuse any other character, so a comma-joined pair or text after the padding breaks
 * every later substitution with "invalid character in Base64 string".
 */
const PUBLIC_KEY = /^[^\s:]+:[A-Za-z0-9+/]{43}=$/

function publicKeys(text: string): string[] {
  const keys = list(text, /\s+/)
  for (const k of keys) {
    if (!PUBLIC_KEY.test(k)) {
      const why = k.includes(',') ? ' (separate keys with spaces or newlines, not commas)' : ''
      throw new InputError('public-keys', `expected whitespace-separated name:base64 ed25519 public keys (44 base64 characters ending in '='), got '${k}'${why}`)
    }
  }
  return keys
}

function regexes(text: string): RegExp[] {
  return list(text, /\n/).map((src) => {
    try {
      return new RegExp(src)
    } catch (e) {
      throw new InputError('exclude', `expected JavaScript regular expressions, one per line; '${src}': ${(e as Error).message}`)
    }
  })
}

function header(text: string): Inputs['authHeader'] {
  if (text === '') return undefined
  const i = text.indexOf(':')
  const name = i > 0 ? text.slice(0, i).trim() : ''
  const value = text.slice(i + 1).trim()
  // Never echo the value: it is a credential. Control characters (CR, LF) would split the request.
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  if (!/^[A-Za-z0-9-]+$/.test(name) || /[\x00-\x08\x0a-\x1f\x7f]/.test(value)) {
    throw new InputError('auth-header', "expected one line 'Name: value', for example 'Authorization: Bearer <token>'")
  }
  return { name, value }
}

/** The `compression=` of a binary cache URI, as Nix honours it for file://, http(s):// and s3://. */
function uriCompression(cache: CacheTarget): string | undefined {
  if (cache.kind === 's3') return cache.s3.compression
  if (cache.kind !== 'file' && cache.kind !== 'http') return undefined
  const v = queryParams(cache.url).get('compression')?.trim()
  return v === '' ? undefined : v
}

/**
 * The compression input wins when given; otherwise the URI's `compression=` (so the URI from
 * nix.conf means the same here); otherwise zstd.
 */
function chooseCompression(input: string, cache: CacheTarget): Compression {
  const fromUri = input === '' ? uriCompression(cache) : undefined
  const value = input || fromUri || 'zstd'
  if (value === 'zstd' || value === 'xz' || value === 'none') return value
  if (fromUri !== undefined) {
    throw new InputError('cache', `compression=${fromUri} in the URI: this action writes zstd, xz or none (or set the compression input)`)
  }
  throw new InputError('compression', `expected zstd, xz or none, got '${value}'`)
}

const SIZE_UNITS: Record<string, number> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 }

/** `4G`, `500M`, `1.5GiB`, `123456` (bytes); binary units. */
export function parseSize(name: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?$/i.exec(text)
  const bytes = m ? Math.floor(Number(m[1]) * (SIZE_UNITS[(m[2] ?? '').toUpperCase()] ?? NaN)) : NaN
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new InputError(name, `expected a size such as 4G, 500M or 1.5GiB (binary units), got '${text}'`)
  }
  return bytes
}

function keyPrefix(text: string): string {
  // The cache service rejects keys with commas and keys over 512 characters.
  if (text.includes(',') || /\s/.test(text) || text.length > 200) {
    throw new InputError('key-prefix', `expected at most 200 characters without commas or spaces, got '${text}'`)
  }
  return text
}

function port(text: string): number {
  const n = Number(text)
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) {
    throw new InputError('substituter-port', `expected a TCP port from 1 to 65535, got '${text}'`)
  }
  return n
}

function authToken(text: string): string | undefined {
  const token = text.trim()
  if (token === '') return undefined
  // Never echo the value. A token is one line: anything else would split a header.
  if (/\s/.test(token)) throw new InputError('auth-token', 'expected one token on one line: the token alone, with no scheme or name before it')
  return token
}

export function parseInputs(raw: RawInputs): Inputs {
  const secretText = raw('secret-key')
  let secretKey: SigningKey | undefined
  if (secretText !== '') {
    try {
      secretKey = parseSecretKey(secretText)
    } catch {
      throw new InputError('secret-key', 'expected a Nix signing key name:base64, as `nix-store --generate-binary-cache-key` writes it')
    }
  }
  const cache = parseCache(raw('cache'))
  const compression = chooseCompression(raw('compression'), cache)
  const par = raw('parallelism') || '8'
  const parallelism = Number(par)
  if (!/^\d+$/.test(par) || parallelism < 1 || parallelism > 64) {
    throw new InputError('parallelism', `expected a whole number from 1 to 64, got '${par}'`)
  }
  return {
    cache,
    secretKey,
    secretKeyText: secretKey ? secretText : undefined,
    publicKeys: publicKeys(raw('public-keys')),
    installables: list(raw('installables'), /\n/),
    skipSignedBy: list(raw('skip-signed-by'), /[\s,]+/),
    exclude: regexes(raw('exclude')),
    includeDerivations: bool(raw, 'include-derivations'),
    pushPreExisting: bool(raw, 'push-pre-existing'),
    dryRun: bool(raw, 'dry-run'),
    compression,
    parallelism,
    authHeader: header(raw('auth-header')),
    netrcFile: raw('netrc-file') || undefined,
    pull: raw('pull') === '' ? true : bool(raw, 'pull'),
    strict: bool(raw, 'strict'),
    keyPrefix: keyPrefix(raw('key-prefix') || 'nix-buildtime-cache'),
    maxSize: parseSize('max-size', raw('max-size') || '4G'),
    substituterPort: port(raw('substituter-port') || String(DEFAULT_SUBSTITUTER_PORT)),
    pushDuringBuild: raw('push-during-build') === '' ? true : bool(raw, 'push-during-build'),
    authToken: authToken(raw('auth-token'))
  }
}

/**
 * Every secret the inputs carry, in each form a message could show it: the signing key and its
 * base64 half, the auth header's line and its value, a password in the cache URL (as written and
 * decoded). One list for every process of a job: the steps read raw inputs, and register them
 * before parsing, since a parse error may quote an input; the agent gets them parsed.
 */
export function secretsOf(inputs: RawInputs | Inputs): string[] {
  const given =
    typeof inputs === 'function'
      ? { key: inputs('secret-key'), header: inputs('auth-header'), cache: inputs('cache'), token: inputs('auth-token') }
      : {
          key: inputs.secretKeyText ?? '',
          header: inputs.authHeader ? `${inputs.authHeader.name}: ${inputs.authHeader.value}` : '',
          cache: inputs.cache.url,
          token: inputs.authToken ?? ''
        }
  const secrets = [given.key, given.header, given.token.trim(), ...urlSecrets(given.cache)]
  if (given.key.includes(':')) secrets.push(given.key.slice(given.key.indexOf(':') + 1))
  if (given.header.includes(':')) secrets.push(given.header.slice(given.header.indexOf(':') + 1).trim())
  return [...new Set(secrets.filter((s) => s !== ''))]
}

/** Reads the step's inputs, registering secrets before anything can print them. */
export function readInputs(raw: RawInputs): Inputs {
  for (const s of secretsOf(raw)) host().setSecret(s)
  return parseInputs(raw)
}
