import { dirname } from 'node:path'
import { Worker } from 'node:worker_threads'

/**
 * Small files written on threads of their own, each in one message: the temporary file written,
 * then given its final name. Thousands of small paths create two files each (a spool file linked
 * to the NAR's name, a narinfo renamed into place). On the main thread those creations ran one
 * after another, behind the reading and compressing of the next paths; through libuv's pool each
 * file took five round trips. Here they overlap with the main thread's work and with each other
 * (NARs and narinfos are in two directories), as `nix copy`'s threads do, for one round trip a
 * file. On an ext4 that creates files slowly (0.2 to 0.5 ms each, docs/BENCHMARKS.md) this is what
 * the post step of a job of small paths waits for.
 */

/** `link`: the temporary file gets a second name and loses its own; never replaces the target. `rename`: it replaces the target. */
export type FinalStep = 'link' | 'rename'

export interface FileWrite {
  kind: FinalStep
  temp: string
  target: string
  bytes: Uint8Array
}

/** A failed write: `step` says which call failed, and `code` is its errno name. */
export class FileWriteError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly step: 'write' | FinalStep
  ) {
    super(message)
    this.name = 'FileWriteError'
  }
}

interface Request extends FileWrite {
  id: number
}
interface Reply {
  id: number
  error?: { message: string; code?: string; step: 'write' | FinalStep }
}

type Failure = NonNullable<Reply['error']>

/**
 * One write, synchronously: the temporary file, then its final name; undefined when done. It is
 * run on a file thread from its source (so no separate file has to be bundled and found at run
 * time), and must not refer to anything outside itself, nor to `require`, which a bundler
 * rewrites into a helper the thread does not have. After a failed `link` the temporary file is
 * kept: the caller may still publish it another way, and removes it.
 */
function writeAndName(w: FileWrite): Failure | undefined {
  const fs = process.getBuiltinModule('node:fs')
  const quietly = (f: () => void): void => {
    try {
      f()
    } catch {
      // Already gone: nothing to remove.
    }
  }
  let step: 'write' | FinalStep = 'write'
  let created = false
  try {
    const fd = fs.openSync(w.temp, 'wx')
    created = true
    try {
      fs.writeFileSync(fd, w.bytes)
    } finally {
      fs.closeSync(fd)
    }
    step = w.kind
    if (w.kind === 'link') {
      fs.linkSync(w.temp, w.target)
      quietly(() => fs.unlinkSync(w.temp))
    } else {
      fs.renameSync(w.temp, w.target)
    }
    return undefined
  } catch (e) {
    // Only a file this write created is removed: a temporary name already taken is someone else's.
    if (created && step !== 'link') quietly(() => fs.unlinkSync(w.temp))
    const err = e as NodeJS.ErrnoException
    return { message: err.message, code: err.code, step }
  }
}

/** A file thread's program: `write` is writeAndName, passed in as source. */
function fileThreadMain(write: typeof writeAndName): void {
  const { parentPort } = process.getBuiltinModule('node:worker_threads')
  parentPort?.on('message', (r: Request) => {
    const error = write(r)
    parentPort.postMessage((error ? { id: r.id, error } : { id: r.id }) satisfies Reply)
  })
}

/**
 * Writes done on the main thread before the threads start: a push of a few paths (or of a few
 * large NARs, whose memory is what bounds a push) gains nothing from them, and two threads cost
 * about 30 MB (a 586 MB push to file:// peaked at 231 MB with them, 221 MB without).
 */
const WRITES_BEFORE_THREADS = 64

interface Thread {
  worker: Worker
  pending: Map<number, { resolve: () => void; reject: (e: Error) => void }>
}

/** Two threads: one creating NARs, the other narinfos, in their two directories. */
const THREADS = 2

class FileThreads {
  private readonly threads: Array<Thread | undefined> = []
  /** Which thread writes into which directory. */
  private readonly lanes = new Map<string, number>()
  private nextId = 0

  write(w: FileWrite): Promise<void> {
    const thread = this.threadFor(dirname(w.target))
    const id = this.nextId++
    return new Promise<void>((resolve, reject) => {
      thread.pending.set(id, { resolve, reject })
      // A pending write keeps the process alive; an idle thread does not.
      thread.worker.ref()
      // Handed over, not cloned: a clone copies a Buffer's whole backing store (8 KiB of the
      // shared pool for a narinfo), and one copy of just the bytes is all the thread needs.
      const bytes = new Uint8Array(w.bytes)
      thread.worker.postMessage({ id, ...w, bytes } satisfies Request, [bytes.buffer])
    })
  }

  /**
   * One thread per directory: file creations in one directory take its lock one at a time, and
   * two threads creating files in the same one spent their CPU spinning on it (`perf`).
   */
  private threadFor(dir: string): Thread {
    let lane = this.lanes.get(dir)
    if (lane === undefined) {
      lane = this.lanes.size % THREADS
      this.lanes.set(dir, lane)
    }
    return (this.threads[lane] ??= this.start(lane))
  }

  private start(lane: number): Thread {
    const worker = new Worker(`(${fileThreadMain.toString()})(${writeAndName.toString()})`, { eval: true })
    const thread: Thread = { worker, pending: new Map() }
    worker.unref()
    worker.on('message', (reply: Reply) => {
      const waiter = thread.pending.get(reply.id)
      thread.pending.delete(reply.id)
      if (thread.pending.size === 0) worker.unref()
      if (!waiter) return
      if (reply.error) waiter.reject(new FileWriteError(reply.error.message, reply.error.code, reply.error.step))
      else waiter.resolve()
    })
    // A thread that dies takes its pending writes with it; the next write starts a new one.
    const fail = (e: Error): void => {
      if (this.threads[lane] === thread) this.threads[lane] = undefined
      for (const w of thread.pending.values()) w.reject(e)
      thread.pending.clear()
    }
    worker.on('error', fail)
    worker.on('exit', (code) => fail(new Error(`the file-writing thread exited (${code})`)))
    return thread
  }
}

let shared: FileThreads | undefined
let writesInline = 0

/** Whether this process's writes go to the threads by now (the tests check both ways). */
export function onThreadsNow(): boolean {
  return writesInline >= WRITES_BEFORE_THREADS
}

/**
 * Writes `bytes` to `temp` (which must not exist), then gives it its final name; rejects with a
 * FileWriteError. The first writes of the process are done here; then its two threads start.
 */
export async function writeSmallFile(w: FileWrite): Promise<void> {
  if (writesInline < WRITES_BEFORE_THREADS) {
    writesInline++
    const error = writeAndName(w)
    if (error) throw new FileWriteError(error.message, error.code, error.step)
    return
  }
  shared ??= new FileThreads()
  return shared.write(w)
}

