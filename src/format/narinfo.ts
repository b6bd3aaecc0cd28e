import { formatNix32Hash, parseHash } from './nix32.js'

export interface NarInfo {
  storePath: string
  /** Relative to the cache root, e.g. `nar/<filehash>.nar.zst`. */
  url: string
  // `string & {}` keeps editor completion for the known values without rejecting others.
  compression: 'zstd' | 'xz' | 'none' | (string & {})
  /** `sha256:<nix32>` of the compressed file; empty when a cache omitted it. */
  fileHash: string
  /** Size of the compressed file; 0 when a cache omitted it. */
  fileSize: number
  /** `sha256:<nix32>` of the uncompressed NAR. */
  narHash: string
  narSize: number
  /** Full store paths. */
  references: string[]
  /** Full store path of the .drv. */
  deriver?: string
  sigs: string[]
  ca?: string
}

/** Renders in the field order Nix writes (`NarInfo::to_string`). */
export function renderNarInfo(info: NarInfo): string {
  let out = `StorePath: ${info.storePath}\n`
  out += `URL: ${info.url}\n`
  out += `Compression: ${info.compression}\n`
  // Newer Nix omits these when unknown; writing an empty value would make older readers choke.
  if (info.fileHash !== '') out += `FileHash: ${normaliseHash(info.fileHash)}\n`
  if (info.fileSize !== 0) out += `FileSize: ${info.fileSize}\n`
  out += `NarHash: ${formatNix32Hash(parseHash(info.narHash))}\n`
  out += `NarSize: ${info.narSize}\n`
  // Nix writes the trailing space even when there are no references; keep byte-identical output.
  out += `References: ${[...new Set(info.references.map(baseName))].sort().join(' ')}\n`
  if (info.deriver !== undefined) out += `Deriver: ${baseName(info.deriver)}\n`
  for (const sig of info.sigs) out += `Sig: ${sig}\n`
  if (info.ca !== undefined) out += `CA: ${info.ca}\n`
  return out
}

/** Parses a narinfo as Nix does: unknown keys are ignored and a missing Compression means bzip2. */
export function parseNarInfo(text: string, storeDir = '/nix/store'): NarInfo {
  const fields = new Map<string, string>()
  const sigs: string[] = []
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    const colon = line.indexOf(':')
    if (colon < 0) throw new Error(`corrupt narinfo: line without ':': '${line}'`)
    const key = line.slice(0, colon)
    const value = line.slice(colon + 1).trim()
    if (key === 'Sig') sigs.push(value)
    else fields.set(key, value)
  }

  const required = (key: string): string => {
    const v = fields.get(key)
    if (v === undefined || v === '') throw new Error(`corrupt narinfo: missing ${key}`)
    return v
  }
  const storePath = required('StorePath')
  if (!storePath.startsWith(`${storeDir}/`)) throw new Error(`narinfo path '${storePath}' is not in ${storeDir}`)
  const narSize = parseSize(required('NarSize'), 'NarSize')
  if (narSize === 0) throw new Error('corrupt narinfo: NarSize is 0')
  const fileSize = fields.get('FileSize')
  const deriver = fields.get('Deriver')
  const references = fields.get('References') ?? ''

  const info: NarInfo = {
    storePath,
    url: required('URL'),
    compression: fields.get('Compression') || 'bzip2',
    fileHash: normaliseHash(fields.get('FileHash') ?? ''),
    fileSize: fileSize === undefined ? 0 : parseSize(fileSize, 'FileSize'),
    narHash: formatNix32Hash(parseHash(required('NarHash'))),
    narSize,
    references: references.split(' ').filter((r) => r !== '').map((r) => `${storeDir}/${r}`),
    sigs
  }
  // Old Nix wrote a placeholder instead of omitting the field.
  if (deriver !== undefined && deriver !== '' && deriver !== 'unknown-deriver') info.deriver = `${storeDir}/${deriver}`
  const ca = fields.get('CA')
  if (ca !== undefined && ca !== '') info.ca = ca
  return info
}

/** The cache file name for a store path: `<32-char hash part>.narinfo`. */
export function narInfoKey(storePath: string): string {
  const m = /^([0-9a-df-np-sv-z]{32})-/.exec(baseName(storePath))
  if (!m) throw new Error(`not a store path: '${storePath}'`)
  return `${m[1]}.narinfo`
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}

function parseSize(value: string, key: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new Error(`corrupt narinfo: bad ${key} '${value}'`)
  return n
}

// FileHash may legitimately use another algorithm in foreign caches, so only sha256 is rewritten.
function normaliseHash(value: string): string {
  if (!value.startsWith('sha256')) return value
  return formatNix32Hash(parseHash(value))
}
