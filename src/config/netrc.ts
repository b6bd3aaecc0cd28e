import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'

export interface NetrcEntry {
  /** Undefined for the `default` entry. */
  machine?: string
  login?: string
  password?: string
  account?: string
}

/**
 * A cursor over the file that yields whitespace-separated tokens but can also skip to line
 * boundaries, which `macdef` bodies and `#` comments need.
 */
class Tokenizer {
  private pos = 0
  constructor(private readonly text: string) {}

  next(): string | undefined {
    const t = this.text
    while (this.pos < t.length && /\s/.test(t[this.pos]!)) this.pos++
    if (this.pos >= t.length) return undefined
    // curl accepts double-quoted tokens so passwords may contain spaces.
    if (t[this.pos] === '"') {
      this.pos++
      let out = ''
      while (this.pos < t.length && t[this.pos] !== '"') {
        let c = t[this.pos++]!
        if (c === '\\' && this.pos < t.length) {
          const e = t[this.pos++]!
          c = e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e
        }
        out += c
      }
      this.pos++ // closing quote (or past the end)
      return out
    }
    const start = this.pos
    while (this.pos < t.length && !/\s/.test(t[this.pos]!)) this.pos++
    return t.slice(start, this.pos)
  }

  skipLine(): void {
    const nl = this.text.indexOf('\n', this.pos)
    this.pos = nl === -1 ? this.text.length : nl + 1
  }

  /** A macro body runs from the line after `macdef name` up to the first empty line. */
  skipMacroBody(): void {
    this.skipLine()
    while (this.pos < this.text.length) {
      const nl = this.text.indexOf('\n', this.pos)
      const line = this.text.slice(this.pos, nl === -1 ? undefined : nl)
      this.pos = nl === -1 ? this.text.length : nl + 1
      if (line.trim() === '') return
    }
  }
}

/**
 * Parses a .netrc file. Unknown tokens are ignored rather than rejected, as curl does, so a file
 * written for another tool never stops an upload.
 */
export function parseNetrc(text: string): NetrcEntry[] {
  const entries: NetrcEntry[] = []
  const tok = new Tokenizer(text.replace(/\r\n/g, '\n'))
  let current: NetrcEntry | undefined
  for (let t = tok.next(); t !== undefined; t = tok.next()) {
    switch (t) {
      case 'machine': {
        const machine = tok.next()
        // A trailing `machine` with no name must not turn into a catch-all default entry.
        current = machine === undefined ? undefined : { machine }
        if (current !== undefined) entries.push(current)
        break
      }
      case 'default':
        current = {}
        entries.push(current)
        break
      case 'login':
      case 'password':
      case 'account': {
        const value = tok.next()
        if (current !== undefined && value !== undefined) current[t] = value
        break
      }
      case 'macdef':
        tok.next()
        tok.skipMacroBody()
        break
      default:
        if (t.startsWith('#')) tok.skipLine()
    }
  }
  return entries
}

/** The entry for `host` (case-insensitive), else the `default` entry, else undefined. */
export function credentialsFor(host: string, entries: readonly NetrcEntry[]): NetrcEntry | undefined {
  const h = host.toLowerCase()
  return (
    entries.find((e) => e.machine !== undefined && e.machine.toLowerCase() === h) ??
    entries.find((e) => e.machine === undefined)
  )
}

/** The netrc file to read: the argument, else $NETRC, else ~/.netrc. */
export function netrcPath(file?: string): string {
  if (file !== undefined && file !== '') return file
  const env = process.env['NETRC']
  if (env !== undefined && env !== '') return env
  // $HOME first, as curl does; homedir() alone would ignore an overridden HOME on some platforms.
  return join(process.env['HOME'] || homedir(), '.netrc')
}

/** Reads and parses the netrc file; a missing file simply means no credentials. */
export async function loadNetrc(file?: string): Promise<NetrcEntry[]> {
  let text: string
  try {
    text = await readFile(netrcPath(file), 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return []
    throw e
  }
  return parseNetrc(text)
}
