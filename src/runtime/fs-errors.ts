/** Plain words for the file-system errors a cache writer meets, keeping the code users search for. */
const CAUSES: Record<string, string> = {
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded'
}

export function fsErrorCode(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code
  return typeof code === 'string' ? code : undefined
}

/** `<cause> (<CODE>)` for the errors above, else the error's own message. */
export function describeFsError(e: unknown): string {
  const code = fsErrorCode(e)
  const cause = code === undefined ? undefined : CAUSES[code]
  if (cause !== undefined) {
    const where = (e as NodeJS.ErrnoException).path
    return `${cause} (${code}${where ? ` at ${where}` : ''})`
  }
  return e instanceof Error ? e.message : String(e)
}
