/**
 * What an @actions/cache call's outcome means, read from what the library logged (see
 * capture.ts): the library swallows its errors and returns "miss" or -1 for every kind of
 * failure, so its log lines are the only place the kind is recorded. Pure, so it can be tested
 * with the library's actual messages.
 */

export type CallOutcome =
  | { kind: 'ok' }
  /** restore: no entry matched. */
  | { kind: 'miss' }
  /** save: the key already exists in this scope (or another job is creating it right now). */
  | { kind: 'exists'; detail: string }
  /** HTTP 429. The library does not retry these (since 5.0.3); Retry-After is in its warning. */
  | { kind: 'rate-limited'; retryAfterMs?: number; detail: string }
  /** 5xx the library already retried five times. */
  | { kind: 'server-error'; detail: string }
  /** Nothing answers, no token, or reads are denied: the service is not usable in this job. */
  | { kind: 'unavailable'; detail: string }
  /** Writes are refused: a read-only token, or the repository's cache budget is used up. */
  | { kind: 'read-only'; detail: string }
  /** This one entry could not be transferred (download, extraction, upload). */
  | { kind: 'entry-failed'; detail: string }

/** A workflow command's data, unescaped, or the line itself for plain output. */
function message(line: string): string {
  const m = /^::[a-z-]+(?: [^:]*)?::(.*)$/.exec(line)
  const text = m ? (m[1] ?? '') : line
  return text.replace(/%0D/g, '').replace(/%0A/g, ' ').replace(/%25/g, '%')
}

const isProblem = (line: string): boolean => /^::(warning|error)/.test(line) || /Failed to (save|restore)|Failed to reserve cache/.test(line)

/** The most telling line: a warning or error first, else a debug line that names the failure. */
function detailOf(lines: readonly string[]): string {
  const problem = lines.find((l) => /^::(warning|error)/.test(l) && !/rate limit will reset/.test(l)) ?? lines.find(isProblem)
  return problem ? message(problem).replace(/\s+If you are using self-hosted runners.*$/, '').trim() : 'no details logged'
}

function retryAfterMs(text: string): number | undefined {
  const m = /rate limit will reset in (\d+) seconds/.exec(text)
  return m ? Number(m[1]) * 1000 : undefined
}

type ServiceKind = 'unavailable' | 'read-only' | 'rate-limited' | 'server-error'

/** Failure kinds that show in any call's log, strongest first; `tail` is the telling part of the line. */
const SERVICE_RULES: ReadonlyArray<{ kind: ServiceKind; match: RegExp; tail: RegExp }> = [
  { kind: 'unavailable', match: /Unable to make request: E[A-Z]+/, tail: /Unable to make request: E[A-Z]+/ },
  { kind: 'unavailable', match: /ACTIONS_RUNTIME_TOKEN/, tail: /Unable to get the ACTIONS_RUNTIME_TOKEN.*/ },
  { kind: 'unavailable', match: /cache read denied:/, tail: /cache read denied:.*/ },
  { kind: 'read-only', match: /cache write denied:/, tail: /cache write denied:.*/ },
  { kind: 'read-only', match: /Cache storage quota has been hit|insufficient usage/, tail: /Cache storage quota has been hit[^.]*|[^:]*insufficient usage.*/ },
  { kind: 'rate-limited', match: /Rate limited|\(429\)/, tail: /Failed request: \(429\).*/ },
  { kind: 'server-error', match: /\((50[0-9])\)/, tail: /Failed request: \(50[0-9]\).*/ }
]

function serviceProblem(lines: readonly string[]): CallOutcome | undefined {
  const messages = lines.map(message)
  for (const rule of SERVICE_RULES) {
    const hit = messages.find((m) => rule.match.test(m))
    if (hit === undefined) continue
    const detail = (rule.tail.exec(hit)?.[0] ?? hit).trim()
    if (rule.kind === 'rate-limited') return { kind: 'rate-limited', retryAfterMs: retryAfterMs(messages.join('\n')), detail }
    return { kind: rule.kind, detail }
  }
  return undefined
}

export function classifyRestore(matchedKey: string | undefined, lines: readonly string[]): CallOutcome {
  if (matchedKey !== undefined) return { kind: 'ok' }
  const text = lines.map(message).join('\n')
  const problem = serviceProblem(lines)
  if (problem) return problem
  const detail = detailOf(lines)
  if (lines.some((l) => /^::(warning|error)/.test(l)) || /Failed to restore/.test(text)) return { kind: 'entry-failed', detail }
  return { kind: 'miss' }
}

export function classifySave(cacheId: number, lines: readonly string[]): CallOutcome {
  if (cacheId !== -1) return { kind: 'ok' }
  const text = lines.map(message).join('\n')
  if (/does not permit writes/.test(text)) return { kind: 'read-only', detail: 'ACTIONS_CACHE_MODE does not permit writes' }
  const problem = serviceProblem(lines)
  if (problem) return problem
  const detail = detailOf(lines)
  if (/\(409\)|already exists|another job may be creating this cache/.test(text)) return { kind: 'exists', detail }
  return { kind: 'entry-failed', detail }
}

/** Archive size the library logged: "Cache Size: ~12 MB (12345678 B)" (restore) or debug "File Size: 123" (save). */
export function archiveBytes(lines: readonly string[]): number | undefined {
  for (const line of lines) {
    const m = /Cache Size: ~\d+ MB \((\d+) B\)/.exec(line) ?? /^::debug::File Size: (\d+)$/.exec(line)
    if (m) return Number(m[1])
  }
  return undefined
}
