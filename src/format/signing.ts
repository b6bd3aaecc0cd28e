import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto'
import { formatNix32Hash, parseHash } from './nix32.js'

export interface SigningKey {
  name: string
  /** Signs `data` and returns the value of a narinfo `Sig:` line, `name:base64(signature)`. */
  sign(data: string): string
  /** `name:base64(public key)`, as `nix-store --generate-binary-cache-key` writes it. */
  publicKey: string
}

// DER headers that wrap a raw Ed25519 seed / public key so node:crypto can import them.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

/**
 * Parses a Nix secret key (`name:base64(seed ‖ public key)`). Error messages deliberately never
 * echo the input, since it may end up in public CI logs.
 */
export function parseSecretKey(text: string): SigningKey {
  const { name, bytes } = splitKey(text.trim(), 64, 'secret key')
  const seed = bytes.subarray(0, 32)
  const storedPublic = bytes.subarray(32)

  let privateKey: KeyObject
  try {
    privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' })
  } catch {
    throw new Error('secret key is not a valid Ed25519 key')
  }
  const derivedPublic = createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519_PREFIX.length)
  // libsodium signs with the stored half, so a mismatch would yield signatures nobody can verify.
  if (!derivedPublic.equals(storedPublic)) {
    throw new Error('secret key is corrupt: its public half does not match its seed')
  }

  return {
    name,
    publicKey: `${name}:${derivedPublic.toString('base64')}`,
    sign: (data) => `${name}:${sign(null, Buffer.from(data, 'utf8'), privateKey).toString('base64')}`
  }
}

/**
 * A new Ed25519 secret key in Nix's text form (`name:base64(seed ‖ public key)`), as
 * `nix-store --generate-binary-cache-key` writes it.
 */
export function generateSecretKey(name: string): string {
  if (name === '' || name.includes(':')) throw new Error('a key name must be non-empty and without ":"')
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_ED25519_PREFIX.length)
  const pub = publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519_PREFIX.length)
  return `${name}:${Buffer.concat([seed, pub]).toString('base64')}`
}

/**
 * Checks a `name:base64` signature against a `name:base64` public key. A malformed public key
 * is a configuration error and throws; a malformed or foreign signature is merely invalid.
 */
export function verifySignature(publicKey: string, data: string, sig: string): boolean {
  const pk = splitKey(publicKey.trim(), 32, 'public key')
  let signature: { name: string; bytes: Buffer }
  try {
    signature = splitKey(sig, 64, 'signature')
  } catch {
    return false
  }
  if (signature.name !== pk.name) return false
  const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, pk.bytes]), format: 'der', type: 'spki' })
  return verify(null, Buffer.from(data, 'utf8'), key, signature.bytes)
}

/** The string Nix signs for a store path (`ValidPathInfo::fingerprint`). */
export function fingerprint(storePath: string, narHash: string, narSize: number, references: readonly string[]): string {
  if (!Number.isSafeInteger(narSize) || narSize < 0) throw new Error(`invalid NAR size ${narSize}`)
  // Nix keeps references in a sorted set; normalising the hash lets callers pass SRI or hex too.
  const refs = [...new Set(references)].sort()
  return `1;${storePath};${formatNix32Hash(parseHash(narHash))};${narSize};${refs.join(',')}`
}

function splitKey(text: string, size: number, what: string): { name: string; bytes: Buffer } {
  const parts = text.split(':')
  if (parts.length !== 2) throw new Error(`${what} must have the form <name>:<base64>`)
  const [name, encoded] = parts
  if (name.length === 0) throw new Error(`${what} has an empty name`)
  const bytes = BASE64.test(encoded) ? Buffer.from(encoded, 'base64') : undefined
  if (bytes?.length !== size) throw new Error(`${what} must be ${size} bytes of base64 after the name`)
  return { name, bytes }
}
