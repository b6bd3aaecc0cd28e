import { createHash } from 'node:crypto'
import { lstat, open, readdir, readlink } from 'node:fs/promises'
import { Readable } from 'node:stream'

/** File contents are read in pieces this large and handed on without copying. */
const READ_CHUNK = 1024 * 1024
/** Small tokens are gathered into one chunk of about this size, so consumers see few, large chunks. */
const BATCH = 64 * 1024

const S_IFMT = 0o170000
const S_IFREG = 0o100000
const S_IFDIR = 0o040000
const S_IFLNK = 0o120000
const S_IXUSR = 0o100

const ZEROS = Buffer.alloc(8)

/**
 * Serialises a file-system path as a NAR (what `nix-store --dump` prints). Reading is driven by
 * the consumer, so memory stays bounded however large the tree is. A missing path makes the
 * stream fail with the original fs error (code ENOENT).
 */
export function narStream(fsPath: string): Readable {
  return Readable.from(serialise(Buffer.from(fsPath)), { objectMode: false, highWaterMark: READ_CHUNK })
}

/** SHA-256 and length of the NAR serialisation, i.e. a store path's narHash and narSize. */
export async function narHashOf(fsPath: string): Promise<{ hash: Buffer; size: number }> {
  const hash = createHash('sha256')
  let size = 0
  for await (const chunk of narStream(fsPath)) {
    const buf = chunk as Buffer
    hash.update(buf)
    size += buf.length
  }
  return { hash: hash.digest(), size }
}

/** Collects small buffers into batches while letting large ones through untouched. */
class Batcher {
  private pending: Buffer[] = []
  private pendingSize = 0
  private ready: Buffer[] = []

  add(buf: Buffer): void {
    if (buf.length >= BATCH) {
      this.flush()
      this.ready.push(buf)
      return
    }
    this.pending.push(buf)
    this.pendingSize += buf.length
    if (this.pendingSize >= BATCH) this.flush()
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

  take(): Buffer[] {
    const out = this.ready
    this.ready = []
    return out
  }

  flush(): void {
    if (this.pendingSize === 0) return
    this.ready.push(this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingSize))
    this.pending = []
    this.pendingSize = 0
  }
}

async function* serialise(path: Buffer): AsyncGenerator<Buffer> {
  const out = new Batcher()
  out.str('nix-archive-1')
  yield* dumpNode(path, out)
  out.flush()
  yield* out.take()
}

async function* dumpNode(path: Buffer, out: Batcher): AsyncGenerator<Buffer> {
  const st = await lstat(path)
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
      yield* dumpContents(path, st.size, out)
      break
    case S_IFLNK:
      out.str('symlink')
      out.str('target')
      out.str(await readlink(path, { encoding: 'buffer' }))
      break
    case S_IFDIR: {
      out.str('directory')
      const names = await readdir(path, { encoding: 'buffer' })
      // Nix orders entries by raw bytes; JS string order would differ for non-ASCII names.
      names.sort(Buffer.compare)
      for (const name of names) {
        out.str('entry')
        out.str('(')
        out.str('name')
        out.str(name)
        out.str('node')
        yield* dumpNode(Buffer.concat([path, SLASH, name]), out)
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

const SLASH = Buffer.from('/')

async function* dumpContents(path: Buffer, size: number, out: Batcher): AsyncGenerator<Buffer> {
  out.add(u64(size))
  const fh = await open(path, 'r')
  try {
    let remaining = size
    while (remaining > 0) {
      // A fresh buffer per chunk: the consumer may still hold the previous one.
      const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, remaining))
      let filled = 0
      while (filled < buf.length) {
        const { bytesRead } = await fh.read(buf, filled, buf.length - filled, null)
        // The length is already written, so a shrinking file cannot be represented.
        if (bytesRead === 0) throw new Error(`file '${path.toString()}' changed size while being archived`)
        filled += bytesRead
      }
      remaining -= filled
      out.add(buf)
      yield* out.take()
    }
  } finally {
    await fh.close()
  }
  out.pad(size)
}

// The string arguments are the format's fixed keywords, so encoding each once saves allocations.
const TOKENS = new Map<string, Buffer>()
function token(s: string): Buffer {
  let enc = TOKENS.get(s)
  if (enc === undefined) {
    const bytes = Buffer.from(s)
    const padding = (8 - (bytes.length % 8)) % 8
    enc = Buffer.concat([u64(bytes.length), bytes, ZEROS.subarray(0, padding)])
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
