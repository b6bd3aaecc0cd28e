import { createHash } from 'node:crypto'
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { frameOf, lend, recycleFrame, takeFrame } from './frame-buffers.js'

/** Size of the fresh buffers that carry a NAR's first bytes, so consumers see few, large chunks. */
const BATCH = 64 * 1024
/**
 * After this many bytes, a NAR goes into reused frames: past the 256 KiB up to which zstd
 * compresses a NAR in one call (compression.ts), so small paths never take a 4 MiB frame.
 */
const LEND_AFTER = 256 * 1024
/** Frames are handed on in views of this size as they fill (see NarWriter). */
const PIECE = 1024 * 1024
/**
 * Files up to this size, and all metadata, are read synchronously: an async fs call costs a
 * thread-pool round trip (tens of µs) that dominates trees of many small files.
 */
const SMALL_FILE = 64 * 1024
/** Longest stretch of synchronous work before the event loop gets a turn. */
const MAX_BLOCK_MS = 10

const S_IFMT = 0o170000
const S_IFREG = 0o100000
const S_IFDIR = 0o040000
const S_IFLNK = 0o120000
const S_IXUSR = 0o100

/**
 * Nix 2.34 refuses a NAR with a node this deep or deeper, the root being depth 0 and each
 * directory entry one more (`narMaxDepth` in libutil's archive.hh; archive.cc checks
 * `depth >= narMaxDepth` on every node, of any type, when it dumps a path and when it parses a
 * NAR: "bad archive: NAR directory nesting exceeds maximum depth of 64"). So a root directory with
 * 63 directories below it, and a file in the deepest, is the deepest NAR it takes. Older Nix has
 * no limit, so such a path builds there, but consumers on current Nix cannot substitute it.
 */
export const NAR_MAX_DEPTH = 64

/** A path whose NAR Nix 2.34 and later refuse (see NAR_MAX_DEPTH). */
export class NarTooDeep extends Error {
  constructor(readonly fsPath: string) {
    super(`'${fsPath}' is nested deeper than ${NAR_MAX_DEPTH} levels, and Nix 2.34 and later refuse such a NAR`)
    this.name = 'NarTooDeep'
  }
}

const ZEROS = Buffer.alloc(8)
const SLASH = Buffer.from('/')

/**
 * Serialises a file-system path as a NAR (what `nix-store --dump` prints). Reading is driven by
 * the consumer, so memory stays bounded however large the tree is. A missing path makes the
 * stream fail with the original fs error (code ENOENT).
 */
export function narStream(fsPath: string, opts: NarOptions = {}): Readable {
  // No read-ahead: the serialiser fills its next buffer while the consumer works on this one.
  return Readable.from(serialise(Buffer.from(fsPath), caseHackOf(opts)), { objectMode: false, highWaterMark: 0 })
}

export interface NarOptions {
  /**
   * Nix's `use-case-hack`, on by default on macOS only (`archive.cc`): on a case-insensitive file
   * system Nix stores names that differ only in case with a `~nix~case~hack~N` suffix, which the
   * NAR must not carry.
   */
  caseHack?: boolean
}

const caseHackOf = (opts: NarOptions): boolean => opts.caseHack ?? process.platform === 'darwin'

const CASE_HACK_SUFFIX = Buffer.from('~nix~case~hack~')

/**
 * Pure: a directory's entries as the NAR names them, in NAR order, with the name on disk. Nix
 * cuts the name at the suffix and orders by the cut name (`archive.cc`, `dump`).
 */
function narEntries(onDisk: readonly Buffer[], caseHack: boolean): Array<{ name: Buffer; onDisk: Buffer }> {
  const entries = onDisk.map((d) => {
    const cut = caseHack ? d.indexOf(CASE_HACK_SUFFIX) : -1
    return { name: cut >= 0 ? d.subarray(0, cut) : d, onDisk: d }
  })
  // Nix orders entries by raw bytes; JS string order would differ for non-ASCII names.
  entries.sort((a, b) => Buffer.compare(a.name, b.name))
  for (let i = 1; i < entries.length; i++) {
    if (entries[i - 1]!.name.equals(entries[i]!.name)) {
      throw new Error(`file name collision between '${entries[i - 1]!.onDisk.toString()}' and '${entries[i]!.onDisk.toString()}'`)
    }
  }
  return entries
}

/**
 * The whole NAR of a small path in one buffer, or undefined as soon as it grows past `max` bytes
 * (the caller streams it instead). Small paths are read synchronously anyway (SMALL_FILE), so
 * this skips only the stream machinery, which costs more than the work for thousands of them.
 */
export async function narBytes(fsPath: string, max: number, opts: NarOptions = {}): Promise<Buffer | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of serialise(Buffer.from(fsPath), caseHackOf(opts))) {
    size += chunk.length
    // Past LEND_AFTER chunks are lent frames: never kept, and never reached below that size.
    if (size > max || size > LEND_AFTER) return undefined
    chunks.push(chunk)
  }
  return Buffer.concat(chunks, size)
}

/** SHA-256 and length of the NAR serialisation, i.e. a store path's narHash and narSize. */
export async function narHashOf(fsPath: string, opts: NarOptions = {}): Promise<{ hash: Buffer; size: number }> {
  const hash = createHash('sha256')
  let size = 0
  // Iterating the generator directly skips the Readable buffer, which would concatenate chunks.
  for await (const chunk of serialise(Buffer.from(fsPath), caseHackOf(opts))) {
    hash.update(chunk)
    size += chunk.length
    // A frame is free again once its last piece is hashed.
    const frame = frameOf(chunk)
    if (frame && chunk.byteOffset + chunk.length === frame.byteOffset + frame.length) recycleFrame(frame)
  }
  return { hash: hash.digest(), size }
}

/**
 * Writes the NAR into output buffers and hands them on in pieces. A NAR's first LEND_AFTER bytes
 * go into small fresh buffers (most store paths are small, and are compressed in one call); after
 * that into reused 4 MiB frames (frame-buffers.ts) that file contents are read into directly.
 * A frame is handed on in PIECE-sized views as it fills: every stream stage holds a chunk or two,
 * and whole frames there added up to 20 frames (80 MiB) for 4 parallel paths.
 */
class NarWriter {
  private buf: Buffer = Buffer.allocUnsafe(BATCH)
  private frame: Buffer | undefined
  /** Bytes of `buf` filled, and the first of them not yet handed on. */
  private filled = 0
  private start = 0
  private written = 0
  private ready: Buffer[] = []
  private lastBreak = performance.now()

  /** How far `buf` may be filled before the piece is handed on. */
  private get limit(): number {
    return this.frame ? Math.min(this.buf.length, this.start + PIECE) : this.buf.length
  }

  add(src: Buffer): void {
    let at = 0
    while (at < src.length) {
      const n = src.copy(this.buf, this.filled, at, at + Math.min(src.length - at, this.limit - this.filled))
      at += n
      this.filled += n
      if (this.filled === this.limit) this.piece()
    }
  }

  /** Length-prefixed, zero-padded NAR string. */
  str(s: string | Buffer): void {
    if (typeof s === 'string') {
      this.add(token(s))
      return
    }
    this.add(u64(s.length))
    this.add(s)
    this.pad(s.length)
  }

  pad(length: number): void {
    const rem = length % 8
    if (rem !== 0) this.add(ZEROS.subarray(0, 8 - rem))
  }

  /** Reads `size` bytes of an open file into the output, synchronously. */
  readSync(fd: number, size: number, path: Buffer): void {
    let remaining = size
    while (remaining > 0) {
      const n = readSync(fd, this.buf, this.filled, Math.min(remaining, this.limit - this.filled), null)
      if (n === 0) throw changedSize(path)
      this.filled += n
      remaining -= n
      if (this.filled === this.limit) this.piece()
    }
  }

  /** Reads `size` bytes of an open file into the output; pieces are taken as they fill. */
  async *read(fh: FileHandle, size: number, path: Buffer): AsyncGenerator<Buffer> {
    let remaining = size
    while (remaining > 0) {
      const { bytesRead } = await fh.read(this.buf, this.filled, Math.min(remaining, this.limit - this.filled), null)
      if (bytesRead === 0) throw changedSize(path)
      this.filled += bytesRead
      remaining -= bytesRead
      if (this.filled === this.limit) {
        this.piece()
        yield* this.take()
      }
    }
  }

  take(): Buffer[] {
    const out = this.ready
    this.ready = []
    return out
  }

  /** Hands on what is filled and not yet handed on. */
  flush(): void {
    if (this.filled === this.start) return
    const view = this.buf.subarray(this.start, this.filled)
    this.ready.push(this.frame ? lend(view, this.frame) : view)
    this.written += this.filled - this.start
    this.start = this.filled
  }

  private piece(): void {
    this.flush()
    if (this.filled < this.buf.length) return
    this.filled = 0
    this.start = 0
    if (this.written >= LEND_AFTER) {
      this.frame = takeFrame()
      this.buf = this.frame
    } else {
      this.frame = undefined
      this.buf = Buffer.allocUnsafe(BATCH)
    }
  }

  /** Lets timers and network I/O run when synchronous reads have held the event loop too long. */
  async breathe(): Promise<void> {
    if (performance.now() - this.lastBreak < MAX_BLOCK_MS) return
    await new Promise((resolve) => setImmediate(resolve))
    this.lastBreak = performance.now()
  }
}

async function* serialise(path: Buffer, caseHack: boolean): AsyncGenerator<Buffer> {
  const out = new NarWriter()
  out.str('nix-archive-1')
  yield* dumpNode(path, out, caseHack, 0)
  out.flush()
  yield* out.take()
}

async function* dumpNode(path: Buffer, out: NarWriter, caseHack: boolean, depth: number): AsyncGenerator<Buffer> {
  // Refused before anything of the node is written, as Nix's dump does: the NAR is never whole.
  if (depth >= NAR_MAX_DEPTH) throw new NarTooDeep(path.toString())
  await out.breathe()
  const st = lstatSync(path)
  out.str('(')
  out.str('type')
  switch (st.mode & S_IFMT) {
    case S_IFREG:
      out.str('regular')
      if (st.mode & S_IXUSR) {
        out.str('executable')
        out.str('')
      }
      out.str('contents')
      out.add(u64(st.size))
      if (st.size <= SMALL_FILE) readSmallFile(path, st.size, out)
      else yield* readLargeFile(path, st.size, out)
      out.pad(st.size)
      break
    case S_IFLNK:
      out.str('symlink')
      out.str('target')
      out.str(readlinkSync(path, { encoding: 'buffer' }))
      break
    case S_IFDIR: {
      out.str('directory')
      for (const { name, onDisk } of narEntries(readdirSync(path, { encoding: 'buffer' }), caseHack)) {
        out.str('entry')
        out.str('(')
        out.str('name')
        out.str(name)
        out.str('node')
        yield* dumpNode(Buffer.concat([path, SLASH, onDisk]), out, caseHack, depth + 1)
        out.str(')')
        yield* out.take()
      }
      break
    }
    default:
      throw new Error(`file '${path.toString()}' has an unsupported type`)
  }
  out.str(')')
}

function readSmallFile(path: Buffer, size: number, out: NarWriter): void {
  const fd = openSync(path, 'r')
  try {
    out.readSync(fd, size, path)
  } finally {
    closeSync(fd)
  }
}

async function* readLargeFile(path: Buffer, size: number, out: NarWriter): AsyncGenerator<Buffer> {
  const fh = await open(path, 'r')
  try {
    yield* out.read(fh, size, path)
  } finally {
    await fh.close()
  }
}

// The length is written before the contents, so a file that shrinks mid-read cannot be represented.
function changedSize(path: Buffer): Error {
  return new Error(`file '${path.toString()}' changed size while being archived`)
}

// The string arguments are the format's fixed keywords, so encoding each once saves allocations.
const TOKENS = new Map<string, Buffer>()
function token(s: string): Buffer {
  let enc = TOKENS.get(s)
  if (enc === undefined) {
    const bytes = Buffer.from(s)
    enc = Buffer.concat([u64(bytes.length), bytes, ZEROS.subarray(0, (8 - (bytes.length % 8)) % 8)])
    TOKENS.set(s, enc)
  }
  return enc
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8)
  b.writeUInt32LE(n % 0x1_0000_0000, 0)
  b.writeUInt32LE(Math.floor(n / 0x1_0000_0000), 4)
  return b
}
