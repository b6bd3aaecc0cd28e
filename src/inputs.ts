import * as core from '@actions/core'
import { parseSecretKey, type SigningKey } from './signing.js'

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
  | { kind: 'file'; url: string; dir: string }
  | { kind: 'http'; url: string }
  | { kind: 'nix-copy'; url: string }

export type Compression = 'zstd' | 'xz' | 'none'

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
  dryRun: boolean
  compression: Compression
  parallelism: number
  authHeader?: { name: string; value: string }
  netrcFile?: string
  pull: boolean
  strict: boolean
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

export function parseCache(value: string): CacheTarget {
  const accepts =
    'expected file:///path, http(s)://…, or a Nix store URI such as ssh-ng://host or local?root=/path'
  if (value === '') throw new InputError('cache', `is required; ${accepts}`)
  if (value === 'github-actions' || value.startsWith('s3://')) {
    throw new InputError('cache', `'${value.split('?')[0]}' is not supported yet; ${accepts}`)
  }
  if (value.startsWith('file://')) {
    const url = new URL(value)
    if (url.host !== '' || url.pathname === '/') throw new InputError('cache', `bad file URL; ${accepts}`)
    return { kind: 'file', url: `file://${url.pathname}`, dir: decodeURIComponent(url.pathname) }
  }
  if (/^https?:\/\//.test(value)) {
    try {
      new URL(value)
    } catch {
      throw new InputError('cache', `'${value}' is not a valid URL; ${accepts}`)
    }
    return { kind: 'http', url: value }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(value) || /^(local|daemon)(\?|$)/.test(value) || value.startsWith('/')) {
    return { kind: 'nix-copy', url: value }
  }
  throw new InputError('cache', `'${value}' is not a cache URI; ${accepts}`)
}

function publicKeys(text: string): string[] {
  const keys = list(text, /\s+/)
  for (const k of keys) {
    const [name, b64] = k.split(':')
    if (!name || !b64 || Buffer.from(b64, 'base64').length !== 32) {
      throw new InputError('public-keys', `expected whitespace-separated name:base64 ed25519 public keys, got '${k}'`)
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
  if (!/^[A-Za-z0-9-]+$/.test(name)) {
    // Never echo the value: it is a credential.
    throw new InputError('auth-header', "expected 'Name: value', for example 'Authorization: Bearer <token>'")
  }
  return { name, value: text.slice(i + 1).trim() }
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
  const compression = raw('compression') || 'zstd'
  if (compression !== 'zstd' && compression !== 'xz' && compression !== 'none') {
    throw new InputError('compression', `expected zstd, xz or none, got '${compression}'`)
  }
  const par = raw('parallelism') || '8'
  const parallelism = Number(par)
  if (!/^\d+$/.test(par) || parallelism < 1 || parallelism > 64) {
    throw new InputError('parallelism', `expected a whole number from 1 to 64, got '${par}'`)
  }
  return {
    cache: parseCache(raw('cache')),
    secretKey,
    secretKeyText: secretKey ? secretText : undefined,
    publicKeys: publicKeys(raw('public-keys')),
    installables: list(raw('installables'), /\n/),
    skipSignedBy: list(raw('skip-signed-by'), /[\s,]+/),
    exclude: regexes(raw('exclude')),
    includeDerivations: bool(raw, 'include-derivations'),
    dryRun: bool(raw, 'dry-run'),
    compression,
    parallelism,
    authHeader: header(raw('auth-header')),
    netrcFile: raw('netrc-file') || undefined,
    pull: raw('pull') === '' ? true : bool(raw, 'pull'),
    strict: bool(raw, 'strict')
  }
}

/** Reads the step's inputs, registering secrets before anything can print them. */
export function readInputs(): Inputs {
  const raw: RawInputs = (name) => core.getInput(name)
  for (const secret of ['secret-key', 'auth-header']) {
    const v = raw(secret)
    if (v) core.setSecret(v)
  }
  const secretText = raw('secret-key')
  // The base64 half alone must be masked too, in case anything echoes it without the name.
  if (secretText.includes(':')) core.setSecret(secretText.slice(secretText.indexOf(':') + 1))
  const header = raw('auth-header')
  if (header.includes(':')) core.setSecret(header.slice(header.indexOf(':') + 1).trim())
  return parseInputs(raw)
}
