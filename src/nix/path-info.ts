import { formatNix32Hash, fromNix32, toNix32 } from '../format/nix32.js'
import type { PathInfo } from '../format/path-info.js'

/*
 * `nix path-info --json` has changed shape many times; every form is accepted here:
 *
 *   Nix 2.3           [{path, narHash: "sha256:<nix32>", references: [full], …}], invalid → {path, valid: false}
 *   Nix 2.4–2.18      same list, narHash in SRI form; 2.15+ adds "valid": true
 *   Lix 2.9x          same list as 2.15+
 *   Nix 2.19–2.32     {"<full path>": {…} | null}; 2.23+ writes absent fields as null/false/[]
 *   --json-format 1   same object, entries also carry version and storeDir
 *   --json-format 2   {version, storeDir, info: {"<basename>": {…}}}: basenames for references and
 *                     deriver, structured ca, narHash as SRI or {algorithm, format, hash}
 *   --json-format 3   as 2, signatures as {keyName, sig}
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type JsonObject = { [key: string]: Json }

export class PathInfoParseError extends Error {
  constructor(message: string) {
    super(`cannot parse nix path-info JSON: ${message}`)
    this.name = 'PathInfoParseError'
  }
}

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Byte lengths of the hash algorithms Nix knows; a hash's length tells its encoding. */
const HASH_SIZES: Readonly<Record<string, number>> = { md5: 16, sha1: 20, sha256: 32, sha512: 64 }

interface DecodedHash {
  algorithm: string
  bytes: Buffer
}

function base64Len(size: number): number {
  return 4 * Math.ceil(size / 3)
}

function nix32Len(size: number): number {
  return Math.ceil((size * 8) / 5)
}

function decodeBase64Strict(s: string, size: number): Buffer | undefined {
  // Buffer.from(…, 'base64') silently skips junk, so check the alphabet and length first.
  if (s.length !== base64Len(size) || !/^[A-Za-z0-9+/]+={0,2}$/.test(s)) return undefined
  const bytes = Buffer.from(s, 'base64')
  return bytes.length === size ? bytes : undefined
}

/**
 * Decodes a hash digest without an algorithm prefix, choosing the encoding by length as Nix does.
 * Throws plain errors; decodeHash adds which field was being read.
 */
function decodeDigest(digest: string, algorithm: string, format?: string): Buffer {
  const size = HASH_SIZES[algorithm]
  if (size === undefined) throw new Error(`unknown hash algorithm '${algorithm}'`)
  const fmt = format === 'base32' ? 'nix32' : format
  if ((fmt === undefined || fmt === 'base16') && digest.length === size * 2 && /^[0-9a-fA-F]+$/.test(digest)) {
    return Buffer.from(digest, 'hex')
  }
  if ((fmt === undefined || fmt === 'nix32') && digest.length === nix32Len(size)) return fromNix32(digest)
  if (fmt === undefined || fmt === 'base64' || fmt === 'sri') {
    const bytes = decodeBase64Strict(digest, size)
    if (bytes) return bytes
  }
  throw new Error(`invalid ${algorithm} hash '${digest}'${format ? ` in format ${format}` : ''}`)
}

function decodeHashUnchecked(value: Json | undefined): DecodedHash {
  if (typeof value === 'string') {
    const sri = /^([a-z0-9]+)-(.*)$/.exec(value)
    if (sri && HASH_SIZES[sri[1]!] !== undefined) {
      return { algorithm: sri[1]!, bytes: decodeDigest(sri[2]!, sri[1]!, 'sri') }
    }
    const prefixed = /^([a-z0-9]+):(.*)$/.exec(value)
    if (prefixed && HASH_SIZES[prefixed[1]!] !== undefined) {
      return { algorithm: prefixed[1]!, bytes: decodeDigest(prefixed[2]!, prefixed[1]!) }
    }
    throw new Error(`unrecognised hash '${value}'`)
  }
  if (isObject(value)) {
    const { algorithm, format, hash } = value
    if (typeof algorithm !== 'string' || typeof hash !== 'string') {
      throw new Error(`hash object needs string 'algorithm' and 'hash'`)
    }
    // Some writers put a full SRI or prefixed string inside the object.
    if (hash.startsWith(`${algorithm}-`) || hash.startsWith(`${algorithm}:`)) return decodeHashUnchecked(hash)
    return { algorithm, bytes: decodeDigest(hash, algorithm, typeof format === 'string' ? format : undefined) }
  }
  throw new Error(`expected a hash, got ${JSON.stringify(value ?? null)}`)
}

/**
 * Accepts every hash spelling Nix has written into this JSON: `algo:<hex|nix32|base64>`, SRI
 * `algo-<base64>`, and the structured `{algorithm, format, hash}` of the versioned formats.
 */
function decodeHash(value: Json | undefined, what: string): DecodedHash {
  try {
    return decodeHashUnchecked(value)
  } catch (e) {
    throw new PathInfoParseError(`${what}: ${(e as Error).message}`)
  }
}

function narHashOf(value: Json | undefined, path: string): string {
  const { algorithm, bytes } = decodeHash(value, `narHash of ${path}`)
  if (algorithm !== 'sha256') throw new PathInfoParseError(`narHash of ${path} is ${algorithm}, expected sha256`)
  return formatNix32Hash(bytes)
}

/** Nix's `renderContentAddress`: the method prefix, then the hash as `algo:<nix32>`. */
const CA_PREFIX: Readonly<Record<string, string>> = {
  text: 'text:',
  flat: 'fixed:',
  nar: 'fixed:r:',
  git: 'fixed:git:'
}

function caOf(value: Json | undefined, path: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined
  if (typeof value === 'string') return value
  if (isObject(value) && typeof value['method'] === 'string') {
    const prefix = CA_PREFIX[value['method']]
    if (prefix === undefined) throw new PathInfoParseError(`ca of ${path}: unknown method '${value['method']}'`)
    const { algorithm, bytes } = decodeHash(value['hash'], `ca of ${path}`)
    return `${prefix}${algorithm}:${toNix32(bytes)}`
  }
  throw new PathInfoParseError(`ca of ${path}: unexpected value ${JSON.stringify(value)}`)
}

function signatureOf(value: Json, path: string): string {
  if (typeof value === 'string') return value
  if (isObject(value) && typeof value['keyName'] === 'string' && typeof value['sig'] === 'string') {
    return `${value['keyName']}:${value['sig']}`
  }
  throw new PathInfoParseError(`signature of ${path}: unexpected value ${JSON.stringify(value)}`)
}

/** Versioned formats 2+ write basenames; older ones full paths. */
function fullPath(p: string, storeDir: string): string {
  return p.startsWith('/') ? p : `${storeDir}/${p}`
}

function entryToPathInfo(path: string, e: JsonObject, storeDir: string): PathInfo {
  const narSize = e['narSize']
  if (typeof narSize !== 'number' || !Number.isSafeInteger(narSize) || narSize < 0) {
    throw new PathInfoParseError(`narSize of ${path}: expected a non-negative integer, got ${JSON.stringify(narSize ?? null)}`)
  }
  const refs = e['references'] ?? []
  if (!Array.isArray(refs) || !refs.every((r): r is string => typeof r === 'string')) {
    throw new PathInfoParseError(`references of ${path}: expected a list of store paths`)
  }
  const sigs = e['signatures'] ?? []
  if (!Array.isArray(sigs)) throw new PathInfoParseError(`signatures of ${path}: expected a list`)
  const deriver = e['deriver']
  if (deriver !== undefined && deriver !== null && typeof deriver !== 'string') {
    throw new PathInfoParseError(`deriver of ${path}: expected a store path`)
  }

  const info: PathInfo = {
    path,
    narHash: narHashOf(e['narHash'], path),
    narSize,
    references: [...new Set(refs.map((r) => fullPath(r, storeDir)))].sort(),
    signatures: sigs.map((s) => signatureOf(s, path)),
    ultimate: e['ultimate'] === true
  }
  if (typeof deriver === 'string' && deriver !== '') info.deriver = fullPath(deriver, storeDir)
  const ca = caOf(e['ca'], path)
  if (ca !== undefined) info.ca = ca
  return info
}

/** `valid: false` (list forms) and `null` (keyed forms) both mean "not in the store". */
function isInvalidMarker(e: Json | undefined): boolean {
  return e === null || (isObject(e) && e['valid'] === false)
}

function storeDirOf(o: JsonObject, fallback: string): string {
  const dir = o['storeDir']
  return typeof dir === 'string' && dir !== '' ? dir.replace(/\/+$/, '') : fallback
}

function parseKeyed(entries: JsonObject, storeDir: string): PathInfo[] {
  const out: PathInfo[] = []
  for (const [key, e] of Object.entries(entries)) {
    if (isInvalidMarker(e)) continue
    if (!isObject(e)) throw new PathInfoParseError(`entry for ${key}: expected an object`)
    const dir = storeDirOf(e, storeDir)
    out.push(entryToPathInfo(fullPath(key, dir), e, dir))
  }
  return out
}

/**
 * Parses the output of `nix path-info --json` from any Nix (2.3 onwards, any --json-format) or
 * Lix, skipping paths reported as invalid. `storeDir` completes the basenames that versioned
 * formats use when the output does not name its own store directory.
 */
export function parsePathInfoJson(text: string, storeDir = '/nix/store'): PathInfo[] {
  let doc: Json
  try {
    doc = JSON.parse(text) as Json
  } catch (e) {
    throw new PathInfoParseError((e as Error).message)
  }
  const dir = storeDir.replace(/\/+$/, '')

  if (Array.isArray(doc)) {
    const out: PathInfo[] = []
    for (const e of doc) {
      if (isInvalidMarker(e)) continue
      if (!isObject(e) || typeof e['path'] !== 'string') {
        throw new PathInfoParseError('list entry without a path')
      }
      const d = storeDirOf(e, dir)
      out.push(entryToPathInfo(fullPath(e['path'], d), e, d))
    }
    return out
  }

  if (isObject(doc)) {
    // The versioned wrapper {version, storeDir, info}. Keyed forms never have a key named `info`:
    // their keys are store paths.
    const info = doc['info']
    if (isObject(info) && typeof doc['version'] === 'number') return parseKeyed(info, storeDirOf(doc, dir))
    return parseKeyed(doc, dir)
  }

  throw new PathInfoParseError(`expected a list or an object, got ${JSON.stringify(doc)}`)
}
