/** Nix's base-32 alphabet: digits and lowercase letters without e, o, u and t (to avoid words). */
const ALPHABET = '0123456789abcdfghijklmnpqrsvwxyz'

const DIGIT = new Map<string, number>([...ALPHABET].map((c, i) => [c, i]))

const SHA256_BYTES = 32

/** Encodes like Nix's `printHash32`: little-endian bit order, most significant character first. */
export function toNix32(bytes: Uint8Array): string {
  const len = Math.ceil((bytes.length * 8) / 5)
  let out = ''
  for (let n = len - 1; n >= 0; n--) {
    const b = n * 5
    const i = b >> 3
    const j = b & 7
    const hi = i + 1 < bytes.length ? bytes[i + 1] << (8 - j) : 0
    out += ALPHABET[((bytes[i] >> j) | hi) & 0x1f]
  }
  return out
}

/** Decodes like Nix's `parseHash32`, rejecting anything Nix would reject. */
export function fromNix32(s: string): Buffer {
  const size = Math.floor((s.length * 5) / 8)
  // Only lengths that toNix32 can produce are valid; anything else is truncated or padded input.
  if (Math.ceil((size * 8) / 5) !== s.length || size === 0) {
    throw new Error(`invalid nix32 string of length ${s.length}`)
  }
  const out = Buffer.alloc(size)
  for (let n = 0; n < s.length; n++) {
    const digit = DIGIT.get(s[s.length - n - 1])
    if (digit === undefined) throw new Error(`invalid character in nix32 string '${s}'`)
    const b = n * 5
    const i = b >> 3
    const j = b & 7
    out[i] |= (digit << j) & 0xff
    const carry = digit >> (8 - j)
    if (i + 1 < size) out[i + 1] |= carry
    // Bits beyond the hash would be silently dropped, so two strings could decode the same.
    else if (carry !== 0) throw new Error(`nix32 string '${s}' has bits beyond its length`)
  }
  return out
}

/**
 * Parses a SHA-256 in any spelling Nix prints or accepts: `sha256:<hex>`, `sha256:<nix32>`,
 * `sha256:<base64>` and SRI `sha256-<base64>`.
 */
export function parseHash(s: string): Buffer {
  let rest: string
  if (s.startsWith('sha256-')) {
    rest = s.slice('sha256-'.length)
    if (!isBase64Sha256(rest)) throw new Error(`invalid SRI sha256 hash '${s}'`)
    return Buffer.from(rest, 'base64')
  }
  if (!s.startsWith('sha256:')) throw new Error(`not a sha256 hash: '${s}'`)
  rest = s.slice('sha256:'.length)
  if (rest.length === 64 && /^[0-9a-fA-F]+$/.test(rest)) return Buffer.from(rest, 'hex')
  if (rest.length === 52) return fromNix32(rest)
  if (isBase64Sha256(rest)) return Buffer.from(rest, 'base64')
  throw new Error(`invalid sha256 hash '${s}'`)
}

/** The form narinfo files and signature fingerprints use. */
export function formatNix32Hash(bytes: Uint8Array): string {
  if (bytes.length !== SHA256_BYTES) throw new Error(`expected a 32-byte sha256, got ${bytes.length} bytes`)
  return `sha256:${toNix32(bytes)}`
}

// Buffer.from(…, 'base64') ignores junk, so the shape must be checked before decoding.
function isBase64Sha256(s: string): boolean {
  return /^[A-Za-z0-9+/]{43}=$/.test(s)
}
